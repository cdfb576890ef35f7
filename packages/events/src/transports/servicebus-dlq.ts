import type { SharedConfig } from '@astria/config';
import { DefaultAzureCredential } from '@azure/identity';
import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import Long from 'long';
import { catalog, EVENT_TYPES, topicName } from '../catalog.js';
import { type DeadLetterFields, printDeadLetters } from '../dead-letters.js';
import type { EventEnvelope } from '../envelope.js';
import { describe, envelopeOf, toServiceBusMessage } from './servicebus/messages.js';

/** One subscription of one topic. */
export interface SubscriptionRef {
  topic: string;
  subscription: string;
}

export interface ServiceBusDeadLetter extends DeadLetterFields {
  /** `<topic>/<subscription>#<sequence number>`. */
  ref: string;
  topic: string;
  sequenceNumber: string;
}

/** Every (topic, subscription) of the catalog. */
export function catalogSubscriptions(): SubscriptionRef[] {
  const out: SubscriptionRef[] = [];
  for (const type of EVENT_TYPES) {
    for (const subscription of catalog[type].subscribers) out.push({ topic: topicName(type), subscription });
  }
  return out;
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === 'MessagingEntityNotFound' || /could not be found|not-found/i.test(String(error));
}

function view(entity: SubscriptionRef, message: ServiceBusReceivedMessage): ServiceBusDeadLetter {
  const info = describe(envelopeOf(message));
  const sequenceNumber = message.sequenceNumber?.toString() ?? '0';
  return {
    ref: `${entity.topic}/${entity.subscription}#${sequenceNumber}`,
    ...entity,
    ...info,
    reason: message.deadLetterReason ?? 'unknown',
    lastError: message.deadLetterErrorDescription ?? null,
    deliveryCount: message.deliveryCount ?? 0,
    deadLetteredAt: message.enqueuedTimeUtc ?? null,
    sequenceNumber,
  };
}

/** Peeks (without locking) the dead letters of the given subscriptions; missing entities are skipped. */
export async function listServiceBusDeadLetters(
  client: ServiceBusClient,
  entities: readonly SubscriptionRef[] = catalogSubscriptions(),
): Promise<ServiceBusDeadLetter[]> {
  const out: ServiceBusDeadLetter[] = [];
  for (const entity of entities) {
    const receiver = client.createReceiver(entity.topic, entity.subscription, { subQueueType: 'deadLetter' });
    try {
      // From the first sequence number every time: without it the SDK goes on after the last message peeked
      // on this entity by the same client, so a second listing (GET /ops/dead-letters again) would miss them.
      let fromSequenceNumber = Long.ZERO;
      for (;;) {
        const page = await receiver.peekMessages(100, { fromSequenceNumber });
        for (const message of page) out.push(view(entity, message));
        const last = page.at(-1)?.sequenceNumber;
        if (page.length < 100 || !last) break;
        fromSequenceNumber = last.add(1);
      }
    } catch (error) {
      if (!isNotFound(error)) throw error;
    } finally {
      await receiver.close().catch(() => {});
    }
  }
  return out;
}

/**
 * Sends dead letters back to their subscription: each matching message of the subscription's
 * `$deadletterqueue` is re-sent to its topic addressed to that subscription only (the
 * `targetSubscription` property: other subscriptions' consumers skip it), then removed from the dead-letter queue. The subscriber's inbox still
 * guarantees one effect. Returns the dead letters replayed.
 */
export async function replayServiceBusDeadLetters(
  client: ServiceBusClient,
  entity: SubscriptionRef,
  matches: (letter: ServiceBusDeadLetter) => boolean,
  options: { maxWaitTimeInMs?: number } = {},
): Promise<ServiceBusDeadLetter[]> {
  const receiver = client.createReceiver(entity.topic, entity.subscription, {
    subQueueType: 'deadLetter',
    receiveMode: 'peekLock',
  });
  const sender = client.createSender(entity.topic);
  const kept: ServiceBusReceivedMessage[] = [];
  const replayed: ServiceBusDeadLetter[] = [];
  try {
    for (;;) {
      const batch = await receiver.receiveMessages(100, { maxWaitTimeInMs: options.maxWaitTimeInMs ?? 1000 });
      if (batch.length === 0) break;
      for (const message of batch) {
        const letter = view(entity, message);
        if (!matches(letter)) {
          kept.push(message);
          continue;
        }
        const envelope = envelopeOf(message) as EventEnvelope;
        await sender.sendMessages(toServiceBusMessage({ envelope, targetSubscription: entity.subscription }));
        await receiver.completeMessage(message);
        replayed.push(letter);
      }
    }
  } finally {
    for (const message of kept) await receiver.abandonMessage(message).catch(() => {});
    await sender.close().catch(() => {});
    await receiver.close().catch(() => {});
  }
  return replayed;
}

function parseRef(ref: string): { entity: SubscriptionRef; sequenceNumber: string } {
  const match = /^([^/]+)\/([^#]+)#(\d+)$/.exec(ref);
  if (!match) {
    throw new Error(
      `"${ref}" is not a Service Bus dead-letter reference: expected <topic>/<subscription>#<sequence>, see "events dlq list"`,
    );
  }
  return {
    entity: { topic: match[1] as string, subscription: match[2] as string },
    sequenceNumber: match[3] as string,
  };
}

export function serviceBusClientFromConfig(config: SharedConfig): ServiceBusClient {
  if (config.SERVICEBUS_CONNECTION_STRING) return new ServiceBusClient(config.SERVICEBUS_CONNECTION_STRING);
  if (config.SERVICEBUS_NAMESPACE) {
    const host = config.SERVICEBUS_NAMESPACE.includes('.')
      ? config.SERVICEBUS_NAMESPACE
      : `${config.SERVICEBUS_NAMESPACE}.servicebus.windows.net`;
    return new ServiceBusClient(host, new DefaultAzureCredential());
  }
  throw new Error('SERVICEBUS_CONNECTION_STRING or SERVICEBUS_NAMESPACE is required');
}

/** `events dlq list|replay` for EVENT_TRANSPORT=servicebus (called by cli.ts). */
export async function runServiceBusDeadLetterCommand(
  config: SharedConfig,
  command: string,
  args: string[],
  out: Pick<Console, 'log' | 'error'> = console,
  client: ServiceBusClient = serviceBusClientFromConfig(config),
): Promise<number> {
  try {
    if (command === 'list') {
      printDeadLetters(await listServiceBusDeadLetters(client), out);
      return 0;
    }
    if (command !== 'replay') return 2;
    const all = args.includes('--all');
    const wanted = new Map<string, { entity: SubscriptionRef; sequences: Set<string> | null }>();
    if (all) {
      for (const entity of catalogSubscriptions()) {
        wanted.set(`${entity.topic}/${entity.subscription}`, { entity, sequences: null });
      }
    } else {
      for (const ref of args) {
        const { entity, sequenceNumber } = parseRef(ref);
        const key = `${entity.topic}/${entity.subscription}`;
        const entry = wanted.get(key) ?? { entity, sequences: new Set<string>() };
        entry.sequences?.add(sequenceNumber);
        wanted.set(key, entry);
      }
    }
    if (wanted.size === 0) {
      out.error('Name the dead letters to replay (see "pnpm events dlq list"), or --all.');
      return 2;
    }
    let failures = 0;
    for (const { entity, sequences } of wanted.values()) {
      let replayed: ServiceBusDeadLetter[];
      try {
        replayed = await replayServiceBusDeadLetters(
          client,
          entity,
          (letter) => sequences === null || sequences.has(letter.sequenceNumber),
        );
      } catch (error) {
        if (all && isNotFound(error)) continue;
        failures += sequences?.size ?? 1;
        out.error(`Not replayed from ${entity.topic}/${entity.subscription}: ${(error as Error).message}`);
        continue;
      }
      for (const d of replayed) out.log(`Replayed ${d.ref}: ${d.type} ${d.eventId} → ${d.subscription}`);
      if (sequences) {
        for (const sequence of sequences) {
          if (!replayed.some((d) => d.sequenceNumber === sequence)) {
            failures++;
            out.error(`Not replayed ${entity.topic}/${entity.subscription}#${sequence}: no such dead letter.`);
          }
        }
      }
    }
    return failures === 0 ? 0 : 1;
  } finally {
    await client.close().catch(() => {});
  }
}
