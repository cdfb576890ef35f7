#!/usr/bin/env node
// `pnpm start` (after `turbo run build`): the sandbox — the whole bot in one process, with simulated
// WhatsApp, Astria and payments, and the chat page on http://localhost:7070. See docs/sandbox.md.
import { existsSync } from 'node:fs';

const main = new URL('../apps/sandbox/dist/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('The sandbox is not built (apps/sandbox/dist/main.js). Run `pnpm build` first, or just `pnpm start`.');
  process.exit(1);
}
await import(main.href);
