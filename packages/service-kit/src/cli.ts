import { type ParseArgsConfig, parseArgs } from 'node:util';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

/**
 * One vocabulary for every command line of the repo (`pnpm maintenance`, `pnpm whatsapp`, `pnpm events`,
 * `pnpm rollout`, `pnpm db:migrate`, `payments`…): `node:util` parseArgs with `--help`/`-h` always known,
 * unknown options a usage error, and one way a command ends (exit status, errors on stderr).
 * Exported as `@astria/service-kit/cli` so a command loads nothing but `node:util`.
 */

/** Where a command writes its lines and which environment it reads: the process's, or a test's. */
export interface CommandIo {
  stdout(line: string): void;
  stderr(line: string): void;
  env: Record<string, string | undefined>;
}

export const processIo: CommandIo = {
  stdout: (line) => void process.stdout.write(`${line}\n`),
  stderr: (line) => void process.stderr.write(`${line}\n`),
  env: process.env,
};

/** Exit status of a command line that is not understood (`--help` shows the usage). */
export const USAGE_EXIT = 2;

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

type ParsedValues<O extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ options: O & typeof HELP; allowPositionals: true; strict: true }>
>['values'];

/** A parsed command line: what to run, a request for the usage, or what is wrong with it. */
export type ParsedCommand<O extends ParseArgsOptionsConfig> =
  | { kind: 'run'; values: ParsedValues<O>; positionals: string[] }
  | { kind: 'help' }
  | { kind: 'usage'; error: string };

/**
 * Parses `argv` against `options` (strict, positionals allowed). `--help` or `-h` anywhere asks for the
 * usage, even beside a mistake; an unknown option or a missing value is a usage error that names it.
 */
export function parseCommand<const O extends ParseArgsOptionsConfig>(
  argv: readonly string[],
  options: O,
): ParsedCommand<O> {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...options, ...HELP } as O & typeof HELP,
      allowPositionals: true,
      strict: true,
    });
    if ((values as { help?: boolean }).help) return { kind: 'help' };
    return { kind: 'run', values, positionals };
  } catch (error) {
    if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help' };
    const message = error instanceof Error ? error.message : String(error);
    const option = /Unknown option '([^']+)'/.exec(message)?.[1];
    return { kind: 'usage', error: option ? `unknown option ${option}` : message };
  }
}

/** A command's parse result with the help and usage cases every command shares. */
export type CommandLine<Run> = Run | { kind: 'help' } | { kind: 'usage'; error: string };

/**
 * How a command ends, apart from the process: `help` prints the usage on stdout (0); a usage error
 * prints the error and the usage on stderr (2); otherwise `run` answers the exit status (undefined: the
 * command keeps the process, as a server does). An error thrown is one line on stderr and status 1.
 */
export async function commandStatus<Run extends { kind: string }>(
  parsed: CommandLine<Run>,
  usage: string,
  run: (parsed: Run) => Promise<number | undefined>,
  io: Pick<CommandIo, 'stdout' | 'stderr'> = processIo,
): Promise<number | undefined> {
  if (parsed.kind === 'help') {
    io.stdout(usage);
    return 0;
  }
  if (parsed.kind === 'usage' && 'error' in parsed) {
    io.stderr(`${parsed.error}\n\n${usage}`);
    return USAGE_EXIT;
  }
  try {
    return await run(parsed as Run);
  } catch (error) {
    io.stderr(error instanceof Error ? error.message : String(error));
    return 1;
  }
}

/** The entry point of a command: `commandStatus`, then the process exits with it (open handles or not). */
export function runCommandLine<Run extends { kind: string }>(
  parsed: CommandLine<Run>,
  usage: string,
  run: (parsed: Run) => Promise<number | undefined>,
): void {
  void commandStatus(parsed, usage, run).then((code) => {
    if (code !== undefined) process.exit(code);
  });
}

/** The entry point of a command that reads its own arguments: `run`'s status, an error thrown is status 1. */
export function runCommand(run: () => Promise<number>): void {
  runCommandLine({ kind: 'run' }, '', run);
}
