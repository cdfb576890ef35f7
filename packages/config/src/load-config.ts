import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { config as readDotEnv } from 'dotenv';
import type { z } from 'zod';

/** One problem with one environment variable: which one, and what it expects. */
export interface ConfigProblem {
  variable: string;
  problem: string;
}

/** Thrown once, listing every missing or invalid variable. Never contains a value. */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(service: string, problems: ConfigProblem[]) {
    const lines = problems.map((p) => `  - ${p.variable}: ${p.problem}`);
    super(
      `Invalid configuration for ${service} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}\nSee .env.example for every variable and what it means.`,
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export type Env = Record<string, string | undefined>;

/**
 * Reads `.env` (or the file named by `ENV_FILE`) into `process.env` for local runs.
 * Variables already set in the environment win, so a deployment is never overridden by a stray file.
 */
export function loadDotEnvFile(cwd = process.cwd(), env: Env = process.env): string | undefined {
  const path = resolve(cwd, env.ENV_FILE ?? '.env');
  if (!existsSync(path)) return undefined;
  readDotEnv({ path, quiet: true, processEnv: env as Record<string, string> });
  return path;
}

function describeIssue(issue: z.core.$ZodIssue, env: Env): ConfigProblem {
  const variable = String(issue.path[0] ?? issue.path.join('.') ?? '(config)');
  const present = env[variable] !== undefined && env[variable] !== '';
  const problem = present ? `invalid: ${issue.message}` : `missing: ${issue.message}`;
  return { variable, problem };
}

/**
 * Validates the environment against a service's schema and returns a typed, frozen object.
 * Empty strings count as unset, so `FOO=` in a `.env` file falls back to the default.
 * Throws one ConfigError listing every problem; values (secrets or not) are never echoed.
 */
export function loadConfig<S extends z.ZodType>(
  service: string,
  schema: S,
  env: Env = process.env,
): Readonly<z.output<S>> {
  const cleaned: Env = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') cleaned[key] = value;
  }
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => describeIssue(issue, cleaned));
    throw new ConfigError(service, problems);
  }
  return Object.freeze(result.data) as Readonly<z.output<S>>;
}

/** Exit status of a command whose configuration is invalid (sysexits' EX_CONFIG). */
export const CONFIG_EXIT = 78;

/**
 * A command line's configuration (`loadConfig`), or undefined after writing every problem to `stderr`:
 * the command then exits with CONFIG_EXIT before it opens or calls anything.
 */
export function loadCommandConfig<S extends z.ZodType>(
  command: string,
  schema: S,
  io: { stderr(line: string): void; env: Env },
): Readonly<z.output<S>> | undefined {
  try {
    return loadConfig(command, schema, io.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr(error.message);
    return undefined;
  }
}
