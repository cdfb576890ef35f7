import { HttpError, httpRetryPolicy, type RetryPolicy, request, withRetry } from '@astria/service-kit';

/** Why a photo could not be fetched: each becomes an `image_processed` rejection, never a retry loop. */
export type MediaProblem = 'media_expired' | 'too_large' | 'unsupported_type';

export class MediaError extends Error {
  constructor(
    readonly problem: MediaProblem,
    detail: string,
  ) {
    super(`media ${problem}: ${detail}`);
    this.name = 'MediaError';
  }
}

export const ACCEPTED_IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp']);

export interface WhatsAppMediaOptions {
  apiUrl: string;
  accessToken: string;
  timeoutMs: number;
  maxBytes: number;
  retries?: number;
  retryBaseMs?: number;
}

/** How many times an expired download URL is replaced by a fresh one from `GET /{media-id}`. */
const URL_REFRESHES = 2;

/**
 * Downloads inbound media in the two WhatsApp steps: `GET {api}/{media_id}` gives a short-lived URL
 * (~5 minutes), then `GET url` with the same Bearer token gives the bytes. A URL that has expired by the
 * time it is used (a slow or retried download) is replaced by a fresh one from `GET /{media-id}` (up to
 * twice); only the media itself being gone is `media_expired`. 429/5xx/network errors are retried briefly
 * and then thrown (the job is retried).
 */
export async function downloadWhatsAppMedia(
  options: WhatsAppMediaOptions,
  mediaId: string,
): Promise<{ bytes: Buffer; mimeType: string }> {
  const headers = { authorization: `Bearer ${options.accessToken}`, 'user-agent': 'astria-bot/1.0' };
  const policy = httpRetryPolicy({ retries: options.retries ?? 2, baseMs: options.retryBaseMs ?? 500, maxMs: 5000 });
  for (let refresh = 0; ; refresh++) {
    const meta = await mediaUrl(options, mediaId, headers, policy);
    let res: Response;
    try {
      res = await withRetry(() => request('whatsapp', meta.url, { headers, timeoutMs: options.timeoutMs }), policy);
    } catch (error) {
      if (!gone(error)) throw error;
      if (refresh < URL_REFRESHES) continue; // the URL expired: a fresh one from GET /{media-id}
      throw new MediaError('media_expired', `the media URL expired (${(error as HttpError).status})`);
    }
    const declared = Number(res.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > options.maxBytes)
      throw new MediaError('too_large', `${declared} bytes`);
    const bytes = await readLimited(res, options.maxBytes);
    const type = meta.mimeType || res.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() || '';
    if (!ACCEPTED_IMAGE_TYPES.has(type)) throw new MediaError('unsupported_type', type || 'unknown');
    return { bytes, mimeType: type };
  }
}

const gone = (error: unknown) =>
  error instanceof HttpError &&
  (error.status === 400 || error.status === 403 || error.status === 404 || error.status === 410);

/** Step 1, `GET /{media-id}`: a fresh download URL and what WhatsApp says of the file. */
async function mediaUrl(
  options: WhatsAppMediaOptions,
  mediaId: string,
  headers: Record<string, string>,
  policy: RetryPolicy,
): Promise<{ url: string; mimeType: string }> {
  let meta: { url?: unknown; mime_type?: unknown; file_size?: unknown };
  try {
    const res = await withRetry(
      () =>
        request('whatsapp', `${options.apiUrl.replace(/\/$/, '')}/${encodeURIComponent(mediaId)}`, {
          headers,
          timeoutMs: options.timeoutMs,
        }),
      policy,
    );
    meta = (await res.json()) as typeof meta;
  } catch (error) {
    if (gone(error)) throw new MediaError('media_expired', `media ${mediaId} is gone (${(error as HttpError).status})`);
    throw error;
  }
  if (typeof meta.url !== 'string' || !/^https?:\/\//.test(meta.url)) {
    throw new MediaError('media_expired', 'the media has no download URL');
  }
  const mimeType = typeof meta.mime_type === 'string' ? (meta.mime_type.split(';')[0]?.trim().toLowerCase() ?? '') : '';
  if (mimeType && !ACCEPTED_IMAGE_TYPES.has(mimeType)) throw new MediaError('unsupported_type', mimeType);
  if (typeof meta.file_size === 'number' && meta.file_size > options.maxBytes) {
    throw new MediaError('too_large', `${meta.file_size} bytes`);
  }
  return { url: meta.url, mimeType };
}

async function readLimited(res: Response, maxBytes: number): Promise<Buffer> {
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > maxBytes) throw new MediaError('too_large', `more than ${maxBytes} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
