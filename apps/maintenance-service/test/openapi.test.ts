import { apiDocuments } from '@astria/service-host/testing';
import { expect, it } from 'vitest';
import { startApp } from './helpers.js';

it('the committed OpenAPI document (docs/api/maintenance-service.json) matches the routes', async () => {
  const { committed, current } = await apiDocuments('maintenance-service', startApp);
  expect(committed, 'a route changed: run pnpm docs:api and commit docs/api').toBe(current);
});
