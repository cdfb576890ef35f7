/**
 * The load generator, run as its own process by `runLoad` (so its CPU and memory are never the
 * service's): autocannon POSTs signed WhatsApp webhooks of the requested mix to the message service
 * and, for payments, SUMIT webhooks to the payment service. Prints one JSON line per target.
 */
import { writeFileSync } from 'node:fs';
import autocannon from 'autocannon';
import type { LoadKind, LoadResult, LoadSpec } from './load-spec.js';
import {
  buttonReplyNotification,
  imageNotification,
  signedWebhook,
  statusNotification,
  textNotification,
} from './webhooks.js';

const spec = JSON.parse(process.env.BENCH_LOAD_SPEC ?? '{}') as LoadSpec;
const TEXTS = ['Hi there', 'שלום, אפשר פרטים?', 'How does it work?', 'hello'];
const TAPS: [string, string][] = [
  ['menu:how', 'How it works'],
  ['menu:begin', 'Start'],
  ['photos:examples', 'Examples'],
  ['photos:more', 'More photos'],
];

const epochMs = () => performance.timeOrigin + performance.now();
const sentLog: string[] = [];
let counter = 0;

function user(n: number): string {
  return `${spec.userPrefix}${String(n % spec.users).padStart(6, '0')}`;
}

/** Kinds in proportion to their weights, interleaved (a deterministic wheel, not random runs). */
function wheel(mix: Partial<Record<LoadKind, number>>): LoadKind[] {
  const kinds = Object.entries(mix).filter(([, w]) => (w ?? 0) > 0) as [LoadKind, number][];
  const slots: LoadKind[] = [];
  for (const [kind, weight] of kinds) for (let i = 0; i < weight; i++) slots.push(kind);
  // Spread each kind evenly over the wheel.
  return slots
    .map((kind, i) => ({ kind, at: (i - slots.indexOf(kind) + 0.5) / (mix[kind] ?? 1) }))
    .sort((a, b) => a.at - b.at)
    .map((s) => s.kind);
}

function whatsappRequest(kind: LoadKind): { body: string; headers: Record<string, string> } {
  const n = counter++;
  const from = user(n);
  const wamid = `wamid.bench.${spec.runId}.${n}`;
  const options = { phoneNumberId: spec.phoneNumberId };
  let notification: Record<string, unknown>;
  switch (kind) {
    case 'photo': {
      const media = spec.media?.[n % (spec.media?.length ?? 1)];
      notification = media
        ? imageNotification(from, media, wamid, options)
        : textNotification(from, 'photo', wamid, options);
      break;
    }
    case 'tap': {
      const [id, title] = TAPS[n % TAPS.length] as [string, string];
      notification = buttonReplyNotification(from, id, title, wamid, options);
      break;
    }
    case 'status':
      notification = statusNotification(`wamid.bench.out.${spec.runId}.${n}`, from, 'delivered', options);
      break;
    default:
      notification = textNotification(from, TEXTS[n % TEXTS.length] as string, wamid, options);
  }
  if (spec.logFile) sentLog.push(`${epochMs().toFixed(1)} ${kind} ${from} ${wamid}`);
  return signedWebhook(spec.appSecret, notification);
}

let payments = 0;
function sumitRequest(): { body: string; headers: Record<string, string> } {
  const n = payments++;
  const body = JSON.stringify({
    EntityID: 900_000_000 + Math.floor(Math.random() * 90_000_000),
    Properties: {
      'Property_M-3': [{ Name: 'Standard' }],
      'Property_M-5': [user(n * 37)],
      'Property_M-10': ['Bench'],
      'Property_M-12': [89],
    },
  });
  return { body, headers: { 'content-type': 'application/json' } };
}

async function cannon(
  target: LoadResult['target'],
  url: string,
  rate: number | undefined,
  connections: number,
  next: () => { body: string; headers: Record<string, string> },
): Promise<LoadResult> {
  const result = await autocannon({
    url,
    connections,
    duration: spec.durationSeconds,
    ...(rate ? { overallRate: rate } : {}),
    requests: [
      {
        method: 'POST',
        setupRequest: (request: Record<string, unknown>) => ({ ...request, ...next() }),
      },
    ],
  });
  return {
    target,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    total: result.requests.total,
  };
}

const mix = spec.mix ?? { text: 100 };
const totalWeight = Object.values(mix).reduce((a, b) => a + (b ?? 0), 0);
const paymentShare = spec.sumitWebhookUrl ? (mix.payment ?? 0) / totalWeight : 0;
const order = wheel({ ...mix, payment: 0 });
let turn = 0;
const runs: Promise<LoadResult>[] = [
  cannon(
    'whatsapp',
    spec.webhookUrl,
    spec.overallRate ? spec.overallRate * (1 - paymentShare) : undefined,
    spec.connections,
    () => whatsappRequest(order[turn++ % order.length] as LoadKind),
  ),
];
if (spec.sumitWebhookUrl && spec.overallRate && paymentShare > 0) {
  const rate = Math.max(1, spec.overallRate * paymentShare);
  runs.push(cannon('sumit', spec.sumitWebhookUrl, rate, 2, sumitRequest));
}
const results = await Promise.all(runs);
if (spec.logFile) writeFileSync(spec.logFile, `${sentLog.join('\n')}\n`);
for (const result of results) process.stdout.write(`${JSON.stringify(result)}\n`);
