import { apiDocuments } from '@astria/service-host/testing';
import { expect, it } from 'vitest';
import { createHarness } from './harness.js';

it('the committed OpenAPI document (docs/api/message-service.json) matches the routes', async () => {
  const { committed, current } = await apiDocuments('message-service', createHarness);
  expect(committed, 'a route changed: run pnpm docs:api and commit docs/api').toBe(current);
});
