import { apiDocuments } from '@astria/service-host/testing';
import { expect, it } from 'vitest';
import { startHarness } from './helpers.js';

it('the committed OpenAPI document (docs/api/image-service.json) matches the routes', async () => {
  const { committed, current } = await apiDocuments('image-service', () => startHarness());
  expect(committed, 'a route changed: run pnpm docs:api and commit docs/api').toBe(current);
});
