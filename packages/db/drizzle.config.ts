import { defineConfig } from 'drizzle-kit';

// One migration folder per service schema, so each service's migrations evolve on their own.
// Generate with: pnpm --filter @astria/db db:generate <messaging|imaging|payments|maintenance|rollout>
const schemaName = process.env.DRIZZLE_SCHEMA;
if (!schemaName) throw new Error('DRIZZLE_SCHEMA is required (messaging, imaging, payments, maintenance or rollout)');

export default defineConfig({
  dialect: 'postgresql',
  schema: `./src/schema/${schemaName}.ts`,
  out: `./migrations/${schemaName}`,
  schemaFilter: [schemaName],
  migrations: { schema: 'drizzle', table: `${schemaName}_migrations` },
});
