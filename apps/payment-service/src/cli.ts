#!/usr/bin/env node
import { loadConfig, loadDotEnvFile, sharedConfigSchema } from '@astria/config';
import { createDatabase } from '@astria/db';
import { runPaymentsCli } from './review-cli.js';

/** `pnpm --filter @astria/payment-service payments …`: see USAGE in review-cli.ts. */
async function main(): Promise<number> {
  loadDotEnvFile();
  const config = loadConfig('payments cli', sharedConfigSchema);
  const database = await createDatabase({
    url: config.DATABASE_URL,
    pgliteDataDir: config.PGLITE_DATA_DIR,
    poolMax: 2,
  });
  try {
    return await runPaymentsCli(
      process.argv.slice(2),
      database,
      { out: (l) => console.log(l), err: (l) => console.error(l) },
      /^\d{1,3}$/.test(process.env.DEFAULT_COUNTRY_CODE ?? '') ? process.env.DEFAULT_COUNTRY_CODE : '972',
    );
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
