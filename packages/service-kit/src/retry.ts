/**
 * The one retry vocabulary: a backoff curve and a retry loop. Every external client, the outbox
 * relay, the transports' redelivery and a service's start-up steps wait by this curve.
 */

export interface BackoffPolicy {
  /** The wait after the first failure (before jitter). */
  baseMs: number;
  /** The longest wait. */
  maxMs: number;
}

/**
 * Exponential backoff with jitter: `baseMs · 2^(attempt−1)`, capped at `maxMs`, then a random
 * point in [50%, 100%] of it (so many clients failing together do not retry together).
 * `attempt` counts from 1.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential * (0.5 + random() * 0.5));
}

/** How often and how far apart to try again: the part of a retry policy a client's options carry. */
export interface RetrySchedule extends BackoffPolicy {
  /** Further attempts after the first. */
  retries: number;
}

export interface RetryPolicy extends RetrySchedule {
  /** Which failures are worth another attempt (e.g. 429, 5xx, network errors — never other 4xx). */
  shouldRetry: (error: unknown) => boolean;
  /** A minimum wait the failure itself asks for (a Retry-After header), capped at maxMs. */
  minDelayMs?: (error: unknown) => number | undefined;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/** Runs `fn` until it succeeds, the failure is not retryable, or the retries are used up. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt > policy.retries || !policy.shouldRetry(error)) throw error;
      let delay = backoffDelay(attempt, policy);
      const floor = policy.minDelayMs?.(error);
      if (floor !== undefined) delay = Math.min(policy.maxMs, Math.max(delay, floor));
      policy.onRetry?.(error, attempt, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
