import { userInfo } from 'node:os';
import type { Executor } from '@astria/db';
import { parseCommand } from '@astria/service-kit/cli';
import { STAGES, type Stage } from './owner.js';
import { ownerCounts, readStage, setStage, stageHistory } from './stage-store.js';

const USAGE = `Usage:
  pnpm rollout status
  pnpm rollout set --stage shadow|canary|full|fallback [--percent N] [--allow id,id] [--deny id,id] [--by NAME]
  pnpm rollout shadow-report [--old <postgres url>]   (default: MONOLITH_DATABASE_URL; read-only)

Reads and changes the move-over stage in DATABASE_URL; every pod follows within ROLLOUT_STAGE_TTL_MS.`;

function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Runs one command against a database; returns the lines to print. Exported for tests. */
export async function runRollout(db: Executor, argv: string[]): Promise<string[]> {
  const parsed = parseCommand(argv, {
    stage: { type: 'string' },
    percent: { type: 'string' },
    allow: { type: 'string' },
    deny: { type: 'string' },
    by: { type: 'string' },
  });
  if (parsed.kind === 'usage') throw new Error(`${parsed.error}\n${USAGE}`);
  if (parsed.kind === 'help' || parsed.positionals.length === 0) return [USAGE];
  const { values, positionals } = parsed;
  const [command] = positionals;
  if (command === 'status') {
    const settings = await readStage(db);
    const counts = await ownerCounts(db);
    const lines = [
      `stage ${settings.stage}${settings.stage === 'canary' ? ` ${settings.percent} %` : ''} (version ${settings.version})`,
      `allow ${settings.allow.length ? settings.allow.join(',') : '-'}; deny ${settings.deny.length ? settings.deny.join(',') : '-'}`,
      `users served by the new system ${counts.new}, by the old app ${counts.old}`,
      'changes (newest first):',
    ];
    for (const change of await stageHistory(db)) {
      lines.push(
        `  v${change.version} ${change.changedAt.toISOString()} by ${change.changedBy}: ${JSON.stringify(change.from)} -> ${JSON.stringify(change.to)}`,
      );
    }
    return lines;
  }
  if (command === 'set') {
    if (values.stage !== undefined && !(STAGES as readonly string[]).includes(values.stage)) {
      throw new Error(`--stage must be one of ${STAGES.join(', ')}`);
    }
    const percent = values.percent === undefined ? undefined : Number(values.percent);
    const settings = await setStage(
      db,
      { stage: values.stage as Stage | undefined, percent, allow: list(values.allow), deny: list(values.deny) },
      values.by ?? process.env.ROLLOUT_CHANGED_BY ?? userInfo().username,
    );
    return [
      `stage ${settings.stage}${settings.stage === 'canary' ? ` ${settings.percent} %` : ''} (version ${settings.version})`,
    ];
  }
  throw new Error(`unknown command ${command}\n${USAGE}`);
}
