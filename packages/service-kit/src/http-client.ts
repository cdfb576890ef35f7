/**
 * The small HTTP client base under the external APIs (Graph, Astria, Stripe…): one request with a
 * timeout, typed errors (`HttpError` for an answer that is not 2xx, `NetworkError` for a request that
 * never completed), Retry-After parsing, and the default retry predicate for `withRetry`.
 */
import type { RetryPolicy, RetrySchedule } from './retry.js';

export class HttpError extends Error {
  /** From a Retry-After header, when the server sent one. */
  retryAfterMs: number | undefined;
  constructor(
    readonly service: string,
    readonly status: number,
    readonly body: string,
    message?: string,
  ) {
    super(message ?? `${service} answered HTTP ${status}`);
    this.name = 'HttpError';
  }
}

/** The request did not complete: connection refused/reset, DNS, or our own timeout. */
export class NetworkError extends Error {
  constructor(
    readonly service: string,
    readonly timedOut: boolean,
    cause: unknown,
  ) {
    super(
      `${service} request ${timedOut ? 'timed out' : 'failed'}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = 'NetworkError';
  }
}

/** 429, 5xx and network failures are worth another attempt; other 4xx never are. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof NetworkError) return true;
  if (error instanceof HttpError) return error.status === 429 || error.status >= 500;
  return false;
}

/**
 * A Retry-After header in milliseconds: delta-seconds (`120`) or an HTTP date; undefined when absent,
 * malformed or not in the future.
 */
export function parseRetryAfter(header: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) {
    const seconds = Number(text);
    return seconds > 0 ? seconds * 1000 : undefined;
  }
  const at = Date.parse(text);
  if (Number.isNaN(at) || at <= now) return undefined;
  return at - now;
}

/** For `withRetry`'s `minDelayMs`: the wait a 429 asked for. */
export function retryAfterOf(error: unknown): number | undefined {
  return error instanceof HttpError && error.status === 429 ? error.retryAfterMs : undefined;
}

/**
 * The retry policy of an HTTP call on `schedule`: 429, 5xx and network failures (unless `shouldRetry`
 * says otherwise), never sooner than a 429's Retry-After.
 */
export function httpRetryPolicy(
  schedule: RetrySchedule & Partial<Pick<RetryPolicy, 'shouldRetry' | 'onRetry'>>,
): RetryPolicy {
  return { ...schedule, shouldRetry: schedule.shouldRetry ?? isRetryable, minDelayMs: retryAfterOf };
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: NonNullable<RequestInit['body']>;
  timeoutMs: number;
}

/** One HTTP request: resolves the Response when 2xx, throws HttpError otherwise, NetworkError when it never completed. */
export async function request(service: string, url: string, options: RequestOptions): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? 'GET',
      ...(options.headers ? { headers: options.headers } : {}),
      ...(options.body !== undefined ? { body: options.body } : {}),
      signal: AbortSignal.timeout(options.timeoutMs),
      redirect: 'follow',
    });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    throw new NetworkError(service, timedOut, error);
  }
  if (!response.ok) {
    const body = await response.text().catch(() => '');
    const error = new HttpError(service, response.status, body.slice(0, 2000));
    error.retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    throw error;
  }
  return response;
}
