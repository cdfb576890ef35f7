import {
  CONFIG_EXIT,
  type Env,
  loadCommandConfig,
  type loadConfig,
  type SharedConfig,
  sharedConfigSchema,
} from '@astria/config';
import { createDatabase, type Database } from './client.js';

type DatabaseSettings = Pick<SharedConfig, 'DATABASE_URL' | 'PGLITE_DATA_DIR'> &
  Partial<
    Pick<
      SharedConfig,
      'DATABASE_STATEMENT_TIMEOUT_MS' | 'DATABASE_IDLE_IN_TX_TIMEOUT_MS' | 'DATABASE_CONNECT_TIMEOUT_MS'
    >
  >;

/** A configuration schema (zod) whose output holds the database settings. */
type ConfigSchema = Parameters<typeof loadConfig>[1];
type ConfigOf<S extends ConfigSchema> = ReturnType<typeof loadConfig<S>>;

export interface CommandDatabaseOptions<S extends ConfigSchema> {
  /** Names the command in configuration errors. */
  command: string;
  /** What the command reads from the environment (default: the shared settings). */
  schema?: S;
  poolMax: number;
  applicationName?: string;
}

/**
 * The shared middle of every command line that works on the database: the configuration (every problem
 * on stderr, status 78, before anything is opened), the database of DATABASE_URL (or the PGlite
 * directory), `run`, and the database closed whatever happens. Answers `run`'s exit status.
 */
export async function withCommandDatabase<S extends ConfigSchema = typeof sharedConfigSchema>(
  io: { stderr(line: string): void; env: Env },
  options: CommandDatabaseOptions<S>,
  run: (context: { config: ConfigOf<S>; database: Database }) => Promise<number>,
): Promise<number> {
  const config = loadCommandConfig(options.command, options.schema ?? sharedConfigSchema, io) as
    | ConfigOf<S>
    | undefined;
  if (config === undefined) return CONFIG_EXIT;
  const settings = config as unknown as DatabaseSettings;
  const database = await createDatabase({
    url: settings.DATABASE_URL,
    pgliteDataDir: settings.PGLITE_DATA_DIR,
    poolMax: options.poolMax,
    ...(options.applicationName ? { applicationName: options.applicationName } : {}),
    ...(settings.DATABASE_STATEMENT_TIMEOUT_MS ? { statementTimeoutMs: settings.DATABASE_STATEMENT_TIMEOUT_MS } : {}),
    ...(settings.DATABASE_IDLE_IN_TX_TIMEOUT_MS
      ? { idleInTransactionTimeoutMs: settings.DATABASE_IDLE_IN_TX_TIMEOUT_MS }
      : {}),
    ...(settings.DATABASE_CONNECT_TIMEOUT_MS ? { connectTimeoutMs: settings.DATABASE_CONNECT_TIMEOUT_MS } : {}),
  });
  try {
    return await run({ config, database });
  } finally {
    await database.close();
  }
}
