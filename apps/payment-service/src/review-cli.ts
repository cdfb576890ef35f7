import type { Database } from '@astria/db';
import { createOutbox, normalizeUserId } from '@astria/events';
import { type CommandIo, parseCommand } from '@astria/service-kit/cli';
import { applyReviewedPayment, listNeedsReview, listRejections } from './review.js';
import { parseTier } from './tiers.js';

export const USAGE = `Usage:
  pnpm --filter @astria/payment-service payments review                 payments that need review, and 422 payloads kept
  pnpm --filter @astria/payment-service payments apply <id> [--tier <lite|standard|premium>] [--user <phone>]
                                          apply a needs_review payment (publishes payment_received once)

Reads DATABASE_URL (or PGLITE_DATA_DIR when unset: stop the sandbox first) and DEFAULT_COUNTRY_CODE.`;

/** `apply`'s arguments: the payment id and the optional overrides; undefined when malformed. */
function applyArguments(args: string[]): { id: string; tier?: string; user?: string } | undefined {
  const parsed = parseCommand(args, { tier: { type: 'string' }, user: { type: 'string' } });
  if (parsed.kind !== 'run') return undefined;
  const [id, ...rest] = parsed.positionals;
  if (!id || rest.length > 0) return undefined;
  const { tier, user } = parsed.values;
  return { id, ...(tier === undefined ? {} : { tier }), ...(user === undefined ? {} : { user }) };
}

/** The CLI without process concerns (tested directly). Returns the exit code. */
export async function runPaymentsCli(
  argv: string[],
  database: Database,
  io: Pick<CommandIo, 'stdout' | 'stderr'>,
  defaultCountryCode = '972',
): Promise<number> {
  const [command, ...args] = argv;
  if (command === 'review') {
    const items = await listNeedsReview(database);
    io.stdout(items.length === 0 ? 'No payments need review.' : `${items.length} payment(s) need review:`);
    for (const p of items) {
      io.stdout(
        `${p.id}  ${p.receivedAt.toISOString()}  ${p.provider} ${p.providerPaymentId}  ${p.reason ?? ''}  ` +
          `user=${p.userId ?? '-'} tier=${p.tier ?? '-'} ${p.amount ?? '-'} ${p.currency ?? ''} name=${p.name ?? '-'}`,
      );
    }
    const rejections = await listRejections(database);
    if (rejections.length > 0) {
      io.stdout(`${rejections.length} webhook(s) answered 422 (payload kept):`);
      for (const r of rejections) {
        io.stdout(
          `${r.id}  ${r.receivedAt.toISOString()}  ${r.provider}  ${r.reason}  ${JSON.stringify(r.rawPayload).slice(0, 200)}`,
        );
      }
    }
    return 0;
  }
  const apply = command === 'apply' ? applyArguments(args) : undefined;
  if (apply) {
    const { id, tier: tierText, user: userText } = apply;
    const tier = tierText === undefined ? undefined : parseTier(tierText);
    if (tier === null) {
      io.stderr(`--tier must be lite, standard or premium (got "${tierText}")`);
      return 2;
    }
    const userId = userText === undefined ? undefined : normalizeUserId(userText, { defaultCountryCode });
    if (userId === null) {
      io.stderr(`--user is not a phone number (got "${userText}")`);
      return 2;
    }
    const result = await applyReviewedPayment(database, createOutbox('payment-service'), id, {
      ...(tier ? { tier } : {}),
      ...(userId ? { userId } : {}),
    });
    if (!result.ok) {
      const why = {
        not_found: 'no such payment',
        not_in_review: 'the payment is not waiting for review (already applied?)',
        missing_user: 'the payment has no user: pass --user <phone>',
        missing_tier: 'the payment has no tier: pass --tier <lite|standard|premium>',
      }[result.reason];
      io.stderr(`Not applied: ${why}.`);
      return 1;
    }
    io.stdout(`Applied ${id}: payment_received ${result.eventId} (tier ${result.tier}).`);
    return 0;
  }
  io.stderr(USAGE);
  return 2;
}
