#!/usr/bin/env node
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildTopology, renderEmulatorConfig, renderTopologyFiles, withExtraSubscription } from './servicebus.js';

/**
 * Writes the Service Bus topology generated from the catalog (Terraform module + emulator
 * Config.json). `--check` writes nothing and exits 1 when a file is missing or stale.
 * `--emulator-test-config <file>` writes the emulator config the contract suite needs in CI.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: { check: { type: 'boolean', default: false }, 'emulator-test-config': { type: 'string' } },
  });
  const emulatorOut = values['emulator-test-config'];
  if (emulatorOut !== undefined) {
    // CI: the emulator's Config.json plus the contract suite's extra subscription, written to a path.
    const file = resolve(emulatorOut);
    writeFileSync(file, renderEmulatorConfig(withExtraSubscription(buildTopology(), 'image-service-audit')));
    console.log(`written     ${file}`);
    return 0;
  }
  const check = values.check;
  let stale = 0;
  for (const [path, content] of Object.entries(renderTopologyFiles())) {
    const file = resolve(root, path);
    let current: string | null = null;
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      current = null;
    }
    if (current === content) {
      console.log(`up to date  ${path}`);
      continue;
    }
    if (check) {
      stale++;
      console.error(`stale       ${path}`);
      continue;
    }
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    console.log(`written     ${path}`);
  }
  if (stale > 0) console.error('Run `pnpm --filter @astria/events topology` and commit the result.');
  return stale > 0 ? 1 : 0;
}

process.exit(main(process.argv.slice(2)));
