import { apiDocuments } from '@astria/service-host/testing';
import { expect, it } from 'vitest';
import { startTestApp } from './helpers.js';

// docs/api/payment-service.json is the route schemas' OpenAPI document; `pnpm docs:api` regenerates it.
it('the committed OpenAPI document (docs/api/payment-service.json) matches the routes', async () => {
  const h = await startTestApp();
  try {
    const { committed, current } = await apiDocuments(
      h.app,
      new URL('../../../docs/api/payment-service.json', import.meta.url),
    );
    expect(committed, 'a route changed: run pnpm docs:api and commit docs/api').toBe(current);
  } finally {
    await h.close();
  }
});
