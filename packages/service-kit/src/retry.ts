import { redeliveryDelay } from '@astria/events';

/** Exponential backoff with jitter in [50%, 100%] of the capped delay: the same curve as event redelivery. */
export function backoffDelay(
  attempt: number,
  policy: { baseMs: number; maxMs: number },
  random: () => number = Math.random,
): number {
  return redeliveryDelay(attempt, policy, random);
}

export interface RetryOptions {
  /** Further attempts after the first. */
  retries: number;
  baseMs: number;
  maxMs: number;
  /** Which failures are worth another attempt (e.g. 429, 5xx, network errors — never other 4xx). */
  shouldRetry: (error: unknown) => boolean;
  /** A minimum wait the failure itself asks for (a Retry-After header), capped at maxMs. */
  minDelayMs?: (error: unknown) => number | undefined;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/** Runs `fn` until it succeeds, the failure is not retryable, or the retries are used up. */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt > options.retries || !options.shouldRetry(error)) throw error;
      let delay = backoffDelay(attempt, options);
      const floor = options.minDelayMs?.(error);
      if (floor !== undefined) delay = Math.min(options.maxMs, Math.max(delay, floor));
      options.onRetry?.(error, attempt, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
