/**
 * The programs development needs — ffmpeg and ffprobe for preview videos, Chromium for the sandbox
 * page's browser test — found in this order:
 *
 * 1. the path in the environment variable (`FFMPEG_PATH`, `FFPROBE_PATH`, `CHROMIUM_PATH`), when set;
 * 2. the system's program on `PATH`, when present (Debian's builds are smaller and patched);
 * 3. the copy an npm package ships (`@ffmpeg-installer/ffmpeg`, `@ffprobe-installer/ffprobe`,
 *    `@sparticuz/chromium`), so `pnpm install` alone is enough on a machine with only Node and pnpm.
 *
 * Development only: tests, benchmarks and the sandbox. Production images install Debian's ffmpeg and
 * never depend on this package.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';

const require = createRequire(import.meta.url);

export type ProgramSource = 'environment' | 'path' | 'package';

export interface ResolvedProgram {
  path: string;
  source: ProgramSource;
}

type Env = Record<string, string | undefined>;

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The first of `names` that is an executable file in one of `PATH`'s folders, or undefined. */
export function findOnPath(names: readonly string[], env: Env = process.env): string | undefined {
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}

function fromEnvironment(variable: string, env: Env): ResolvedProgram | undefined {
  const value = env[variable]?.trim();
  if (!value) return undefined;
  // A bare name ("ffmpeg") is looked up on PATH like a shell would; a path is taken as it is.
  if (!value.includes('/')) {
    const found = findOnPath([value], env);
    if (!found) throw new Error(`${variable}=${value} is not an executable on PATH`);
    return { path: found, source: 'environment' };
  }
  if (!isExecutableFile(value)) throw new Error(`${variable}=${value} is not an executable file`);
  return { path: value, source: 'environment' };
}

function packaged(moduleName: string, variable: string): string {
  let path: string;
  try {
    path = (require(moduleName) as { path: string }).path;
  } catch (error) {
    throw new Error(
      `${moduleName} is not installed and no ${variable} or system program was found; run pnpm install (${(error as Error).message})`,
    );
  }
  if (!isExecutableFile(path)) {
    throw new Error(`${path} (from ${moduleName}) is not executable; run pnpm install so its install script runs`);
  }
  return path;
}

function resolveBinary(variable: string, names: readonly string[], moduleName: string, env: Env): ResolvedProgram {
  const configured = fromEnvironment(variable, env);
  if (configured) return configured;
  const system = findOnPath(names, env);
  if (system) return { path: system, source: 'path' };
  return { path: packaged(moduleName, variable), source: 'package' };
}

/** ffmpeg: `FFMPEG_PATH`, else `ffmpeg` on PATH, else the static build of `@ffmpeg-installer/ffmpeg` (with libx264). */
export function resolveFfmpeg(env: Env = process.env): ResolvedProgram {
  return resolveBinary('FFMPEG_PATH', ['ffmpeg'], '@ffmpeg-installer/ffmpeg', env);
}

/** ffprobe: `FFPROBE_PATH`, else `ffprobe` on PATH, else the static build of `@ffprobe-installer/ffprobe`. */
export function resolveFfprobe(env: Env = process.env): ResolvedProgram {
  return resolveBinary('FFPROBE_PATH', ['ffprobe'], '@ffprobe-installer/ffprobe', env);
}

export interface ResolvedBrowser extends ResolvedProgram {
  /** Extra command-line arguments this build needs (the packaged one runs single-process, without a sandbox). */
  args: string[];
}

/**
 * Flags every headless start here takes: no background connections (this machine's network is
 * closed, and a test must not talk to anything but localhost), no first-run work.
 */
export const QUIET_BROWSER_ARGS: readonly string[] = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  '--disable-gpu',
];

/** Flags of the packaged build we keep: what it needs to run. Its defaults that weaken page security are dropped. */
const PACKAGED_BROWSER_ARGS: readonly string[] = [
  '--no-sandbox',
  '--no-zygote',
  '--single-process',
  '--disable-setuid-sandbox',
];

/**
 * Chromium: `CHROMIUM_PATH`, else `chromium` / `chromium-browser` / `google-chrome` on PATH, else
 * `@sparticuz/chromium` (a headless build unpacked into the temporary folder on first use).
 */
export async function resolveChromium(env: Env = process.env): Promise<ResolvedBrowser> {
  const configured = fromEnvironment('CHROMIUM_PATH', env);
  const rootArgs = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  if (configured) return { ...configured, args: [...QUIET_BROWSER_ARGS, ...rootArgs] };
  const system = findOnPath(['chromium', 'chromium-browser', 'google-chrome'], env);
  if (system) return { path: system, source: 'path', args: [...QUIET_BROWSER_ARGS, ...rootArgs] };
  const { default: Chromium } = await import('@sparticuz/chromium');
  Chromium.setGraphicsMode = false;
  const path = await Chromium.executablePath();
  return { path, source: 'package', args: [...QUIET_BROWSER_ARGS, ...PACKAGED_BROWSER_ARGS] };
}
