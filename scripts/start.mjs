#!/usr/bin/env node
// `pnpm start`: until the sandbox exists, start every built service on its port, configured from the environment.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const appsDir = new URL('../apps', import.meta.url).pathname;
const services = existsSync(appsDir)
  ? readdirSync(appsDir).filter((name) => existsSync(join(appsDir, name, 'dist', 'main.js')))
  : [];
if (services.length === 0) {
  console.error('No built service to start yet (apps/*/dist/main.js).');
  process.exit(1);
}
const children = services.map((name) => {
  const child = spawn(process.execPath, [join(appsDir, name, 'dist', 'main.js')], { stdio: 'inherit', env: process.env });
  child.on('exit', (code) => {
    console.error(`${name} exited with ${code}`);
    for (const other of children) if (other !== child) other.kill('SIGTERM');
    process.exitCode = code ?? 1;
  });
  return child;
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => children.forEach((c) => c.kill(signal)));
