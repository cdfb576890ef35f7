import { apiDocuments } from '@astria/service-host/testing';
import { expect, it } from 'vitest';
import { startHarness } from './helpers.js';

// docs/api/image-service.json is the route schemas' OpenAPI document; `pnpm docs:api` regenerates it.
it('the committed OpenAPI document (docs/api/image-service.json) matches the routes', async () => {
  const h = await startHarness();
  try {
    const { committed, current } = await apiDocuments(
      h.app,
      new URL('../../../docs/api/image-service.json', import.meta.url),
    );
    expect(committed, 'a route changed: run pnpm docs:api and commit docs/api').toBe(current);
  } finally {
    await h.close();
  }
});
