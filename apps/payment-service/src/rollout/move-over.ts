import type { PaymentServiceConfig } from '@astria/config';
import { createLoggedStageReader, paymentOwner, type StageReader } from '@astria/rollout';
import fp from 'fastify-plugin';
import type { IncomingPayment } from '../payment.js';

/** A payment of a user the old app serves: forwarded as SUMIT sent it; at shadow also applied here. */
export interface PaymentForward {
  readonly body: string;
  readonly alsoApply: boolean;
}

export interface PaymentRouter {
  /** null: this system applies the payment alone (no old app, or a user it serves). */
  forwardOf(payment: IncomingPayment, raw: Buffer | string): Promise<PaymentForward | null>;
}

declare module 'fastify' {
  interface FastifyInstance {
    rolloutStage: StageReader;
    paymentRouter: PaymentRouter;
  }
}

type MoveOverConfig = Pick<PaymentServiceConfig, 'MONOLITH_PAYMENT_URL' | 'ROLLOUT_STAGE_TTL_MS'>;

/**
 * The move-over for payment-service (issue #13): a SUMIT payment of a user the old app serves is
 * stored here (its de-dup record) and committed with a `sumit_forward_requested`, which message-service
 * (the forwarder) posts to MONOLITH_PAYMENT_URL (retried with backoff, dead-lettered after its budget).
 */
export const paymentMoveOverPlugin = fp<{ config: MoveOverConfig }>(
  async (app, { config }) => {
    const stage = createLoggedStageReader(app.database.db, config.ROLLOUT_STAGE_TTL_MS, app.log);
    app.decorate('rolloutStage', stage);
    app.decorate('paymentRouter', {
      async forwardOf(payment, raw) {
        if (!config.MONOLITH_PAYMENT_URL || payment.userId === null) return null;
        const settings = await stage.current();
        if ((await paymentOwner(app.database.db, settings, payment.userId)) === 'new') return null;
        return {
          body: typeof raw === 'string' ? raw : raw.toString('utf8'),
          alsoApply: settings.stage === 'shadow',
        };
      },
    } satisfies PaymentRouter);
  },
  { name: 'payment-move-over', fastify: '5.x' },
);
