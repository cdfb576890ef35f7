#!/usr/bin/env node
// `pnpm validate`: the post-deployment checklist (docs/operations/validation.md); exits 1 on any failure.
import { formatTable, runChecklist } from './checklist.js';
import { parseValidateArgs } from './validate-args.js';

let target: ReturnType<typeof parseValidateArgs>;
try {
  target = parseValidateArgs(process.argv.slice(2));
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
const results = await runChecklist(target);
console.log(formatTable(results));
const failed = results.filter((r) => r.result === 'fail').length;
console.log(failed ? `\n${failed} check(s) failed` : `\nall ${results.length} checks passed or skipped`);
process.exit(failed ? 1 : 0);
