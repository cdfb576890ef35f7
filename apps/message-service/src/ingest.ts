import type { MessageServiceConfig } from '@astria/config';
import type { Database, Executor } from '@astria/db';
import { type EventRuntime, groupCommit, type PendingEvent, pendingEvent } from '@astria/events';
import { maskPhone } from '@astria/service-kit';
import type { FastifyBaseLogger } from 'fastify';
import { applyConsent } from './conversation/consent.js';
import { onDeliveryFailed } from './conversation/delivery-failure.js';
import { needsPacks, previewPackId, runConversation } from './conversation/engine.js';
import type {
  Conversation,
  EngineConfig,
  EngineContext,
  EngineInput,
  EngineResult,
  Pack,
  Reply,
} from './conversation/types.js';
import {
  applyWindow,
  holdRefused,
  resolveTemplates,
  type TemplateConfig,
  type TemplatePurpose,
} from './conversation/window.js';
import type { MessageMetrics } from './metrics.js';
import type { PacksClient } from './packs.js';
import type { EffectGuard } from './rollout/effect-guard.js';
import { commitForwards, type ForwardPart } from './rollout/route-notification.js';
import {
  applyStatuses,
  erasedBefore,
  eraseUserData,
  languageOf,
  lockConversation,
  lockConversations,
  lockDeliveries,
  markRetried,
  packVideosOf,
  recordInboundAndLock,
  recordInboundMany,
  saveConversation,
  saveConversations,
  sentByWamid,
  storeFeedback,
} from './store.js';
import type { InboundMessage, ParsedNotification } from './webhook/notification.js';

export type Logger = Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;

export function engineConfigFrom(config: MessageServiceConfig): EngineConfig {
  return {
    minPhotos: config.MIN_TRAINING_PHOTOS,
    prices: { lite: config.LITE_TIER_PRICE, standard: config.STANDARD_TIER_PRICE, premium: config.PREMIUM_TIER_PRICE },
    paymentLinks: {
      lite: config.LITE_TIER_PAYMENT_LINK,
      standard: config.STANDARD_TIER_PAYMENT_LINK,
      premium: config.PREMIUM_TIER_PAYMENT_LINK,
    },
    supportContact: config.SUPPORT_CONTACT,
    exampleImageUrls: config.EXAMPLE_IMAGE_URLS,
    etaMinutes: config.TRAINING_ETA_MINUTES,
  };
}

export interface TurnDeps {
  events: EventRuntime;
  config: MessageServiceConfig;
  packs: PacksClient;
  metrics: MessageMetrics;
  logger: Logger;
  now?: () => Date;
  /** The move-over: keeps back the external effects of users this system does not serve. */
  effects?: EffectGuard | undefined;
}

/**
 * One turn of one user: the conversation row locked, the engine run, the new state, feedback and every
 * event and reply of the turn written to the outbox, all inside the caller's transaction.
 */
export class Turns {
  private readonly engineConfig: EngineConfig;
  private readonly now: () => Date;
  private readonly templates: TemplateConfig;

  /** Where turns and forwards are written. */
  get outbox() {
    return this.deps.events.outbox;
  }

  constructor(private readonly deps: TurnDeps) {
    this.engineConfig = engineConfigFrom(deps.config);
    this.templates = resolveTemplates(deps.config.WHATSAPP_TEMPLATES);
    this.now = deps.now ?? (() => new Date());
  }

  /** The Astria packs, only when one of the inputs needs them (an empty list when Astria is down). */
  async packsFor(inputs: readonly EngineInput[]): Promise<readonly Pack[]> {
    if (!inputs.some(needsPacks)) return [];
    try {
      return await this.deps.packs.list();
    } catch (error) {
      this.deps.logger.warn({ err: (error as Error).message }, 'Astria packs unavailable; menus show none');
      return [];
    }
  }

  /** A free-form send refused with 131047: held on the conversation, the follow-up template sent once. */
  readonly holdRefused: RefusedSendHandler = async (tx, userId, refused, correlationId) => {
    const conversation = await lockConversation(tx, userId);
    const result = holdRefused(conversation, refused, this.templates, this.now());
    await saveConversation(tx, result.conversation);
    await this.deps.events.outbox.addMany(
      tx,
      result.replies.map((reply) =>
        pendingEvent('whatsapp_send_requested', { to: userId, message: reply.message }, { key: userId, correlationId }),
      ),
    );
    if (result.templateSent) this.deps.metrics.templates.inc({ purpose: result.templateSent });
  };

  /**
   * WhatsApp reported, in a `failed` status, that a message it had accepted was not delivered (the
   * caller holds `lockDeliveries` for the wamid): portraits and payment links are sent again once or
   * explained in a text, a closed window holds the message behind the template; always counted.
   */
  readonly deliveryFailed: DeliveryFailedHandler = async (tx, wamid, code, correlationId) => {
    const sent = await sentByWamid(tx, wamid);
    const label = code === null ? 'none' : String(code);
    if (!sent?.message) {
      // Not recorded yet: the sender acts on it when it records the send (see lockDeliveries).
      this.deps.metrics.deliveryFailures.inc({ code: label, kind: 'unknown', action: 'pending_send' });
      return;
    }
    const { recipient, message } = sent;
    const language = await languageOf(tx, recipient);
    const action = onDeliveryFailed(message, code, sent.retried, sent.isRetry, language);
    this.deps.metrics.deliveryFailures.inc({ code: label, kind: message.kind, action: action.kind });
    this.deps.logger.warn(
      { user: maskPhone(recipient), kind: message.kind, code, action: action.kind },
      'WhatsApp reported a message undelivered',
    );
    if (action.kind === 'retry' || action.kind === 'tell_user') {
      const next = action.kind === 'retry' ? message : action.message;
      const [event] = await this.deps.events.outbox.addMany(tx, [
        pendingEvent('whatsapp_send_requested', { to: recipient, message: next }, { key: recipient, correlationId }),
      ]);
      if (action.kind === 'retry' && event) await markRetried(tx, sent.eventId, event.id);
    } else if (action.kind === 'hold_for_window') {
      await this.holdRefused(tx, recipient, { message }, correlationId);
    }
  };

  /**
   * The erasure's adapter side (engine.erase): the user's data in this service goes (store.eraseUserData),
   * the held replies and this turn's events too; the other services are told by `user_data_erased` (the
   * user named by the hash only) and the user gets the engine's confirmation.
   */
  private async erase(
    tx: Executor,
    before: Conversation,
    engine: EngineResult,
    input: EngineInput,
    correlationId: string,
  ): Promise<void> {
    const userId = before.userId;
    const { userHash, counts } = await eraseUserData(tx, userId, before.paymentsSeen);
    await this.deps.events.outbox.addMany(tx, [
      pendingEvent('user_data_erased', { userHash, erasedAt: this.now().toISOString() }, { key: userHash }),
      ...engine.replies.map((reply) =>
        pendingEvent('whatsapp_send_requested', { to: userId, message: reply.message }, { key: userId, correlationId }),
      ),
    ]);
    this.deps.metrics.transitions.inc({ transition: engine.transition, input: input.kind });
    this.deps.logger.info({ user: maskPhone(userId), counts }, 'user data erased');
  }

  /** One turn (a domain event's, or a message's already de-duplicated by the caller). */
  async apply(
    tx: Executor,
    userId: string,
    input: EngineInput,
    packs: readonly Pack[],
    correlationId: string,
    /** The webhook's routing already decided (the move-over): true keeps the effects back, false publishes them. */
    shadow?: boolean,
  ): Promise<void> {
    await this.applyMany(tx, [{ userId, input, correlationId, shadow }], packs);
  }

  /**
   * Several turns in one transaction, set-based: a message's de-dup record (messages only; an id seen
   * before, in the database or earlier in `requests`, is a duplicate), the conversations locked and
   * loaded, their new state and feedback written and every event and reply of the turns added to the
   * outbox, each of these one statement for all the turns. The engine runs per turn in the order
   * given, so give one user's turns in timestamp order. A domain event about data its user had erased
   * changes nothing (`ignored`).
   *
   * An erasure wipes the user's rows mid-sequence, which the set-based writes cannot follow: several
   * turns of which one erases throw `TurnsNeedOneByOne` before anything but the de-dup records and the
   * locks was written; the caller rolls back and runs them again with `oneByOne` (the same statements,
   * one turn at a time, in the same transaction).
   */
  async applyMany(
    tx: Executor,
    requests: readonly TurnRequest[],
    packs: readonly Pack[],
    options: { seen?: Set<string>; oneByOne?: boolean } = {},
  ): Promise<TurnOutcome[]> {
    const seen = options.seen ?? new Set<string>();
    if (!options.oneByOne || requests.length <= 1) return this.applyTogether(tx, requests, packs, seen);
    const outcomes: TurnOutcome[] = [];
    for (const request of requests) outcomes.push(...(await this.applyTogether(tx, [request], packs, seen)));
    return outcomes;
  }

  private async applyTogether(
    tx: Executor,
    requests: readonly TurnRequest[],
    packs: readonly Pack[],
    seen: Set<string>,
  ): Promise<TurnOutcome[]> {
    const outcomes: TurnOutcome[] = [];
    // De-dup: one statement for the messages' ids not already seen in this transaction; when every turn is
    // a message, the same statement locks the conversations of the users with a new one.
    const candidates = new Map<string, InboundMessage>();
    for (const { input } of requests)
      if (input.kind === 'message' && !seen.has(input.message.id)) candidates.set(input.message.id, input.message);
    const messagesOnly = requests.every((r) => r.input.kind === 'message');
    const { fresh, conversations: locked } = messagesOnly
      ? await recordInboundAndLock(tx, [...candidates.values()])
      : { fresh: await recordInboundMany(tx, [...candidates.values()]), conversations: null };
    for (const request of requests) {
      const { userId, input } = request;
      if (input.kind === 'message') {
        const isFresh = fresh.has(input.message.id) && !seen.has(input.message.id);
        if (isFresh) seen.add(input.message.id);
        outcomes.push(isFresh ? 'accepted' : 'duplicate');
        continue;
      }
      const paymentId = input.kind === 'payment_received' ? input.data.paymentId : null;
      if (await erasedBefore(tx, userId, paymentId)) {
        // The user erased their data since: an event about it (or a payment already applied) changes nothing.
        this.deps.metrics.transitions.inc({ transition: 'erased_user_event', input: input.kind });
        this.deps.logger.info({ user: maskPhone(userId), input: input.kind }, 'event for an erased user ignored');
        outcomes.push('ignored');
        continue;
      }
      outcomes.push('accepted');
    }
    const accepted = requests.filter((_, i) => outcomes[i] === 'accepted');
    if (accepted.length === 0) return outcomes;
    const conversations =
      locked ??
      (await lockConversations(
        tx,
        accepted.map((r) => r.userId),
      ));
    const now = this.now();
    const videos = new Map<number, Record<string, string>>();
    const turns: Array<{ request: TurnRequest; before: Conversation; decision: TurnDecision }> = [];
    // The pure part first, so that an erasure among several turns is found before anything else is written.
    for (const request of accepted) {
      const before = conversations.get(request.userId) as Conversation;
      const previewId = previewPackId(request.input);
      if (previewId !== null && !videos.has(previewId)) videos.set(previewId, await packVideosOf(tx, previewId));
      const context: EngineContext = {
        config: this.engineConfig,
        packs,
        packVideos: previewId !== null ? (videos.get(previewId) ?? {}) : {},
        now,
      };
      const decision = this.decide(before, request, context);
      if (decision.engine.erase && accepted.length > 1) throw new TurnsNeedOneByOne();
      conversations.set(request.userId, decision.conversation);
      turns.push({ request, before, decision });
    }
    const saves = new Map<string, { conversation: Conversation; turns: number }>();
    const feedback: Array<{ userId: string; rating: number | null; text: string | null }> = [];
    const outgoing: PendingEvent[] = [];
    const { effects } = this.deps;
    for (const { request, before, decision } of turns) {
      const { userId, input, correlationId } = request;
      if (decision.engine.erase) {
        await this.erase(tx, before, decision.engine, input, correlationId);
        continue;
      }
      this.record(request, decision);
      saves.set(userId, { conversation: decision.conversation, turns: (saves.get(userId)?.turns ?? 0) + 1 });
      for (const item of decision.feedback) feedback.push({ userId, ...item });
      outgoing.push(
        ...(effects
          ? await effects(tx, userId, input.kind, decision.outgoing, correlationId, request.shadow)
          : decision.outgoing),
      );
    }
    await saveConversations(tx, [...saves.values()]);
    await storeFeedback(tx, feedback);
    // Every event and reply of these turns in one statement (one round trip, one NOTIFY), in order.
    await this.deps.events.outbox.addMany(tx, outgoing);
    return outcomes;
  }

  /** The engine, opt-out (STOP/START) and the 24-hour window on one turn; no I/O. */
  private decide(conversation: Conversation, request: TurnRequest, context: EngineContext): TurnDecision {
    const { userId, input, correlationId } = request;
    const engine = runConversation(conversation, input, context);
    if (engine.erase) return { engine, conversation, feedback: [], outgoing: [], dropped: 0, templateSent: null };
    // Opt-out (STOP/START), then the 24-hour window: business-initiated replies wait behind a template while it is closed.
    const consent = applyConsent(
      conversation,
      engine.conversation,
      input,
      engine.replies,
      this.deps.config.OPT_OUT_KEYWORDS,
    );
    const window = applyWindow(consent.conversation, input, consent.replies, context.now, this.templates);
    const outgoing: PendingEvent[] = [
      ...engine.events.map((event) => ({
        type: event.type,
        data: event.data,
        options: { key: userId, correlationId },
      })),
      ...window.replies.map((reply) =>
        pendingEvent(
          'whatsapp_send_requested',
          { to: userId, message: reply.message, ...(reply.replyTo ? { replyTo: reply.replyTo } : {}) },
          { key: userId, correlationId },
        ),
      ),
    ];
    return {
      engine,
      conversation: window.conversation,
      feedback: consent.command !== null ? [] : engine.feedback,
      outgoing,
      dropped: consent.dropped,
      templateSent: window.templateSent ?? null,
    };
  }

  /** A turn's metrics and log lines. */
  private record({ userId, input, correlationId }: TurnRequest, decision: TurnDecision): void {
    if (decision.dropped > 0) {
      this.deps.metrics.optedOutDropped.inc({ input: input.kind }, decision.dropped);
      this.deps.logger.info(
        { user: maskPhone(userId), input: input.kind, dropped: decision.dropped },
        'user opted out; not sent',
      );
    }
    if (decision.templateSent) this.deps.metrics.templates.inc({ purpose: decision.templateSent });
    this.deps.metrics.transitions.inc({ transition: decision.engine.transition, input: input.kind });
    for (const alert of decision.engine.alerts) {
      this.deps.metrics.alerts.inc({ kind: input.kind });
      this.deps.logger.error({ alert: true, user: maskPhone(userId), correlationId, detail: alert }, 'support alert');
    }
  }
}

/** One turn for Turns.applyMany. */
export interface TurnRequest {
  userId: string;
  input: EngineInput;
  correlationId: string;
  /** The webhook's routing already decided (the move-over): true keeps the effects back, false publishes them. */
  shadow?: boolean | undefined;
}

/** `ignored`: a domain event about data its user had erased. */
export type TurnOutcome = 'accepted' | 'duplicate' | 'ignored';

/** Thrown (inside the transaction) by Turns.applyMany when turns must run one at a time; see there. */
export class TurnsNeedOneByOne extends Error {
  constructor() {
    super('an erasure among several turns: run them one by one');
    this.name = 'TurnsNeedOneByOne';
  }
}

interface TurnDecision {
  engine: EngineResult;
  conversation: Conversation;
  feedback: Array<{ rating: number | null; text: string | null }>;
  /** The turn's events and replies, before the move-over's effect guard. */
  outgoing: PendingEvent[];
  /** Replies not sent because the user opted out. */
  dropped: number;
  templateSent: TemplatePurpose | null;
}

/** Turns.deliveryFailed: a `failed` status for a message we sent (the caller holds lockDeliveries). */
export type DeliveryFailedHandler = (
  tx: Executor,
  wamid: string,
  code: number | null,
  correlationId: string,
) => Promise<void>;

/** Turns.holdRefused: what the sender calls when WhatsApp answers 131047 (window closed) to a free-form send. */
export type RefusedSendHandler = (tx: Executor, userId: string, refused: Reply, correlationId: string) => Promise<void>;

export interface IngestResult {
  accepted: number;
  duplicates: number;
  statuses: number;
}

interface IngestJob {
  notification: ParsedNotification;
  correlationId: string;
  /** The move-over: the old app's part, committed with the de-dup records. */
  forward: ForwardPart | null;
}

export interface WebhookIngestDeps {
  database: Database;
  turns: Turns;
  metrics: MessageMetrics;
  /** INGEST_MAX_CONCURRENT_TX and INGEST_MAX_BATCH. */
  config: Pick<MessageServiceConfig, 'INGEST_MAX_CONCURRENT_TX' | 'INGEST_MAX_BATCH'>;
}

/**
 * A verified webhook: every status and message in ONE transaction (de-dup, record, conversation,
 * outbox), resolved only after its commit. Group commit: while `maxConcurrentTx` transactions are
 * running, webhooks that arrive wait and then share the next transaction (up to `maxBatch`), so
 * under load several webhooks pay for one commit; when idle, a webhook gets its own at once.
 */
export class WebhookIngest {
  private readonly submit: (job: IngestJob) => Promise<IngestResult>;

  constructor(private readonly deps: WebhookIngestDeps) {
    this.submit = groupCommit(
      { maxConcurrentTx: deps.config.INGEST_MAX_CONCURRENT_TX, maxBatch: deps.config.INGEST_MAX_BATCH },
      async (batch: IngestJob[]) => {
        const results = await this.ingestGroup(batch);
        this.deps.metrics.groupSize.observe(batch.length);
        return results;
      },
    );
  }

  ingest(
    notification: ParsedNotification,
    correlationId: string,
    forward: ForwardPart | null = null,
  ): Promise<IngestResult> {
    return this.submit({ notification, correlationId, forward });
  }

  private async ingestGroup(batch: IngestJob[], oneByOne = false): Promise<IngestResult[]> {
    // Users in a stable order across concurrent transactions (no deadlocks); one user's messages in timestamp order.
    const messages = batch
      .flatMap((job, index) => job.notification.messages.map((message) => ({ message, index })))
      .sort((a, b) =>
        a.message.userId < b.message.userId
          ? -1
          : a.message.userId > b.message.userId
            ? 1
            : a.message.timestamp - b.message.timestamp,
      );
    const statuses = batch
      .flatMap((job, index) => job.notification.statuses.map((status) => ({ status, index })))
      .sort((a, b) => (a.status.wamid < b.status.wamid ? -1 : a.status.wamid > b.status.wamid ? 1 : 0));
    const { turns, metrics } = this.deps;
    const packs = await turns.packsFor(messages.map(({ message }) => ({ kind: 'message', message })));
    const results: IngestResult[] = [];
    const outcomes: Array<{ message: InboundMessage; outcome: 'accepted' | 'duplicate' }> = [];
    try {
      await this.deps.database.db.transaction(async (tx) => {
        results.length = 0;
        outcomes.length = 0;
        for (let i = 0; i < batch.length; i++) results.push({ accepted: 0, duplicates: 0, statuses: 0 });
        // All the group's statuses in one statement (see applyStatuses); a `failed` one's delivery lock is
        // taken before it (every transaction takes these locks, in wamid order, before any status row), and
        // the failure is acted on once its status is stored.
        await lockDeliveries(
          tx,
          statuses.filter((s) => s.status.status === 'failed').map((s) => s.status.wamid),
        );
        const applied = await applyStatuses(
          tx,
          statuses.map(({ status }) => status),
        );
        for (const [i, { status, index }] of statuses.entries()) {
          if (!applied[i]) continue;
          (results[index] as IngestResult).statuses++;
          if (status.status === 'failed')
            await turns.deliveryFailed(tx, status.wamid, status.errorCode, batch[index]?.correlationId ?? status.wamid);
        }
        // All the group's messages as set-based turns: one statement per table (see Turns.applyMany).
        const seen = new Set<string>();
        const turnOutcomes = await turns.applyMany(
          tx,
          messages.map(({ message, index }) => ({
            userId: message.userId,
            input: { kind: 'message', message },
            correlationId: batch[index]?.correlationId ?? message.id,
            shadow: batch[index]?.forward?.shadow ?? false,
          })),
          packs,
          { seen, oneByOne },
        );
        for (const [i, { message, index }] of messages.entries()) {
          const outcome = turnOutcomes[i] === 'accepted' ? 'accepted' : 'duplicate';
          const result = results[index] as IngestResult;
          if (outcome === 'accepted') result.accepted++;
          else result.duplicates++;
          outcomes.push({ message, outcome });
        }
        // The move-over's forwards of the group: one de-dup insert, one outbox insert (see commitForwards).
        await commitForwards(
          tx,
          turns.outbox,
          batch.flatMap((job) => (job.forward ? [{ forward: job.forward, correlationId: job.correlationId }] : [])),
          seen,
        );
      });
    } catch (error) {
      if (error instanceof TurnsNeedOneByOne && !oneByOne) return this.ingestGroup(batch, true);
      throw error;
    }
    for (const { message, outcome } of outcomes) metrics.inboundMessages.inc({ type: message.type, outcome });
    for (const { status } of statuses) metrics.statuses.inc({ status: status.status, outcome: 'applied' });
    return results;
  }
}
