import type { MessageServiceConfig } from '@astria/config';
import type { AppTransaction, Database, Executor } from '@astria/db';
import { type EventHandlers, type EventRuntime, pendingEvent, withExternalEffect } from '@astria/events';
import { maskPhone } from '@astria/service-kit';
import { needsPacks, previewPackId, runConversation } from './conversation/engine.js';
import type { EngineConfig, EngineContext, EngineInput, Pack } from './conversation/types.js';
import { GraphApiError, type GraphClient } from './graph/client.js';
import type { Throttle } from './graph/throttle.js';
import type { MessageMetrics } from './metrics.js';
import type { PacksClient } from './packs.js';
import {
  applyStatus,
  lockConversation,
  packVideosOf,
  recordInbound,
  recordSend,
  saveConversation,
  storeFeedback,
  upsertPackVideo,
} from './store.js';
import type { InboundMessage, ParsedNotification } from './webhook/notification.js';

/** What a Graph send came to, recorded with the inbox row. */
type SendOutcome =
  | { ok: true; wamid: string | null; attempts: number }
  | { ok: false; errorCode: number | null; errorMessage: string };

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface MessageServiceDeps {
  database: Database;
  events: EventRuntime;
  config: MessageServiceConfig;
  packs: PacksClient;
  graph: GraphClient;
  throttle: Throttle;
  metrics: MessageMetrics;
  logger: Logger;
  now?: () => Date;
}

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

interface IngestJob {
  notification: ParsedNotification;
  correlationId: string;
  resolve(result: IngestResult): void;
  reject(error: unknown): void;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
  statuses: number;
}

/** The message service's behaviour, independent of HTTP: ingest webhooks, apply events, send. */
export class MessageService {
  private readonly engineConfig: EngineConfig;
  private readonly now: () => Date;

  constructor(private readonly deps: MessageServiceDeps) {
    this.engineConfig = engineConfigFrom(deps.config);
    this.now = deps.now ?? (() => new Date());
  }

  private async packsFor(inputs: readonly EngineInput[]): Promise<readonly Pack[]> {
    if (!inputs.some(needsPacks)) return [];
    try {
      return await this.deps.packs.list();
    } catch (error) {
      this.deps.logger.warn({ err: (error as Error).message }, 'Astria packs unavailable; menus show none');
      return [];
    }
  }

  /** One turn of one user, inside the caller's transaction. */
  async applyInput(
    tx: Executor,
    userId: string,
    input: EngineInput,
    packs: readonly Pack[],
    correlationId: string,
  ): Promise<void> {
    const conversation = await lockConversation(tx, userId);
    const previewId = previewPackId(input);
    const context: EngineContext = {
      config: this.engineConfig,
      packs,
      packVideos: previewId !== null ? await packVideosOf(tx, previewId) : {},
      now: this.now(),
    };
    const result = runConversation(conversation, input, context);
    await saveConversation(tx, result.conversation);
    await storeFeedback(tx, userId, result.feedback);
    // Every event and reply of this turn in one statement (one round trip), in order.
    await this.deps.events.outbox.addMany(tx, [
      ...result.events.map((event) => ({
        type: event.type,
        data: event.data,
        options: { key: userId, correlationId },
      })),
      ...result.replies.map((reply) =>
        pendingEvent(
          'whatsapp_send_requested',
          { to: userId, message: reply.message, ...(reply.replyTo ? { replyTo: reply.replyTo } : {}) },
          { key: userId, correlationId },
        ),
      ),
    ]);
    this.deps.metrics.transitions.inc({ transition: result.transition, input: input.kind });
    for (const alert of result.alerts) {
      this.deps.metrics.alerts.inc({ kind: input.kind });
      this.deps.logger.error({ alert: true, user: maskPhone(userId), correlationId, detail: alert }, 'support alert');
    }
  }

  /**
   * A verified webhook: every status and message in ONE transaction (de-dup, record, conversation,
   * outbox), resolved only after its commit. Group commit: while `maxConcurrentTx` transactions are
   * running, webhooks that arrive wait and then share the next transaction (up to `maxBatch`), so
   * under load several webhooks pay for one commit; when idle, a webhook gets its own at once.
   */
  ingest(notification: ParsedNotification, correlationId: string): Promise<IngestResult> {
    return new Promise<IngestResult>((resolve, reject) => {
      this.pending.push({ notification, correlationId, resolve, reject });
      this.pump();
    });
  }

  private readonly pending: IngestJob[] = [];
  private running = 0;

  private pump(): void {
    const { maxConcurrentTx, maxBatch } = this.groupCommit;
    while (this.running < maxConcurrentTx && this.pending.length > 0) {
      const batch = this.pending.splice(0, maxBatch);
      this.running++;
      void this.runGroup(batch).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private get groupCommit() {
    return {
      maxConcurrentTx: this.deps.config.INGEST_MAX_CONCURRENT_TX,
      maxBatch: this.deps.config.INGEST_MAX_BATCH,
    };
  }

  private async runGroup(batch: IngestJob[]): Promise<void> {
    try {
      const results = await this.ingestGroup(batch);
      for (const [i, job] of batch.entries()) job.resolve(results[i] as IngestResult);
      this.deps.metrics.groupSize.observe(batch.length);
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      // One bad webhook must not fail its neighbours: retry each in its own transaction.
      await Promise.all(batch.map((job) => this.runGroup([job])));
    }
  }

  private async ingestGroup(batch: IngestJob[]): Promise<IngestResult[]> {
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
    const packs = await this.packsFor(messages.map(({ message }) => ({ kind: 'message', message })));
    const results: IngestResult[] = [];
    const outcomes: Array<{ message: InboundMessage; outcome: 'accepted' | 'duplicate' }> = [];
    await this.deps.database.db.transaction(async (tx) => {
      results.length = 0;
      outcomes.length = 0;
      for (let i = 0; i < batch.length; i++) results.push({ accepted: 0, duplicates: 0, statuses: 0 });
      const seen = new Set<string>();
      for (const { status, index } of statuses) {
        if (await applyStatus(tx, status)) (results[index] as IngestResult).statuses++;
      }
      for (const { message, index } of messages) {
        const result = results[index] as IngestResult;
        if (seen.has(message.id) || !(await recordInbound(tx, message))) {
          result.duplicates++;
          outcomes.push({ message, outcome: 'duplicate' });
          continue;
        }
        seen.add(message.id);
        const correlationId = batch[index]?.correlationId ?? message.id;
        await this.applyInput(tx, message.userId, { kind: 'message', message }, packs, correlationId);
        result.accepted++;
        outcomes.push({ message, outcome: 'accepted' });
      }
    });
    for (const { message, outcome } of outcomes) this.deps.metrics.inboundMessages.inc({ type: message.type, outcome });
    for (const { status } of statuses) this.deps.metrics.statuses.inc({ status: status.status, outcome: 'applied' });
    return results;
  }

  private async domainEvent(tx: AppTransaction, userId: string, input: EngineInput, correlationId: string | null) {
    const packs = await this.packsFor([input]);
    await this.applyInput(tx, userId, input, packs, correlationId ?? userId);
  }

  /** Consumers of the catalog events this service subscribes to; each commits with its inbox row. */
  handlers(): EventHandlers {
    return {
      image_processed: (event, tx) =>
        this.domainEvent(tx, event.data.userId, { kind: 'image_processed', data: event.data }, event.correlationId),
      payment_received: (event, tx) =>
        this.domainEvent(tx, event.data.userId, { kind: 'payment_received', data: event.data }, event.correlationId),
      tune_created: (event, tx) =>
        this.domainEvent(tx, event.data.userId, { kind: 'tune_created', data: event.data }, event.correlationId),
      images_generated: (event, tx) =>
        this.domainEvent(tx, event.data.userId, { kind: 'images_generated', data: event.data }, event.correlationId),
      training_failed: (event, tx) =>
        this.domainEvent(tx, event.data.userId, { kind: 'training_failed', data: event.data }, event.correlationId),
      pack_images_updated: async (event, tx) => {
        await upsertPackVideo(tx, event.data.packId, event.data.subjectClass, event.data.url);
      },
      // The Graph call runs outside any transaction (no pooled connection held while waiting on the
      // throttle or WhatsApp); its outcome is recorded with the inbox row afterwards.
      whatsapp_send_requested: withExternalEffect(
        async (event): Promise<SendOutcome> => {
          const { to, message, replyTo } = event.data;
          const started = performance.now();
          const { metrics, logger } = this.deps;
          await this.deps.throttle.acquire();
          try {
            const sent = await this.deps.graph.send(to, message, replyTo);
            metrics.sends.inc({ kind: message.kind, outcome: 'sent', code: '' });
            metrics.sendDuration.observe({ outcome: 'sent' }, (performance.now() - started) / 1000);
            return { ok: true, wamid: sent.wamid, attempts: sent.attempts };
          } catch (error) {
            if (!(error instanceof GraphApiError)) throw error;
            if (error.retryable) {
              // Hand it back: the transport retries later and keeps later messages to this user waiting.
              metrics.sends.inc({ kind: message.kind, outcome: 'retry_later', code: error.label });
              throw error;
            }
            metrics.sends.inc({ kind: message.kind, outcome: 'failed', code: error.label });
            metrics.sendDuration.observe({ outcome: 'failed' }, (performance.now() - started) / 1000);
            metrics.alerts.inc({ kind: `send_${error.label}` });
            logger.error(
              {
                alert: true,
                to: maskPhone(to),
                kind: message.kind,
                code: error.code,
                status: error.status,
                err: error.message,
              },
              'WhatsApp send failed permanently; not retried',
            );
            return { ok: false, errorCode: error.code ?? error.status, errorMessage: error.message };
          }
        },
        async (event, tx, outcome) => {
          const base = { eventId: event.id, recipient: event.data.to, kind: event.data.message.kind };
          await recordSend(
            tx,
            outcome.ok
              ? { ...base, wamid: outcome.wamid, outcome: 'sent', attempts: outcome.attempts }
              : {
                  ...base,
                  wamid: null,
                  outcome: 'failed',
                  errorCode: outcome.errorCode,
                  errorMessage: outcome.errorMessage,
                  attempts: 1,
                },
          );
        },
      ),
    };
  }
}
