import type { PaymentServiceConfig } from '@astria/config';
import type { Executor } from '@astria/db';
import { createLoggedStageReader, lockPaymentOwner, type StageReader } from '@astria/rollout';
import fp from 'fastify-plugin';
import type { IncomingPayment } from '../payment.js';

/** A payment of a user the old app serves: forwarded as SUMIT sent it; at shadow also applied here. */
export interface PaymentForward {
  readonly body: string;
  readonly alsoApply: boolean;
}

export interface PaymentRouter {
  /**
   * Inside the payment's transaction: null when this system applies the payment alone (no old app, or
   * a user it serves), else the forward.
   */
  forwardOf(tx: Executor, payment: IncomingPayment, raw: Buffer | string): Promise<PaymentForward | null>;
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
      async forwardOf(tx, payment, raw) {
        if (!config.MONOLITH_PAYMENT_URL || payment.userId === null) return null;
        const { owner, settings } = await lockPaymentOwner(tx, payment.userId);
        if (owner === 'new') return null;
        return {
          body: typeof raw === 'string' ? raw : raw.toString('utf8'),
          alsoApply: settings.stage === 'shadow',
        };
      },
    } satisfies PaymentRouter);
  },
  { name: 'payment-move-over', fastify: '5.x' },
);
