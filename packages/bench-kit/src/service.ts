import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@astria/db/testing';
import { peakRssMb, processCpuMs } from './proc.js';

/** The repository root (this file is packages/bench-kit/{src,dist}/service.*). */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** Where `BENCH_CPU_PROF=1` writes the services' `.cpuprofile` files. */
export const CPU_PROFILE_DIR = join(REPO, '.data', 'cpuprofile');

/** The one free-port finder of the repo's tests and benches. */
export { freePort };

export interface ServiceProcessOptions {
  /** The script, relative to the repository (default `apps/<service>/dist/main.js`). */
  entry?: string;
  /** Write a V8 CPU profile of the process to CPU_PROFILE_DIR when it exits (default: BENCH_CPU_PROF=1). */
  cpuProfile?: boolean;
  /** How often `waitReady` asks (default 100 ms; the start bench asks more often). */
  pollMs?: number;
  /** Where readiness is asked (default `<url>/health/ready`; e.g. the sandbox's message service). */
  readyUrl?: string;
}

/** One service as a real process: `node apps/<service>/dist/main.js` with its environment. */
export class ServiceProcess {
  child: ChildProcess | undefined;
  exits: { code: number | null; signal: NodeJS.Signals | null }[] = [];
  stderr = '';
  /** ms from spawn to the first 200 of the readiness check. */
  readyMs = Number.NaN;
  /** The profile this process writes when it exits (with `cpuProfile`). */
  cpuProfileFile: string | undefined;
  constructor(
    readonly service: string,
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly options: ServiceProcessOptions = {},
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    const pid = this.child?.pid;
    if (pid === undefined) throw new Error(`${this.service} is not running`);
    return pid;
  }

  async start(readyTimeoutMs = 45_000): Promise<void> {
    const args: string[] = [];
    if (this.options.cpuProfile ?? process.env.BENCH_CPU_PROF === '1') {
      mkdirSync(CPU_PROFILE_DIR, { recursive: true });
      this.cpuProfileFile = join(CPU_PROFILE_DIR, `${this.service}-${Date.now()}.cpuprofile`);
      args.push(
        '--cpu-prof',
        `--cpu-prof-dir=${CPU_PROFILE_DIR}`,
        `--cpu-prof-name=${this.cpuProfileFile.slice(CPU_PROFILE_DIR.length + 1)}`,
      );
    }
    args.push(this.options.entry ?? `apps/${this.service}/dist/main.js`);
    const started = performance.now();
    const child = spawn(process.execPath, args, {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', ...this.env, PORT: String(this.port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    // Logs (stdout, level error and above) and stderr, the last 200 kB, to explain a crash.
    const keep = (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-200_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', (code, signal) => this.exits.push({ code, signal }));
    try {
      await this.waitReady(readyTimeoutMs);
      this.readyMs = performance.now() - started;
    } catch (error) {
      // Never leave a process behind that did not become ready (it would outlive the run).
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      throw error;
    }
  }

  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const readyUrl = this.options.readyUrl ?? `${this.url}/health/ready`;
    for (;;) {
      if (this.child?.exitCode !== null && this.child?.exitCode !== undefined) {
        throw new Error(`${this.service} exited (${this.child.exitCode}): ${this.stderr.slice(-2000)}`);
      }
      try {
        const response = await fetch(readyUrl, { signal: AbortSignal.timeout(1000) });
        await response.arrayBuffer();
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${this.service} not ready within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, this.options.pollMs ?? 100));
    }
  }

  /** CPU time (user + system, ms) the process has used so far. */
  cpuMs(): number {
    return processCpuMs(this.pid);
  }

  /** Its peak resident set size so far (MB). */
  peakRssMb(): number {
    return peakRssMb(this.pid);
  }

  /** Sends the signal and resolves when the process has exited. */
  async kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null)
      return { code: child?.exitCode ?? null, signal: null };
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, sig) => resolve({ code, signal: sig })),
    );
    child.kill(signal);
    return exited;
  }

  /** SIGTERM (the process drains and exits, writing its CPU profile), SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    const timer = setTimeout(() => void this.kill('SIGKILL'), graceMs);
    await this.kill('SIGTERM');
    clearTimeout(timer);
  }

  get crashed(): boolean {
    return this.exits.some((e) => e.signal === null && e.code !== 0);
  }
}
