/** The retry policy of the external clients (attempts, backoff bounds), on the shared helper of @astria/service-kit. */
import { withRetry as sharedWithRetries } from '@astria/service-kit';

export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  maxMs: number;
}

/** Runs `fn` until it succeeds, `isRetryable(error)` says no, or the attempts are used up. */
export function withRetries<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  isRetryable: (error: unknown) => boolean,
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void,
): Promise<T> {
  return sharedWithRetries(fn, {
    retries: policy.attempts - 1,
    baseMs: policy.baseMs,
    maxMs: policy.maxMs,
    shouldRetry: isRetryable,
    ...(onRetry ? { onRetry } : {}),
  });
}
