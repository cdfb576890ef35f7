/**
 * pnpm bench:servicebus — publish and consume throughput of the Service Bus transport through the
 * real SDK over AMQP to the local test peer (127.0.0.1), with batching (createMessageBatch on
 * publish, up to 32 messages per session receive) against without (one transfer per event, one
 * message per receive), measured in the same run. Consumers do no I/O: this is the transport's own
 * cost. Last line: one JSON object with the figures.
 */

import type { OutgoingEvent } from '@astria/events';
import { buildEnvelope } from '@astria/events';
import { ServiceBusTransport } from '@astria/events/servicebus';
import { AmqpTestPeer, declareCatalog, PEER_RETRY_OPTIONS } from '@astria/events-testing';

const N = Number(process.env.BENCH_EVENTS ?? 2000);
const KEYS = Number(process.env.BENCH_KEYS ?? 64);
const CHUNK = Number(process.env.BENCH_CHUNK ?? 100);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 8);
const SESSION_IDLE_MS = Number(process.env.BENCH_SESSION_IDLE_MS ?? 200);

interface Run {
  mode: 'batching' | 'single';
  publishPerSecond: number;
  consumePerSecond: number;
  publishMs: number;
  consumeMs: number;
}

function events(): OutgoingEvent[] {
  return Array.from({ length: N }, (_, n) => ({
    envelope: buildEnvelope(
      'user_message_received',
      1,
      {
        userId: `u${n % KEYS}`,
        messageId: `wamid.bench.${n}`,
        receivedAt: new Date().toISOString(),
        type: 'text',
        text: `message ${n}`,
      },
      { source: 'message-service', key: `u${n % KEYS}` },
    ),
  }));
}

async function run(mode: Run['mode']): Promise<Run> {
  const peer = await AmqpTestPeer.start({ sessionWaitMs: 500 });
  declareCatalog(peer);
  const transport = new ServiceBusTransport({
    connectionString: peer.connectionString,
    retry: { baseMs: 50, maxMs: 500 },
    batching: mode === 'batching',
    sessionBatchSize: mode === 'batching' ? 32 : 1,
    maxConcurrentSessions: SESSIONS,
    sessionIdleMs: SESSION_IDLE_MS,
    retryOptions: PEER_RETRY_OPTIONS,
  });
  const all = events();
  // Publish first, with no consumer, so the two phases are measured apart.
  const publishStarted = performance.now();
  const sends: Promise<void>[] = [];
  for (let i = 0; i < all.length; i += CHUNK) sends.push(transport.publish(all.slice(i, i + CHUNK)));
  await Promise.all(sends);
  const publishMs = performance.now() - publishStarted;

  let handled = 0;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  await transport.subscribe({
    subscription: 'image-service',
    service: 'image-service',
    types: ['user_message_received'],
    maxDeliveryCount: 10,
    async deliver() {
      handled++;
      if (handled === N) resolveDone();
      return 'handled';
    },
    async storeDeadLetter() {},
  });
  const consumeStarted = performance.now();
  await transport.start();
  await done;
  const consumeMs = performance.now() - consumeStarted;
  await transport.close(2000);
  await peer.close();
  return {
    mode,
    publishMs: Math.round(publishMs),
    consumeMs: Math.round(consumeMs),
    publishPerSecond: Math.round(N / (publishMs / 1000)),
    consumePerSecond: Math.round(N / (consumeMs / 1000)),
  };
}

async function main(): Promise<void> {
  console.log(
    `bench:servicebus — ${N} events, ${KEYS} keys (sessions), publish calls of ${CHUNK}, ${SESSIONS} session workers, session idle ${SESSION_IDLE_MS} ms`,
  );
  await run('batching'); // warm-up: JIT, first connection
  const single = await run('single');
  const batching = await run('batching');
  for (const r of [single, batching]) {
    console.log(
      `${r.mode.padEnd(9)} publish ${String(r.publishPerSecond).padStart(6)} events/s (${r.publishMs} ms)   ` +
        `consume ${String(r.consumePerSecond).padStart(6)} events/s (${r.consumeMs} ms)`,
    );
  }
  const publishRatio = Number((batching.publishPerSecond / single.publishPerSecond).toFixed(2));
  const consumeRatio = Number((batching.consumePerSecond / single.consumePerSecond).toFixed(2));
  console.log(`batching / single: publish ×${publishRatio}, consume ×${consumeRatio}`);
  console.log(
    JSON.stringify({
      bench: 'servicebus',
      events: N,
      keys: KEYS,
      chunk: CHUNK,
      sessions: SESSIONS,
      sessionIdleMs: SESSION_IDLE_MS,
      single,
      batching,
      publishRatio,
      consumeRatio,
    }),
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
