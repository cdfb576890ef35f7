/** Small shared HTTP plumbing for the external clients: retries with capped exponential backoff + jitter. */

export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  maxMs: number;
}

/** Full jitter in [50%, 100%] of the capped exponential delay. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential * (0.5 + random() * 0.5));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn` until it succeeds, `isRetryable(error)` says no, or the attempts are used up.
 * `retryAfterMs(error)` may impose a longer wait (e.g. a Retry-After header).
 */
export async function withRetries<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  isRetryable: (error: unknown) => boolean,
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= policy.attempts || !isRetryable(error)) throw error;
      const delay = backoffDelay(attempt, policy);
      onRetry?.(error, attempt, delay);
      await sleep(delay);
    }
  }
}
