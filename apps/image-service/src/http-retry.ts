import {
  isRetryable,
  retryAfterOf,
  backoffDelay as sharedBackoffDelay,
  withRetry as sharedWithRetry,
} from '@astria/service-kit';

/**
 * The image service's defaults over service-kit's HTTP client base (`request`, `HttpError`,
 * `NetworkError`, `isRetryable` come from there): a 60 s cap on the backoff curve and a retry policy
 * whose predicate defaults to 429/5xx/network failures, honouring Retry-After on a 429.
 */

export interface RetryPolicy {
  retries: number;
  baseMs: number;
  maxMs?: number;
  /** Which failures are worth another attempt. Default: 429, 5xx, network errors. */
  shouldRetry?: (error: unknown) => boolean;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/** The shared backoff curve with this service's default cap. */
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
    minDelayMs: retryAfterOf,
    ...(policy.onRetry ? { onRetry: policy.onRetry } : {}),
  });
}
