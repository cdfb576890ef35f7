#!/usr/bin/env node
import { loadDotEnvFile } from '@astria/config';
import { processIo, runCommandLine } from '@astria/service-kit/cli';
import { parseArgs, runTemplatesCli, USAGE } from './templates-cli.js';

runCommandLine(parseArgs(process.argv.slice(2)), USAGE, async (parsed) => {
  loadDotEnvFile(process.cwd(), process.env);
  return runTemplatesCli(parsed, processIo);
});
