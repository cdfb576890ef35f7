#!/usr/bin/env node
import { loadDotEnvFile } from '@astria/config';
import { processIo, runCommandLine } from '@astria/service-kit/cli';
import { parseArgs, runCli, USAGE } from './cli-run.js';

runCommandLine(parseArgs(process.argv.slice(2)), USAGE, async (parsed) => {
  if (parsed.kind === 'serve') {
    await import('./main.js');
    return undefined;
  }
  loadDotEnvFile(process.cwd(), process.env);
  return runCli(parsed, processIo);
});
