import { type RetrySchedule, withRetry } from '@astria/service-kit';
import type { Pack } from './conversation/types.js';

export class AstriaApiError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'AstriaApiError';
  }
  get retryable(): boolean {
    return this.status === null || this.status === 429 || this.status >= 500;
  }
}

export interface PacksClientOptions {
  baseUrl: string;
  apiKey: string;
  ttlMs: number;
  timeoutMs?: number;
  retry?: RetrySchedule;
  /** After a failed refresh, how long to serve what we have before trying again. */
  failureBackoffMs?: number;
  now?: () => number;
}

function toPack(raw: unknown): Pack | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as Record<string, unknown>;
  if (typeof r.id !== 'number' || typeof r.slug !== 'string') return null;
  const costs: Pack['costs'] = {};
  if (r.costs && typeof r.costs === 'object') {
    for (const [cls, value] of Object.entries(r.costs as Record<string, unknown>)) {
      const v = value as { cost?: unknown; num_images?: unknown } | null;
      if (v && typeof v === 'object') {
        costs[cls] = { cost: Number(v.cost) || 0, numImages: Number(v.num_images) || 0 };
      }
    }
  }
  return {
    id: r.id,
    slug: r.slug,
    title: typeof r.title === 'string' && r.title ? r.title : r.slug,
    coverUrl: typeof r.cover_url === 'string' ? r.cover_url : null,
    costs,
  };
}

/**
 * Astria `GET /packs`, cached for `ttlMs`. Concurrent callers share one request; when Astria fails,
 * the last good answer keeps being served (stale beats nothing for a menu).
 */
export class PacksClient {
  private cached: { packs: Pack[]; at: number } | null = null;
  private inflight: Promise<Pack[]> | null = null;
  private failedAt = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;

  constructor(private readonly options: PacksClientOptions) {
    this.now = options.now ?? Date.now;
  }

  async fetchPacks(): Promise<Pack[]> {
    const url = `${this.options.baseUrl.replace(/\/$/, '')}/packs`;
    return withRetry(
      async () => {
        let response: Response;
        try {
          response = await fetch(url, {
            headers: { authorization: `Bearer ${this.options.apiKey}`, accept: 'application/json' },
            signal: AbortSignal.timeout(this.options.timeoutMs ?? 3000),
          });
        } catch (error) {
          throw new AstriaApiError(`GET /packs failed: ${(error as Error).message}`, null);
        }
        if (!response.ok) {
          await response.arrayBuffer().catch(() => undefined);
          throw new AstriaApiError(`GET /packs answered ${response.status}`, response.status);
        }
        const body = (await response.json()) as unknown;
        if (!Array.isArray(body)) throw new AstriaApiError('GET /packs did not return an array', response.status);
        return body.map(toPack).filter((p): p is Pack => p !== null);
      },
      {
        ...(this.options.retry ?? { retries: 1, baseMs: 200, maxMs: 1000 }),
        shouldRetry: (error) => error instanceof AstriaApiError && error.retryable,
      },
    );
  }

  /** The packs, from the cache when fresh. Throws only when there is nothing cached at all. */
  async list(): Promise<Pack[]> {
    const now = this.now();
    if (this.cached && now - this.cached.at < this.options.ttlMs) return this.cached.packs;
    if (now - this.failedAt < (this.options.failureBackoffMs ?? 30_000)) {
      // Astria failed moments ago: answer at once (stale, or nothing) instead of stalling a webhook.
      if (this.cached) return this.cached.packs;
      throw new AstriaApiError('GET /packs failed recently; not retrying yet', null);
    }
    if (!this.inflight) {
      this.inflight = this.fetchPacks()
        .then((packs) => {
          this.cached = { packs, at: this.now() };
          return packs;
        })
        .catch((error: unknown) => {
          this.failedAt = this.now();
          if (this.cached) return this.cached.packs;
          throw error;
        })
        .finally(() => {
          this.inflight = null;
        });
    }
    return this.inflight;
  }
}
