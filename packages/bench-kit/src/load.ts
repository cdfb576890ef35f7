import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadResult, LoadSpec } from './load-spec.js';

/**
 * Runs the load generator (autocannon) in its own process with `spec` and resolves with its figures,
 * one per target (the WhatsApp webhook, and SUMIT when payments are in the mix).
 */
export async function runLoad(spec: LoadSpec): Promise<LoadResult[]> {
  const worker = fileURLToPath(new URL('./load-worker.js', import.meta.url));
  const child = spawn(process.execPath, [worker], {
    env: { ...process.env, BENCH_LOAD_SPEC: JSON.stringify(spec) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`load generator exited ${code}: ${stderr.slice(-2000)}`);
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LoadResult);
}

/** The one result of `target` (throws when the load generator did not report it). */
export function resultOf(results: LoadResult[], target: LoadResult['target'] = 'whatsapp'): LoadResult {
  const found = results.find((r) => r.target === target);
  if (!found) throw new Error(`the load generator reported no ${target} figures`);
  return found;
}
