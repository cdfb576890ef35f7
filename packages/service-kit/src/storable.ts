import { z } from 'zod';

/**
 * What PostgreSQL can hold, for text that arrived from outside (webhooks). `text` refuses NUL; `jsonb`
 * refuses the escape `\u0000` and lone UTF-16 surrogates (`\ud800` without its pair), which JSON.parse
 * happily produces. A value that carries one can never be stored, so a webhook that insists on it must be
 * refused (4xx) or sanitized, never retried (5xx). One definition for every service.
 */
export type TextProblem = 'nul' | 'lone_surrogate';

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding NUL and control characters is the point
const NUL = /\u0000/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding NUL and control characters is the point
const UNSTORABLE_ALL = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** C0 and C1 control characters and DEL: never part of an id. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding NUL and control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Why `text` cannot be stored in PostgreSQL text/jsonb, or null when it can. */
export function textProblem(text: string): TextProblem | null {
  if (NUL.test(text)) return 'nul';
  if (LONE_SURROGATE.test(text)) return 'lone_surrogate';
  return null;
}

/** True for a string with a control character (NUL included): ids, keys and names never have one. */
export function hasControlCharacters(text: string): boolean {
  return CONTROL.test(text);
}

/**
 * `text` made storable and bounded, for logs and review copies: NUL and lone surrogates become U+FFFD,
 * and past `maxLength` it is cut (never inside a surrogate pair) and marked with `…[+N]`.
 */
export function sanitizeText(text: string, maxLength: number): string {
  let cut = text.length > maxLength ? text.slice(0, maxLength) : text;
  // Do not leave half a pair at the cut.
  if (cut.length < text.length && /[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  const clean = cut.replace(UNSTORABLE_ALL, '\ufffd');
  return cut.length < text.length ? `${clean}…[+${text.length - cut.length}]` : clean;
}

/** A zod string with an explicit maximum length that PostgreSQL can store (no NUL, no lone surrogate). */
export function storableString(maxLength: number) {
  return z
    .string()
    .max(maxLength, `too_long: more than ${maxLength} characters`)
    .refine((s) => textProblem(s) === null, { message: 'unstorable: NUL or lone surrogate' });
}

/** An identifier from outside: 1..maxLength characters, none of them a control character or a lone surrogate. */
export function storableId(maxLength: number) {
  return z
    .string()
    .min(1)
    .max(maxLength, `too_long: more than ${maxLength} characters`)
    .refine((s) => !hasControlCharacters(s) && textProblem(s) === null, {
      message: 'unstorable: control character or lone surrogate',
    });
}

export interface JsonBounds {
  /** Levels of objects/arrays kept; deeper values become a marker string. Default 32. */
  maxDepth: number;
  /** Characters kept per string (and key). Default 2,000. */
  maxStringLength: number;
  /** Elements kept per array, keys per object. Default 200. */
  maxItems: number;
  /** Rough budget of characters for the whole copy; past it values become a marker. Default 64,000. */
  maxChars: number;
}

const DEFAULT_BOUNDS: JsonBounds = { maxDepth: 32, maxStringLength: 2000, maxItems: 200, maxChars: 64_000 };

/**
 * A copy of a parsed JSON value that PostgreSQL jsonb can hold and that stays small, for keeping a refused
 * payload for review: strings and keys sanitized and cut, arrays and objects cut to `maxItems`, nesting cut
 * at `maxDepth` (so neither the copy nor its serialization recurses deeper than that), non-finite numbers
 * as null, the whole bounded to about `maxChars`. Cuts are marked in place (`"…[depth]"`, `"…[+N items]"`).
 */
export function boundedJson(value: unknown, bounds: Partial<JsonBounds> = {}): unknown {
  const b = { ...DEFAULT_BOUNDS, ...bounds };
  let budget = b.maxChars;
  const copy = (v: unknown, depth: number): unknown => {
    if (budget <= 0) return '…[size]';
    if (v === null || typeof v === 'boolean') {
      budget -= 5;
      return v;
    }
    if (typeof v === 'number') {
      budget -= 24;
      return Number.isFinite(v) ? v : null;
    }
    if (typeof v === 'string') {
      const s = sanitizeText(v, Math.min(b.maxStringLength, Math.max(budget, 0)));
      budget -= s.length + 2;
      return s;
    }
    if (typeof v !== 'object') return null;
    if (depth >= b.maxDepth) {
      budget -= 10;
      return '…[depth]';
    }
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      for (let i = 0; i < v.length && i < b.maxItems && budget > 0; i++) out.push(copy(v[i], depth + 1));
      if (out.length < v.length) out.push(`…[+${v.length - out.length} items]`);
      budget -= 2;
      return out;
    }
    const out: Record<string, unknown> = {};
    const entries = Object.entries(v as Record<string, unknown>);
    let kept = 0;
    for (const [key, item] of entries) {
      if (kept >= b.maxItems || budget <= 0) break;
      const k = sanitizeText(key, 200);
      budget -= k.length + 3;
      out[k] = copy(item, depth + 1);
      kept++;
    }
    if (kept < entries.length) out['…'] = `+${entries.length - kept} keys`;
    budget -= 2;
    return out;
  };
  return copy(value, 0);
}
