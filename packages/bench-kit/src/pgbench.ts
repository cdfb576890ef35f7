import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** pgbench is not installed: the message names the Debian package that brings it. */
export class PgbenchMissingError extends Error {
  constructor() {
    super(
      'pgbench not found (looked at $PGBENCH, /usr/bin/pgbench and /usr/lib/postgresql/*/bin/pgbench). ' +
        'Install the Debian package postgresql-client (apt-get install postgresql-client), or set PGBENCH to its path.',
    );
    this.name = 'PgbenchMissingError';
  }
}

/** The pgbench binary: $PGBENCH, /usr/bin/pgbench, or the newest /usr/lib/postgresql/<version>/bin/pgbench. */
export function findPgbench(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [env.PGBENCH, '/usr/bin/pgbench'];
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `${root}/${v}/bin/pgbench`));
  }
  const found = candidates.find((path): path is string => Boolean(path) && existsSync(path as string));
  if (!found) throw new PgbenchMissingError();
  return found;
}

export interface PgbenchOptions {
  /** postgres:// URL of a database migrated with the repo's migrations. */
  url: string;
  /** The transaction script (a `.sql` file of bench/pgbench). */
  file: string;
  clients: number;
  seconds: number;
  /** pgbench threads (`-j`), at most `clients` (default 2: the machine's cores). */
  jobs?: number;
  /** A fixed rate in transactions per second across all clients (`-R`): a load generator, not a ceiling. */
  rate?: number;
  /** Variables of the script (`-D name=value`). */
  defines?: Record<string, string>;
}

export interface PgbenchResult {
  clients: number;
  tps: number;
  latencyAvgMs: number;
  transactions: number;
  failed: number;
}

/** Reads the figures of pgbench's summary (tps without the initial connection time, average latency). */
export function parsePgbenchOutput(output: string): Omit<PgbenchResult, 'clients'> {
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(output) ?? /tps = ([\d.]+)/.exec(output);
  if (!tps) throw new Error(`pgbench printed no tps:\n${output.slice(-2000)}`);
  const latency = /latency average = ([\d.]+) ms/.exec(output);
  const processed = /number of transactions actually processed: (\d+)/.exec(output);
  const failed = /number of failed transactions: (\d+)/.exec(output);
  return {
    tps: Math.round(Number(tps[1])),
    latencyAvgMs: latency ? Number(latency[1]) : Number.NaN,
    transactions: processed ? Number(processed[1]) : 0,
    failed: failed ? Number(failed[1]) : 0,
  };
}

/** Runs `pgbench -n -M prepared -c N -j J [-R rate] [-D var=value] -T S -f file <url>` (the C client: the honest ceiling, or a cheap fixed-rate load). */
export async function runPgbench(options: PgbenchOptions): Promise<PgbenchResult> {
  const jobs = Math.min(options.jobs ?? 2, options.clients);
  const args = ['-n', '-M', 'prepared', '-c', String(options.clients), '-j', String(jobs)];
  if (options.rate !== undefined) args.push('-R', String(options.rate));
  for (const [name, value] of Object.entries(options.defines ?? {})) args.push('-D', `${name}=${value}`);
  args.push('-T', String(options.seconds), '-f', options.file, options.url);
  const { stdout, stderr } = await run(findPgbench(), args, { maxBuffer: 16 * 1024 * 1024 });
  const figures = parsePgbenchOutput(`${stdout}\n${stderr}`);
  if (figures.transactions === 0) throw new Error(`pgbench processed no transaction:\n${stderr.slice(-2000)}`);
  return { clients: options.clients, ...figures };
}
