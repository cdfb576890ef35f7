/** Parsing of Astria callback bodies and prompt objects: pure, no I/O. */
import { boundedJson, sanitizeText } from '@astria/service-kit';

export interface AstriaPrompt {
  id: number;
  tuneId: number | null;
  text: string | null;
  images: string[];
  userError: string | null;
  createdAt: string | null;
}

export interface AstriaTuneInfo {
  id: number;
  trainedAt: string | null;
  eta: string | null;
  expiresAt: string | null;
}

export type CallbackBody =
  | { kind: 'tune'; tune: AstriaTuneInfo }
  | { kind: 'prompts'; prompts: AstriaPrompt[]; completeSet: boolean };

export class MalformedCallbackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedCallbackError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function positiveInt(v: unknown): number | null {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : null;
}

function optionalString(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

export function parsePrompt(raw: unknown): AstriaPrompt {
  if (!isObject(raw)) throw new MalformedCallbackError('a prompt must be an object');
  const id = positiveInt(raw.id);
  if (id === null) throw new MalformedCallbackError('prompt.id must be a positive integer');
  const images = raw.images ?? [];
  if (!Array.isArray(images) || !images.every((u) => typeof u === 'string' && /^https?:\/\//.test(u))) {
    throw new MalformedCallbackError('prompt.images must be a list of URLs');
  }
  const userError = raw.user_error;
  return {
    id,
    tuneId: positiveInt(raw.tune_id),
    text: optionalString(raw.text),
    images: images as string[],
    // Any JSON Astria sends here, deep or hostile, becomes a storable string of at most ~500 characters.
    userError:
      typeof userError === 'string' && userError
        ? sanitizeText(userError, 500)
        : userError
          ? sanitizeText(JSON.stringify(boundedJson(userError, { maxDepth: 8, maxChars: 1000 })), 500)
          : null,
    createdAt: optionalString(raw.created_at),
  };
}

/** A timestamp Astria sent, kept only when it is a real date PostgreSQL can hold (years 1970–9999); else null. */
function optionalDate(v: unknown): string | null {
  const s = optionalString(v);
  if (s === null) return null;
  const ms = Date.parse(s);
  return Number.isFinite(ms) && ms >= 0 && ms < 253_402_300_800_000 ? s : null;
}

export function parseTune(raw: unknown): AstriaTuneInfo {
  if (!isObject(raw)) throw new MalformedCallbackError('a tune must be an object');
  const id = positiveInt(raw.id);
  if (id === null) throw new MalformedCallbackError('tune.id must be a positive integer');
  return {
    id,
    trainedAt: optionalDate(raw.trained_at),
    eta: optionalDate(raw.eta),
    expiresAt: optionalDate(raw.expires_at),
  };
}

/** A prompt is finished when it has images or a user error. */
export function isFinished(prompt: AstriaPrompt): boolean {
  return prompt.images.length > 0 || prompt.userError !== null;
}

/**
 * Accepts `{"prompt":{…}}` (one prompt), a bare array (prompts_callback: all of the pack's prompts),
 * `{"tune":{…}}`, or a flat prompt or tune object.
 */
export function parseCallbackBody(body: unknown, expect: 'tune' | 'prompts'): CallbackBody {
  if (Array.isArray(body)) {
    if (body.length === 0) throw new MalformedCallbackError('an empty list of prompts');
    return { kind: 'prompts', prompts: body.map(parsePrompt), completeSet: true };
  }
  if (!isObject(body)) throw new MalformedCallbackError('the body must be a JSON object or array');
  if (isObject(body.prompt)) return { kind: 'prompts', prompts: [parsePrompt(body.prompt)], completeSet: false };
  if (Array.isArray(body.prompts)) {
    return { kind: 'prompts', prompts: body.prompts.map(parsePrompt), completeSet: true };
  }
  if (isObject(body.tune)) return { kind: 'tune', tune: parseTune(body.tune) };
  // Flat object: a prompt has tune_id and images/text; otherwise a tune.
  if (expect === 'prompts' || 'tune_id' in body || 'images' in body) {
    return { kind: 'prompts', prompts: [parsePrompt(body)], completeSet: false };
  }
  return { kind: 'tune', tune: parseTune(body) };
}

const VIDEO = /\.(mp4|mov|webm|m4v)(\?|#|$)/i;

/** The images to deliver, prompts in order (by id: Astria numbers them in pack order), videos included. */
export function deliverableImages(
  prompts: Array<Pick<AstriaPrompt, 'id' | 'images'>>,
): Array<{ url: string; kind: 'image' | 'video'; promptId: number }> {
  return [...prompts]
    .sort((a, b) => a.id - b.id)
    .flatMap((p) =>
      p.images.map((url) => ({ url, kind: VIDEO.test(url) ? ('video' as const) : ('image' as const), promptId: p.id })),
    );
}
