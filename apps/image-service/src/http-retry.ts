import { backoffDelay as sharedBackoffDelay, withRetry as sharedWithRetry } from '@astria/service-kit';

/**
 * How the service calls the external APIs (Astria, the WhatsApp media download, preview images): one
 * request with a timeout and typed errors (`request`), and the retry wrapper around it (`withRetry`:
 * backoff + jitter on 429/5xx/network only, honouring Retry-After).
 */

export class HttpError extends Error {
  /** From a Retry-After header (seconds), when the server sent one. */
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
      {
        cause,
      },
    );
    this.name = 'NetworkError';
  }
}

export interface RetryPolicy {
  retries: number;
  baseMs: number;
  maxMs?: number;
  /** Which failures are worth another attempt. Default: 429, 5xx, network errors. */
  shouldRetry?: (error: unknown) => boolean;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

export function isRetryable(error: unknown): boolean {
  if (error instanceof NetworkError) return true;
  if (error instanceof HttpError) return error.status === 429 || error.status >= 500;
  return false;
}

/** The shared backoff curve (see @astria/service-kit), with this module's default cap. */
export function backoffDelay(attempt: number, baseMs: number, maxMs = 60_000): number {
  return sharedBackoffDelay(attempt, { baseMs, maxMs });
}

/** Retries 429/5xx/network failures (by default) with backoff, honouring Retry-After on a 429. */
export function withRetry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy): Promise<T> {
  return sharedWithRetry(fn, {
    retries: policy.retries,
    baseMs: policy.baseMs,
    maxMs: policy.maxMs ?? 60_000,
    shouldRetry: policy.shouldRetry ?? isRetryable,
    minDelayMs: (error) => (error instanceof HttpError && error.status === 429 ? error.retryAfterMs : undefined),
    ...(policy.onRetry ? { onRetry: policy.onRetry } : {}),
  });
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
      headers: options.headers,
      body: options.body,
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
    const retryAfter = Number(response.headers.get('retry-after'));
    if (Number.isFinite(retryAfter) && retryAfter > 0) error.retryAfterMs = retryAfter * 1000;
    throw error;
  }
  return response;
}
