#!/usr/bin/env node
import { loadDotEnvFile } from '@astria/config';
import { withCommandDatabase } from '@astria/db';
import { processIo, runCommand } from '@astria/service-kit/cli';
import { runPaymentsCli } from './review-cli.js';

/** `pnpm --filter @astria/payment-service payments …`: see USAGE in review-cli.ts. */
runCommand(async () => {
  loadDotEnvFile();
  const countryCode = processIo.env.DEFAULT_COUNTRY_CODE ?? '';
  return withCommandDatabase(processIo, { command: 'payments cli', poolMax: 2 }, ({ database }) =>
    runPaymentsCli(process.argv.slice(2), database, processIo, /^\d{1,3}$/.test(countryCode) ? countryCode : '972'),
  );
});
