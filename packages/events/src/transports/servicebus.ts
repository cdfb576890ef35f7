import { setMaxListeners } from 'node:events';
import type { SharedConfig } from '@astria/config';
import { type BackoffPolicy, backoffDelay, type Logger } from '@astria/service-kit';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import {
  RetryMode,
  type RetryOptions,
  ServiceBusClient,
  type ServiceBusClientOptions,
  type ServiceBusReceivedMessage,
  type ServiceBusReceiver,
  type ServiceBusSender,
  type ServiceBusSessionReceiver,
} from '@azure/service-bus';
import { EVENT_TYPES, topicName } from '../catalog.js';
import {
  type DeliveryInfo,
  errorMessage,
  type OutgoingEvent,
  PermanentDeliveryError,
  type Subscriber,
  type Transport,
  type TransportHealth,
} from '../transport.js';
import {
  describe,
  envelopeOf,
  groupByTopic,
  isOrderedType,
  TARGET_SUBSCRIPTION_PROPERTY,
  topicOf,
  toServiceBusMessage,
} from './servicebus/messages.js';
import { listServiceBusDeadLetters } from './servicebus-dlq.js';

export interface ServiceBusTransportOptions {
  /** A connection string (`Endpoint=sb://…`; the emulator's `UseDevelopmentEmulator=true` ones too)… */
  connectionString?: string;
  /** …or a namespace (`name` or `name.servicebus.windows.net`) reached with `credential`. */
  namespace?: string;
  /** Defaults to DefaultAzureCredential (workload identity on AKS). */
  credential?: TokenCredential;
  /** Redelivery backoff before a failed delivery is abandoned. */
  retry: BackoffPolicy;
  /** Sessions handled at once per (subscription, ordered topic). */
  maxConcurrentSessions?: number;
  /** Deliveries in progress at once per (subscription, unordered topic). */
  maxConcurrentCalls?: number;
  /** Messages fetched at once from a session (handled one at a time, in order). */
  sessionBatchSize?: number;
  /** How long an idle session is kept before its lock is given up for another. */
  sessionIdleMs?: number;
  /** Locks (message and session) are renewed for handlers running up to this long. */
  maxLockRenewalMs?: number;
  /** Longest wait for the broker to confirm a settlement before the message counts as lost. */
  settleTimeoutMs?: number;
  /** Batches several events of one publish into one AMQP transfer (createMessageBatch). */
  batching?: boolean;
  /** The SDK's retry and operation timeout (connection, link and management operations). */
  retryOptions?: RetryOptions;
  /** Topic opened by the readiness probe (defaults to the catalog's first topic). */
  probeTopic?: string;
  logger?: Logger;
}

type Settler = Pick<ServiceBusReceiver, 'completeMessage' | 'abandonMessage' | 'deadLetterMessage'>;
type ProcessResult = 'settled' | 'abandoned' | 'lost';

/** A failing session accept (broker unreachable…) is retried from 200 ms up to 10 s apart. */
const SESSION_ACCEPT_BACKOFF = { baseMs: 100, maxMs: 10_000 };

const NO_SESSION_CODES = new Set(['ServiceTimeout', 'SessionCannotBeLocked', 'OperationTimeout']);

function isNoSessionAvailable(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return typeof code === 'string' && NO_SESSION_CODES.has(code);
}

function bySequence(a: ServiceBusReceivedMessage, b: ServiceBusReceivedMessage): number {
  const x = a.sequenceNumber;
  const y = b.sequenceNumber;
  if (!x || !y) return 0;
  return x.compare(y);
}

function fullyQualifiedNamespace(namespace: string): string {
  const host = namespace.replace(/^sb:\/\//, '').replace(/\/$/, '');
  return host.includes('.') ? host : `${host}.servicebus.windows.net`;
}

/**
 * The Azure Service Bus transport. Topic per event type (`events-<type>`), one subscription per
 * subscribing service; ordered events travel in sessions keyed by the event key, and each session
 * is handled one message at a time, in sequence order, by one of a pool of session workers.
 * Peek-lock throughout: a message is completed only after the subscriber's inbox transaction
 * committed; a failure waits out the backoff then abandons (the broker counts the attempt); after
 * `maxDeliveryCount` attempts, or at once for a permanent error, it is dead-lettered with reason
 * and error into the subscription's `$deadletterqueue`.
 */
export class ServiceBusTransport implements Transport {
  readonly name = 'servicebus';
  readonly client: ServiceBusClient;
  private readonly subscribers: Subscriber[] = [];
  private readonly senders = new Map<string, ServiceBusSender>();
  private readonly sendChains = new Map<string, Promise<void>>();
  private readonly sendGenerations = new Map<string, number>();
  private readonly receivers = new Set<ServiceBusReceiver | ServiceBusSessionReceiver>();
  private readonly streams: Array<{ close(): Promise<void> }> = [];
  private readonly workers = new Set<Promise<void>>();
  private readonly inFlightDeliveries = new Set<Promise<unknown>>();
  private abort = new AbortController();
  private running = false;
  private closed = false;
  private consecutiveErrors = 0;
  private lastError: string | null = null;
  private probe: { at: number; result: TransportHealth } | null = null;
  private readonly options: Required<
    Pick<
      ServiceBusTransportOptions,
      | 'maxConcurrentSessions'
      | 'maxConcurrentCalls'
      | 'sessionBatchSize'
      | 'sessionIdleMs'
      | 'maxLockRenewalMs'
      | 'batching'
    >
  > &
    ServiceBusTransportOptions;

  constructor(options: ServiceBusTransportOptions) {
    this.options = {
      maxConcurrentSessions: 8,
      maxConcurrentCalls: 16,
      sessionBatchSize: 32,
      sessionIdleMs: 1000,
      maxLockRenewalMs: 5 * 60_000,
      batching: true,
      settleTimeoutMs: 15_000,
      ...options,
    };
    const clientOptions: ServiceBusClientOptions = {
      retryOptions: options.retryOptions ?? {
        maxRetries: 3,
        retryDelayInMs: 500,
        maxRetryDelayInMs: 10_000,
        mode: RetryMode.Exponential,
        timeoutInMs: 30_000,
      },
    };
    if (options.connectionString) {
      this.client = new ServiceBusClient(options.connectionString, clientOptions);
    } else if (options.namespace) {
      this.client = new ServiceBusClient(
        fullyQualifiedNamespace(options.namespace),
        options.credential ?? new DefaultAzureCredential(),
        clientOptions,
      );
    } else {
      throw new Error('The Service Bus transport needs a connection string or a namespace');
    }
  }

  // ---------------------------------------------------------------- publishing

  /**
   * Sends events in the order given, one send chain per topic so order per key holds across calls
   * (the relay does not await one publish before the next). When a send fails, the sends already
   * queued behind it on that topic fail too, so a later event of a key never overtakes an earlier
   * one: the relay keeps all of them pending and publishes them again, in order.
   */
  publish(events: readonly OutgoingEvent[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('service bus transport is closed'));
    const sends = [...groupByTopic(events)].map(([topic, list]) => this.queueSend(topic, list));
    return Promise.all(sends).then(() => undefined);
  }

  private queueSend(topic: string, events: OutgoingEvent[]): Promise<void> {
    const generation = this.sendGenerations.get(topic) ?? 0;
    const previous = this.sendChains.get(topic) ?? Promise.resolve();
    const next = previous.then(async () => {
      if ((this.sendGenerations.get(topic) ?? 0) !== generation) {
        throw new Error(`an earlier publish to ${topic} failed; publishing again in order`);
      }
      try {
        await this.send(topic, events);
        this.noteOk();
      } catch (error) {
        this.sendGenerations.set(topic, generation + 1);
        this.noteError(error);
        throw error;
      }
    });
    this.sendChains.set(
      topic,
      next.catch(() => {}),
    );
    return next;
  }

  private sender(topic: string): ServiceBusSender {
    let sender = this.senders.get(topic);
    if (!sender) {
      sender = this.client.createSender(topic);
      this.senders.set(topic, sender);
    }
    return sender;
  }

  private async send(topic: string, events: OutgoingEvent[]): Promise<void> {
    const sender = this.sender(topic);
    const messages = events.map((e) => toServiceBusMessage(e));
    if (!this.options.batching || messages.length === 1) {
      for (const message of messages) await sender.sendMessages(message);
      return;
    }
    let batch = await sender.createMessageBatch();
    for (const message of messages) {
      if (batch.tryAddMessage(message)) continue;
      if (batch.count === 0) throw new Error(`event ${String(message.messageId)} is larger than a Service Bus message`);
      await sender.sendMessages(batch);
      batch = await sender.createMessageBatch();
      if (!batch.tryAddMessage(message)) {
        throw new Error(`event ${String(message.messageId)} is larger than a Service Bus message`);
      }
    }
    if (batch.count > 0) await sender.sendMessages(batch);
  }

  // ---------------------------------------------------------------- consuming

  /** Peeks (without locking) the dead-letter sub-queue of each subscription: what `pnpm validate` watches. */
  async countDeadLetters(entities: ReadonlyArray<{ topic: string; subscription: string }>): Promise<number> {
    return (await listServiceBusDeadLetters(this.client, entities)).length;
  }

  async subscribe(subscriber: Subscriber): Promise<void> {
    this.subscribers.push(subscriber);
    if (this.running) this.startSubscriber(subscriber);
  }

  async start(): Promise<void> {
    if (this.running) return;
    if (this.closed) throw new Error('service bus transport is closed');
    this.running = true;
    this.abort = new AbortController();
    // Every session worker and backoff listens on it: dozens of listeners are expected.
    setMaxListeners(0, this.abort.signal);
    for (const subscriber of this.subscribers) this.startSubscriber(subscriber);
  }

  private startSubscriber(subscriber: Subscriber): void {
    for (const type of subscriber.types) {
      const topic = topicOf(type);
      if (isOrderedType(type)) {
        for (let i = 0; i < this.options.maxConcurrentSessions; i++) {
          this.track(this.sessionWorker(subscriber, topic));
        }
      } else {
        this.streamingReceiver(subscriber, topic);
      }
    }
  }

  private track(worker: Promise<void>): void {
    this.workers.add(worker);
    void worker.finally(() => this.workers.delete(worker));
  }

  private streamingReceiver(subscriber: Subscriber, topic: string): void {
    const receiver = this.client.createReceiver(topic, subscriber.subscription, {
      receiveMode: 'peekLock',
      maxAutoLockRenewalDurationInMs: this.options.maxLockRenewalMs,
    });
    this.receivers.add(receiver);
    const stream = receiver.subscribe(
      {
        processMessage: async (message) => {
          if (!this.running) {
            await receiver.abandonMessage(message).catch(() => {});
            return;
          }
          await this.process(subscriber, receiver, message);
        },
        processError: async (args) => {
          if (this.running) this.noteError(args.error);
        },
      },
      { autoCompleteMessages: false, maxConcurrentCalls: this.options.maxConcurrentCalls },
    );
    this.streams.push(stream);
  }

  private async sessionWorker(subscriber: Subscriber, topic: string): Promise<void> {
    let failures = 0;
    while (this.running) {
      let receiver: ServiceBusSessionReceiver;
      try {
        receiver = await this.client.acceptNextSession(topic, subscriber.subscription, {
          receiveMode: 'peekLock',
          maxAutoLockRenewalDurationInMs: this.options.maxLockRenewalMs,
          abortSignal: this.abort.signal,
        });
      } catch (error) {
        if (!this.running) return;
        if (isNoSessionAvailable(error)) {
          failures = 0;
          continue;
        }
        failures++;
        this.noteError(error);
        await this.pause(backoffDelay(failures + 1, SESSION_ACCEPT_BACKOFF));
        continue;
      }
      failures = 0;
      this.receivers.add(receiver);
      try {
        await this.drainSession(subscriber, receiver);
        this.noteOk();
      } catch (error) {
        if (this.running) this.noteError(error);
      } finally {
        this.receivers.delete(receiver);
        await receiver.close().catch(() => {});
      }
    }
  }

  /**
   * Handles one session's messages strictly in sequence order, one at a time. A failed message
   * is abandoned after its backoff and comes back first (the later ones stay locked in the
   * buffer), so nothing of the key overtakes it. Returns when the session stays idle.
   */
  private async drainSession(subscriber: Subscriber, receiver: ServiceBusSessionReceiver): Promise<void> {
    const buffer: ServiceBusReceivedMessage[] = [];
    let mustFetch = true;
    while (this.running) {
      if (mustFetch || buffer.length === 0) {
        const received = await receiver.receiveMessages(this.options.sessionBatchSize, {
          maxWaitTimeInMs: buffer.length > 0 ? Math.min(250, this.options.sessionIdleMs) : this.options.sessionIdleMs,
          abortSignal: this.abort.signal,
          // The SDK (7.9) otherwise waits up to 1 s after the first message for the batch to fill;
          // its receive options are passed through to the batching receiver, so this is honoured.
          maxTimeAfterFirstMessageInMs: 20,
        } as Parameters<ServiceBusSessionReceiver['receiveMessages']>[1]);
        for (const message of received) {
          if (!buffer.some((b) => b.sequenceNumber?.equals(message.sequenceNumber ?? -1))) buffer.push(message);
        }
        buffer.sort(bySequence);
        mustFetch = false;
        if (buffer.length === 0) return;
      }
      const message = buffer.shift() as ServiceBusReceivedMessage;
      const result = await this.process(subscriber, receiver, message);
      if (result === 'abandoned') mustFetch = true;
      else if (result === 'lost') throw new Error(`lost the lock of session ${receiver.sessionId}`);
    }
  }

  private process(
    subscriber: Subscriber,
    settler: Settler,
    message: ServiceBusReceivedMessage,
  ): Promise<ProcessResult> {
    const work = this.processOne(subscriber, settler, message);
    this.inFlightDeliveries.add(work);
    void work.finally(() => this.inFlightDeliveries.delete(work));
    return work;
  }

  private async processOne(
    subscriber: Subscriber,
    settler: Settler,
    message: ServiceBusReceivedMessage,
  ): Promise<ProcessResult> {
    const target = message.applicationProperties?.[TARGET_SUBSCRIPTION_PROPERTY];
    if (typeof target === 'string' && target !== subscriber.subscription) {
      // A replay addressed to another subscription of the topic: not ours, nothing to do.
      try {
        await this.settle(settler.completeMessage(message));
        return 'settled';
      } catch (settleError) {
        this.settleFailed(settleError, message);
        return 'lost';
      }
    }
    const raw = envelopeOf(message);
    const attempt = (message.deliveryCount ?? 0) + 1;
    const started = performance.now();
    const report = (info: Pick<DeliveryInfo, 'outcome'> & Partial<DeliveryInfo>) => {
      try {
        subscriber.onOutcome?.({
          subscription: subscriber.subscription,
          ...describe(raw),
          deliveryCount: attempt,
          durationMs: performance.now() - started,
          ...info,
        });
      } catch {
        // observability must never break delivery
      }
    };
    let outcome: 'handled' | 'duplicate';
    try {
      outcome = await subscriber.deliver(raw, attempt);
    } catch (error) {
      const permanent = error instanceof PermanentDeliveryError;
      if (permanent || attempt >= subscriber.maxDeliveryCount) {
        const reason = permanent ? error.reason : 'max_delivery_count_exceeded';
        try {
          await this.settle(
            settler.deadLetterMessage(message, {
              deadLetterReason: reason,
              deadLetterErrorDescription: errorMessage(error).slice(0, 4000),
            }),
          );
        } catch (settleError) {
          this.settleFailed(settleError, message);
          return 'lost';
        }
        report({ outcome: 'dead_lettered', error: errorMessage(error), reason });
        return 'settled';
      }
      report({ outcome: 'retry', error: errorMessage(error) });
      await this.pause(backoffDelay(attempt, this.options.retry));
      try {
        await this.settle(settler.abandonMessage(message));
      } catch (settleError) {
        this.settleFailed(settleError, message);
        return 'lost';
      }
      return 'abandoned';
    }
    try {
      await this.settle(settler.completeMessage(message));
    } catch (settleError) {
      // The effect committed with its inbox row: the redelivery is absorbed as a duplicate.
      this.settleFailed(settleError, message);
      report({ outcome });
      return 'lost';
    }
    report({ outcome });
    return 'settled';
  }

  /**
   * Bounds a settlement: after a connection drop the SDK may wait a full operation timeout for
   * the broker's answer about a disposition sent on the dead link. Past the bound the message is
   * treated as lost (the broker delivers it again; the inbox absorbs it).
   */
  private settle(operation: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      operation,
      new Promise<void>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no settlement answer within ${this.options.settleTimeoutMs} ms`)),
          this.options.settleTimeoutMs,
        );
        timer.unref();
      }),
    ]).finally(() => clearTimeout(timer));
  }

  private settleFailed(error: unknown, message: ServiceBusReceivedMessage): void {
    if (!this.running) return;
    this.options.logger?.warn(
      { err: errorMessage(error), messageId: message.messageId },
      'service bus: settling a message failed; the broker will deliver it again',
    );
  }

  /** Waits, cut short by stop(). */
  private pause(ms: number): Promise<void> {
    if (ms <= 0 || this.abort.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const signal = this.abort.signal;
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }

  // ---------------------------------------------------------------- lifecycle and health

  private noteOk(): void {
    this.consecutiveErrors = 0;
    this.lastError = null;
  }

  private noteError(error: unknown): void {
    this.consecutiveErrors++;
    this.lastError = errorMessage(error);
    if (this.consecutiveErrors === 1 || this.consecutiveErrors % 20 === 0) {
      this.options.logger?.warn(
        { err: this.lastError, consecutiveErrors: this.consecutiveErrors },
        'service bus: operation failed; retrying',
      );
    }
  }

  /** Deliveries being handled right now. */
  get inFlight(): number {
    return this.inFlightDeliveries.size;
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.abort.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.inFlightDeliveries, ...this.workers]).catch(() => {}),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    const streams = this.streams.splice(0);
    const receivers = [...this.receivers];
    this.receivers.clear();
    await Promise.all(
      [...streams.map((s) => s.close()), ...receivers.map((r) => r.close())].map((p) => p.catch(() => {})),
    );
  }

  /** Stops and closes the connection. */
  async close(timeoutMs = 10_000): Promise<void> {
    await this.stop(timeoutMs);
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.senders.values()].map((s) => s.close().catch(() => {})));
    this.senders.clear();
    await this.client.close().catch(() => {});
  }

  /**
   * Readiness: a sender link on a topic can be opened (connection, CBS and entity all answer),
   * checked at most every 5 s, and the receivers are not failing over and over.
   */
  async health(): Promise<TransportHealth> {
    if (this.closed) return { ok: false, detail: 'closed' };
    if (!this.running && this.subscribers.length > 0) return { ok: false, detail: 'stopped' };
    if (this.consecutiveErrors >= 3) {
      return { ok: false, detail: `service bus failing: ${this.lastError ?? 'unknown error'}` };
    }
    if (this.probe && Date.now() - this.probe.at < 5000) return this.probe.result;
    const topic = this.options.probeTopic ?? topicName(EVENT_TYPES[0] as (typeof EVENT_TYPES)[number]);
    let timer: NodeJS.Timeout | undefined;
    let result: TransportHealth;
    try {
      await Promise.race([
        this.sender(topic).createMessageBatch(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer within 3 s')), 3000);
          timer.unref();
        }),
      ]);
      result = { ok: true };
    } catch (error) {
      result = { ok: false, detail: `service bus unreachable: ${errorMessage(error)}` };
    } finally {
      clearTimeout(timer);
    }
    this.probe = { at: Date.now(), result };
    return result;
  }
}

/** The transport for `EVENT_TRANSPORT=servicebus` (see transport-factory.ts). */
export async function createServiceBusTransport(config: SharedConfig): Promise<ServiceBusTransport> {
  const options: ServiceBusTransportOptions = {
    retry: { baseMs: config.EVENT_RETRY_BASE_MS, maxMs: config.EVENT_RETRY_MAX_MS },
    maxConcurrentSessions: config.SERVICEBUS_MAX_CONCURRENT_SESSIONS,
    maxConcurrentCalls: config.SERVICEBUS_MAX_CONCURRENT_CALLS,
    sessionIdleMs: config.SERVICEBUS_SESSION_IDLE_MS,
  };
  if (config.SERVICEBUS_CONNECTION_STRING) options.connectionString = config.SERVICEBUS_CONNECTION_STRING;
  else if (config.SERVICEBUS_NAMESPACE) options.namespace = config.SERVICEBUS_NAMESPACE;
  return new ServiceBusTransport(options);
}
