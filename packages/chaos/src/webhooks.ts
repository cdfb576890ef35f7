import { textNotification as buildText, signedHeaders } from '@astria/bench-kit';
import { makeWamid, metaSerialize } from '@astria/simulators/whatsapp';
import { APP_SECRET, NUMBER_ID } from './stack.js';

/** A text notification exactly as Meta sends it (one contact, one message): the benches' builder, the fault suite's number. */
export function textNotification(from: string, body: string, wamid = makeWamid(from)): Record<string, unknown> {
  return buildText(from, body, wamid, { phoneNumberId: NUMBER_ID, name: 'Chaos User' });
}

export interface PostResult {
  status: number;
  ms: number;
  retryAfter: string | null;
  /** network error text when status is 0 */
  error?: string;
}

/** Posts raw bytes signed with the app secret, as Meta does; status 0 when no HTTP answer came. */
export async function postSigned(url: string, body: string, timeoutMs = 15_000): Promise<PostResult> {
  const started = performance.now();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: signedHeaders(APP_SECRET, body),
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
    return {
      status: response.status,
      ms: performance.now() - started,
      retryAfter: response.headers.get('retry-after'),
    };
  } catch (error) {
    return { status: 0, ms: performance.now() - started, retryAfter: null, error: String(error) };
  }
}

export function postNotification(url: string, notification: unknown, timeoutMs?: number): Promise<PostResult> {
  return postSigned(url, metaSerialize(notification), timeoutMs);
}

/** A phone number for user i of a run: distinct users, never a real subscriber range. */
export function userPhone(run: number, i: number): string {
  return `9725${String(run % 1000).padStart(3, '0')}${String(i).padStart(5, '0')}`;
}

/** Runs `tasks` with at most `limit` at once. */
export async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await (tasks[i] as () => Promise<T>)();
      }
    }),
  );
  return results;
}

/** Polls until `condition` holds or `timeoutMs` passes; returns whether it held. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}
