import { apiDocuments } from '@astria/service-host/testing';
import { expect, it } from 'vitest';
import { createHarness } from './harness.js';

// docs/api/message-service.json is the route schemas' OpenAPI document; `pnpm docs:api` regenerates it.
it('the committed OpenAPI document (docs/api/message-service.json) matches the routes', async () => {
  const h = await createHarness();
  try {
    const { committed, current } = await apiDocuments(
      h.app,
      new URL('../../../docs/api/message-service.json', import.meta.url),
    );
    expect(committed, 'a route changed: run pnpm docs:api and commit docs/api').toBe(current);
  } finally {
    await h.close();
  }
});
