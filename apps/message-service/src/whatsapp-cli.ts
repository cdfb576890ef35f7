#!/usr/bin/env node
import { loadDotEnvFile } from '@astria/config';
import { parseArgs, runTemplatesCli, USAGE } from './templates-cli.js';

const parsed = parseArgs(process.argv.slice(2));
if (parsed.kind === 'help') {
  process.stdout.write(`${USAGE}\n`);
} else if (parsed.kind === 'usage') {
  process.stderr.write(`${parsed.error}\n\n${USAGE}\n`);
  process.exitCode = 2;
} else {
  loadDotEnvFile(process.cwd(), process.env);
  process.exitCode = await runTemplatesCli(parsed, {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
  });
}
