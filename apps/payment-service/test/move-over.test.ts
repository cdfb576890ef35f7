import { rollout } from '@astria/db';
import { setStage } from '@astria/rollout';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, postSumit, rows, startTestApp, type TestApp } from './helpers.js';

const OLD_URL = 'http://old-app.test/payment-received';

function sumit(id: number, phone: string) {
  const body = fixture('sumit-payment.json');
  return { ...body, EntityID: id, Properties: { ...(body.Properties as object), 'Property_M-5': [phone] } };
}

/**
 * The move-over (issue #13): SUMIT payments of users the old app serves are stored once (the de-dup
 * record) and committed with a sumit_forward_requested instead of payment_received; at shadow both.
 */
describe(`payment-service: SUMIT payments during the move-over (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { MONOLITH_PAYMENT_URL: OLD_URL, ROLLOUT_STAGE_TTL_MS: '1' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  const outbox = async (type: string, paymentId: string) =>
    (
      await rows<{ envelope: unknown }>(
        t.database,
        sql`select envelope from payments.outbox where type = ${type} order by seq`,
      )
    )
      .map(
        (r) =>
          (typeof r.envelope === 'string' ? JSON.parse(r.envelope) : r.envelope) as { data: Record<string, unknown> },
      )
      .filter((e) => e.data.paymentId === paymentId);

  it('forwards a payment of a user the old app serves once, with no payment_received, and a replay is a duplicate', async () => {
    await setStage(t.database.db, { stage: 'canary', percent: 0 }, 'test');
    const first = await postSumit(t.app, sumit(9001, '972501230001'));
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ status: 'forwarded' });
    expect((await postSumit(t.app, sumit(9001, '972501230001'))).json()).toEqual({ status: 'duplicate' });
    const forwards = await outbox('sumit_forward_requested', '9001');
    expect(forwards).toHaveLength(1);
    expect(JSON.parse(forwards[0]?.data.body as string)).toMatchObject({ EntityID: 9001 });
    expect(await outbox('payment_received', '9001')).toHaveLength(0);
  });

  it('applies a payment of a user the new system serves, and at shadow applies and forwards', async () => {
    await t.database.db
      .insert(rollout.rolloutOwners)
      .values({ userId: '972501230002', owner: 'new', reason: 'allow', stageVersion: 1 });
    expect((await postSumit(t.app, sumit(9002, '972501230002'))).json()).toEqual({ status: 'applied' });
    expect(await outbox('sumit_forward_requested', '9002')).toHaveLength(0);
    await setStage(t.database.db, { stage: 'shadow' }, 'test');
    expect((await postSumit(t.app, sumit(9003, '972501230003'))).json()).toEqual({ status: 'applied' });
    expect(await outbox('sumit_forward_requested', '9003')).toHaveLength(1);
    expect(await outbox('payment_received', '9003')).toHaveLength(1);
  });
});
