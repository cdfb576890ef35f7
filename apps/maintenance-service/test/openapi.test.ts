import { createTestDatabase } from '@astria/db/testing';
import { apiDocuments } from '@astria/service-host/testing';
import { expect, it } from 'vitest';
import { buildApp, ensureMessagingTables, recordingImageMaintenance, testConfig } from './helpers.js';

// docs/api/maintenance-service.json is the route schemas' OpenAPI document; `pnpm docs:api` regenerates it.
it('the committed OpenAPI document (docs/api/maintenance-service.json) matches the routes', async () => {
  const database = await createTestDatabase();
  await ensureMessagingTables(database);
  const app = await buildApp(database, {
    config: testConfig(),
    imageMaintenance: recordingImageMaintenance().provider,
  });
  const h = {
    app,
    close: async () => {
      await app.close();
      await database.destroy();
    },
  };
  try {
    const { committed, current } = await apiDocuments(
      h.app,
      new URL('../../../docs/api/maintenance-service.json', import.meta.url),
    );
    expect(committed, 'a route changed: run pnpm docs:api and commit docs/api').toBe(current);
  } finally {
    await h.close();
  }
});
