import { apiDocuments } from '@astria/service-host/testing';
import { expect, it } from 'vitest';
import { startTestApp } from './helpers.js';

it('the committed OpenAPI document (docs/api/payment-service.json) matches the routes', async () => {
  const { committed, current } = await apiDocuments('payment-service', () => startTestApp());
  expect(committed, 'a route changed: run pnpm docs:api and commit docs/api').toBe(current);
});
