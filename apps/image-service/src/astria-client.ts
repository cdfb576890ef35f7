import {
  HttpError,
  httpRetryPolicy,
  isRetryable,
  NetworkError,
  type RetryPolicy,
  request,
  withRetry,
} from '@astria/service-kit';

/**
 * The Astria API client: Bearer auth, timeouts, retries with backoff + jitter on 429/5xx/network
 * (never on 422), typed errors. POST /p/{id}/tunes is never retried blindly on a timeout or 504:
 * the caller looks the tune up first (see training.ts).
 */

export type AstriaErrorKind =
  | 'validation'
  | 'unauthorized'
  | 'not_found'
  | 'rate_limited'
  | 'server'
  | 'timeout'
  | 'network';

export class AstriaError extends Error {
  constructor(
    readonly kind: AstriaErrorKind,
    readonly status: number | null,
    readonly detail: string,
  ) {
    super(`Astria ${kind}${status ? ` (HTTP ${status})` : ''}: ${detail.slice(0, 300)}`);
    this.name = 'AstriaError';
  }

  /** 504 or our own timeout: the request was probably processed. */
  get probablyProcessed(): boolean {
    return this.kind === 'timeout';
  }
}

export function toAstriaError(error: unknown): AstriaError {
  if (error instanceof AstriaError) return error;
  if (error instanceof NetworkError)
    return new AstriaError(error.timedOut ? 'timeout' : 'network', null, error.message);
  if (error instanceof HttpError) {
    const s = error.status;
    const kind: AstriaErrorKind =
      s === 422 || s === 400
        ? 'validation'
        : s === 401 || s === 403
          ? 'unauthorized'
          : s === 404
            ? 'not_found'
            : s === 429
              ? 'rate_limited'
              : s === 504
                ? 'timeout'
                : 'server';
    return new AstriaError(kind, s, error.body);
  }
  return new AstriaError('network', null, error instanceof Error ? error.message : String(error));
}

export interface AstriaTune {
  id: number;
  title?: string;
  name?: string;
  eta?: string | null;
  expires_at?: string | null;
  trained_at?: string | null;
  created_at?: string | null;
}

export interface AstriaPackDetail {
  id: number;
  slug?: string;
  title?: string;
  prompts_per_class?: Record<string, Array<{ id?: number; text?: string; images?: string[] }>>;
}

export interface CreateTuneParams {
  packId: number;
  title: string;
  name: string;
  callback?: string;
  promptsCallback: string;
  characteristics?: Record<string, string>;
  images?: Array<{ bytes: Buffer; filename: string; mimeType: string }>;
  tuneIds?: number[];
  branch?: string;
}

export interface AstriaClientOptions {
  baseUrl: string;
  /** Absent where the process is not meant to call Astria: every call then fails as `unauthorized`, without a request. */
  apiKey: string | undefined;
  timeoutMs: number;
  retries: number;
  retryBaseMs: number;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

export class AstriaClient {
  constructor(private readonly options: AstriaClientOptions) {}

  private policy(shouldRetry?: RetryPolicy['shouldRetry']): RetryPolicy {
    return httpRetryPolicy({
      retries: this.options.retries,
      baseMs: this.options.retryBaseMs,
      maxMs: 120_000,
      ...(this.options.onRetry ? { onRetry: this.options.onRetry } : {}),
      ...(shouldRetry ? { shouldRetry } : {}),
    });
  }

  private async call(
    path: string,
    init: { method?: string; body?: NonNullable<RequestInit['body']> } = {},
    policy?: RetryPolicy,
  ): Promise<Response> {
    const url = `${this.options.baseUrl.replace(/\/$/, '')}${path}`;
    if (!this.options.apiKey) throw new AstriaError('unauthorized', null, 'ASTRIA_API_KEY is not configured');
    try {
      return await withRetry(
        () =>
          request('astria', url, {
            method: init.method ?? 'GET',
            headers: { authorization: `Bearer ${this.options.apiKey}`, accept: 'application/json' },
            ...(init.body ? { body: init.body } : {}),
            timeoutMs: this.options.timeoutMs,
          }),
        policy ?? this.policy(),
      );
    } catch (error) {
      throw toAstriaError(error);
    }
  }

  private async json<T>(
    path: string,
    init: { method?: string; body?: NonNullable<RequestInit['body']> } = {},
    policy?: RetryPolicy,
  ): Promise<T> {
    const response = await this.call(path, init, policy);
    const text = await response.text();
    try {
      return (text ? JSON.parse(text) : null) as T;
    } catch {
      throw new AstriaError('server', response.status, `not JSON: ${text.slice(0, 200)}`);
    }
  }

  /** POST /images/inspect (multipart `file`, `name`). */
  inspect(
    file: { bytes: Buffer; filename: string; mimeType: string },
    name?: string,
  ): Promise<Record<string, unknown>> {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(file.bytes)], { type: file.mimeType }), file.filename);
    if (name) form.append('name', name);
    return this.json('/images/inspect', { method: 'POST', body: form });
  }

  getPack(packId: number): Promise<AstriaPackDetail> {
    return this.json(`/p/${packId}`);
  }

  listPacks(): Promise<Array<{ id: number; slug?: string; title?: string }>> {
    return this.json('/packs');
  }

  /**
   * POST /p/{pack_id}/tunes. Retries 429/5xx/network errors, but not a 504 or a timeout (probably
   * processed: the caller must look it up). Returns the tune, or null when Astria answers without
   * one (`{"status":201,"message":"Prompts created"}` for tune_ids).
   */
  async createTune(params: CreateTuneParams): Promise<AstriaTune | null> {
    const form = new FormData();
    form.append('tune[title]', params.title);
    form.append('tune[name]', params.name);
    if (params.branch) form.append('tune[branch]', params.branch);
    if (params.callback) form.append('tune[callback]', params.callback);
    form.append('tune[prompts_callback]', params.promptsCallback);
    for (const [key, value] of Object.entries(params.characteristics ?? {})) {
      form.append(`tune[characteristics][${key}]`, value);
    }
    for (const id of params.tuneIds ?? []) form.append('tune[tune_ids][]', String(id));
    for (const image of params.images ?? []) {
      form.append('tune[images][]', new Blob([new Uint8Array(image.bytes)], { type: image.mimeType }), image.filename);
    }
    const body = await this.json<unknown>(
      `/p/${params.packId}/tunes`,
      { method: 'POST', body: form },
      this.policy(
        (error) =>
          isRetryable(error) &&
          !(error instanceof HttpError && error.status === 504) &&
          !(error instanceof NetworkError && error.timedOut),
      ),
    );
    if (body && typeof body === 'object' && typeof (body as AstriaTune).id === 'number') return body as AstriaTune;
    return null;
  }

  /** Tunes with this title (GET /tunes?title=…), newest first. */
  async findTunesByTitle(title: string): Promise<AstriaTune[]> {
    const list = await this.json<unknown>(`/tunes?title=${encodeURIComponent(title)}`);
    const tunes = Array.isArray(list) ? (list as AstriaTune[]) : [];
    // Filter here too: an API that ignores the parameter lists every tune.
    return tunes.filter((t) => t && t.title === title);
  }

  getTune(tuneId: number): Promise<AstriaTune> {
    return this.json(`/tunes/${tuneId}`);
  }

  async getTunePrompts(tuneId: number): Promise<unknown[]> {
    const list = await this.json<unknown>(`/tunes/${tuneId}/prompts`);
    return Array.isArray(list) ? list : [];
  }

  /** DELETE /tunes/{id}; a tune already gone counts as deleted. */
  async deleteTune(tuneId: number): Promise<void> {
    try {
      await this.call(`/tunes/${tuneId}`, { method: 'DELETE' });
    } catch (error) {
      if (error instanceof AstriaError && error.kind === 'not_found') return;
      throw error;
    }
  }
}
