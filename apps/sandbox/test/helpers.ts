import { createTestDatabase, type TestDatabase, waitFor } from '@astria/db/testing';
import type { ChatMessage } from '../src/chat.js';
import { EPHEMERAL_PORTS } from '../src/ports.js';
import { type Sandbox, type StartSandboxOptions, startSandbox } from '../src/sandbox.js';

/** Every port 0, nothing printed, no logs: what every sandbox test starts. */
export const quiet: StartSandboxOptions = {
  ports: EPHEMERAL_PORTS,
  print: null,
  logLevel: 'silent',
  trainingDelayMs: 300,
  buildPreviews: false,
  env: {},
};

/**
 * The sandbox on the database the tests run on: a fresh PostgreSQL database when DATABASE_URL is
 * set (migrated by the sandbox itself, as at every start), in-memory PGlite otherwise.
 */
export interface TestSandbox {
  readonly sandbox: Sandbox;
  readonly database: TestDatabase | undefined;
  /** Closes the sandbox and starts it again on the same database and data directory. */
  restart(): Promise<Sandbox>;
  close(): Promise<void>;
}

export async function startTestSandbox(options: StartSandboxOptions = {}): Promise<TestSandbox> {
  const database = process.env.DATABASE_URL ? await createTestDatabase({ migrate: false, poolMax: 2 }) : undefined;
  const settings: StartSandboxOptions = {
    ...quiet,
    dataDir: 'memory',
    ...(database?.url ? { databaseUrl: database.url } : {}),
    ...options,
  };
  let sandbox = await startSandbox(settings);
  return {
    get sandbox() {
      return sandbox;
    },
    database,
    async restart() {
      await sandbox.close();
      sandbox = await startSandbox(settings);
      return sandbox;
    },
    async close() {
      await sandbox.close();
      await database?.destroy();
    },
  };
}

export function botMessages(sandbox: Sandbox, phone: string): ChatMessage[] {
  return sandbox.chat.conversation(phone).filter((m) => m.direction === 'out');
}

/** Waits for the bot to send a message matching `predicate` (after the first `after` bot messages). */
export function waitForBot(
  sandbox: Sandbox,
  phone: string,
  what: string,
  predicate: (message: ChatMessage) => boolean,
  { after = 0, timeoutMs = 15_000 }: { after?: number; timeoutMs?: number } = {},
): Promise<ChatMessage> {
  return waitFor(() => botMessages(sandbox, phone).slice(after).find(predicate), { timeoutMs, what, intervalMs: 20 });
}

export const hasChoice = (id: string) => (m: ChatMessage) =>
  Boolean(m.buttons?.some((b) => b.id === id) || m.list?.sections.some((s) => s.rows.some((r) => r.id === id)));

export function choiceIds(m: ChatMessage): string[] {
  return [...(m.buttons ?? []).map((b) => b.id), ...(m.list?.sections ?? []).flatMap((s) => s.rows.map((r) => r.id))];
}

export { waitFor };
