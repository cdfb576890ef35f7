import type { OutboundMessage } from '@astria/events';
import { type RetrySchedule, withRetry } from '@astria/service-kit';
import { type Dispatcher, request } from 'undici';
import { toGraphPayload } from './payload.js';

/** Graph error codes worth retrying (with backoff): throughput and pair rate limits. */
export const RETRYABLE_CODES = new Set([130429, 131056, 1, 2, 4, 80007, 131000, 131016]);
/** Never retried: outside the 24 h window, undeliverable, bad token. */
export const PERMANENT_CODES = new Set([131047, 131026, 190]);

export class GraphApiError extends Error {
  constructor(
    message: string,
    /** HTTP status; null for a network error or timeout. */
    readonly status: number | null,
    /** Graph's `error.code`; null when absent. */
    readonly code: number | null,
    readonly subcode: number | null = null,
  ) {
    super(message);
    this.name = 'GraphApiError';
  }

  get retryable(): boolean {
    if (this.code !== null && PERMANENT_CODES.has(this.code)) return false;
    if (this.status === 401) return false;
    if (this.status === null) return true;
    if (this.status === 429 || this.status >= 500) return true;
    return this.code !== null && RETRYABLE_CODES.has(this.code);
  }

  /** A label for metrics: the Graph code, else the HTTP status, else "network". */
  get label(): string {
    if (this.code !== null) return String(this.code);
    if (this.status !== null) return `http_${this.status}`;
    return 'network';
  }
}

export interface GraphClientOptions {
  baseUrl: string;
  accessToken: string;
  phoneNumberId: string;
  timeoutMs?: number;
  retry?: RetrySchedule;
  onRetry?: (error: GraphApiError, attempt: number, delayMs: number) => void;
}

export interface SendResult {
  /** The wamid Graph returned (null for mark-as-read). */
  wamid: string | null;
  attempts: number;
}

/** The WhatsApp Cloud API: send messages (every kind we use) and fetch media metadata. */
export class GraphClient {
  private readonly base: string;

  constructor(private readonly options: GraphClientOptions) {
    this.base = options.baseUrl.replace(/\/$/, '');
  }

  private async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const timeout = this.options.timeoutMs ?? 10_000;
    let response: Dispatcher.ResponseData;
    let text: string;
    try {
      // undici's request: the same client as fetch, without the WHATWG stream layers (a third of the CPU per send).
      response = await request(`${this.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.options.accessToken}`,
          accept: 'application/json',
          'user-agent': 'astria-bot/1.0',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
      text = await response.body.text();
    } catch (error) {
      throw new GraphApiError(`Graph ${method} ${path.split('?')[0]} failed: ${(error as Error).message}`, null, null);
    }
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const status = response.statusCode;
    if (status < 200 || status > 299) {
      const err = (json as { error?: { message?: string; code?: number; error_subcode?: number } } | undefined)?.error;
      throw new GraphApiError(
        `Graph answered ${status}${err?.code !== undefined ? ` (code ${err.code})` : ''}: ${err?.message ?? 'no message'}`,
        status,
        typeof err?.code === 'number' ? err.code : null,
        typeof err?.error_subcode === 'number' ? err.error_subcode : null,
      );
    }
    return json;
  }

  /** Sends one message, retrying 429/5xx/network/130429/131056 with backoff + jitter. */
  async send(to: string, message: OutboundMessage, replyTo?: string): Promise<SendResult> {
    const payload = toGraphPayload(to, message, replyTo);
    let attempts = 0;
    const json = await withRetry(
      (attempt) => {
        attempts = attempt;
        return this.request('POST', `/${encodeURIComponent(this.options.phoneNumberId)}/messages`, payload);
      },
      {
        ...(this.options.retry ?? { retries: 3, baseMs: 250, maxMs: 4000 }),
        shouldRetry: (error) => error instanceof GraphApiError && error.retryable,
        onRetry: (error, attempt, delay) => this.options.onRetry?.(error as GraphApiError, attempt, delay),
      },
    );
    const wamid = (json as { messages?: Array<{ id?: string }> } | undefined)?.messages?.[0]?.id ?? null;
    return { wamid, attempts };
  }

  /** `GET /{media_id}` → the short-lived download URL and facts of an inbound media. */
  async getMedia(
    mediaId: string,
  ): Promise<{ url: string; mimeType: string; sha256: string | null; fileSize: number | null }> {
    const json = (await this.request('GET', `/${encodeURIComponent(mediaId)}`)) as Record<string, unknown>;
    if (typeof json?.url !== 'string') throw new GraphApiError('Graph media answer has no url', 200, null);
    return {
      url: json.url,
      mimeType: typeof json.mime_type === 'string' ? json.mime_type : 'application/octet-stream',
      sha256: typeof json.sha256 === 'string' ? json.sha256 : null,
      fileSize: typeof json.file_size === 'number' ? json.file_size : null,
    };
  }
}
