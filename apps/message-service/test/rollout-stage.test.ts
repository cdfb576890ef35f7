import { waitFor } from '@astria/db/testing';
import { setStage } from '@astria/rollout';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from './harness.js';

describe('the move-over stage on a message-service pod', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await createHarness({ ROLLOUT_STAGE_TTL_MS: '100' });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('starts in shadow and follows `rollout set` within the TTL, without a restart', async () => {
    expect(await harness.app.rolloutStage.current()).toMatchObject({ stage: 'shadow', version: 0 });
    await setStage(harness.database.db, { stage: 'canary', percent: 10 }, 'test');
    const seen = await waitFor(
      async () => {
        const settings = await harness.app.rolloutStage.current();
        return settings.version === 1 ? settings : null;
      },
      { timeoutMs: 5000, what: 'the pod to see stage version 1' },
    );
    expect(seen).toMatchObject({ stage: 'canary', percent: 10 });
  });
});
