import type { Tier } from '@astria/events';
import { TIERS } from './types.js';

/**
 * The ids of the buttons and list rows the bot sends, and that come back as `replyId` when the user
 * taps one (docs/message-service.md, "Conversation"). Menus build them with `encodeReplyId` and the
 * router reads them with `decodeReplyId`: no id string is written by hand anywhere else.
 */
export type MenuItem = 'begin' | 'how' | 'lang' | 'support' | 'erase';
export type PhotosAction = 'ready' | 'examples' | 'more' | 'done' | 'restart';
export type Stars = 1 | 2 | 3 | 4 | 5;

export type ReplyId =
  | { kind: 'menu'; item: MenuItem }
  | { kind: 'photos'; action: PhotosAction }
  | { kind: 'tier'; tier: Tier }
  | { kind: 'pack'; packId: number }
  /** "Show examples" of a pack: its preview video. */
  | { kind: 'packex'; packId: number }
  | { kind: 'agree'; packId: number }
  | { kind: 'rate'; stars: Stars }
  | { kind: 'more'; what: 'pack' }
  | { kind: 'model'; choice: 'saved' | 'new' }
  | { kind: 'tune'; tuneId: number }
  /** The answer to "Delete all your data?". */
  | { kind: 'erase'; choice: 'confirm' | 'cancel' };

export type ReplyKind = ReplyId['kind'];
export type ReplyOf<K extends ReplyKind> = Extract<ReplyId, { kind: K }>;

const MENU_ITEMS: readonly MenuItem[] = ['begin', 'how', 'lang', 'support', 'erase'];
const PHOTOS_ACTIONS: readonly PhotosAction[] = ['ready', 'examples', 'more', 'done', 'restart'];
const MODEL_CHOICES = ['saved', 'new'] as const;
const ERASE_CHOICES = ['confirm', 'cancel'] as const;

/** Ids sent by earlier versions of the bot, still honoured. */
const LEGACY_IDS: Readonly<Record<string, string>> = {
  begin: 'menu:begin',
  how: 'menu:how',
  language: 'menu:lang',
  support: 'menu:support',
};

export function encodeReplyId(id: ReplyId): string {
  switch (id.kind) {
    case 'menu':
      return `menu:${id.item}`;
    case 'photos':
      return `photos:${id.action}`;
    case 'tier':
      return `tier:${id.tier}`;
    case 'pack':
    case 'packex':
    case 'agree':
      return `${id.kind}:${id.packId}`;
    case 'rate':
      return `rate:${id.stars}`;
    case 'more':
      return `more:${id.what}`;
    case 'model':
      return `model:${id.choice}`;
    case 'tune':
      return `tune:${id.tuneId}`;
    case 'erase':
      return `erase:${id.choice}`;
  }
}

const pick = <T extends string>(values: readonly T[], arg: string): T | undefined => values.find((v) => v === arg);
const digits = (arg: string): number | null => (/^\d+$/.test(arg) ? Number(arg) : null);

/**
 * A reply id as the router sees it; null for an id this version does not know (or no longer knows):
 * the user gets "that option has expired". Only the part up to a second ':' counts.
 */
export function decodeReplyId(raw: string): ReplyId | null {
  const [namespace, arg = ''] = (Object.hasOwn(LEGACY_IDS, raw) ? (LEGACY_IDS[raw] as string) : raw).split(':', 2) as [
    string,
    string | undefined,
  ];
  switch (namespace) {
    case 'menu': {
      const item = pick(MENU_ITEMS, arg);
      return item ? { kind: 'menu', item } : null;
    }
    case 'photos': {
      const action = pick(PHOTOS_ACTIONS, arg);
      return action ? { kind: 'photos', action } : null;
    }
    case 'tier': {
      const tier = pick(TIERS, arg);
      return tier ? { kind: 'tier', tier } : null;
    }
    case 'pack':
    case 'packex': {
      const packId = digits(arg);
      return packId === null ? null : { kind: namespace, packId };
    }
    case 'agree': {
      // Must name the chosen pack exactly as it was sent.
      const packId = digits(arg);
      return packId === null || String(packId) !== arg ? null : { kind: 'agree', packId };
    }
    case 'rate':
      return /^[1-5]$/.test(arg) ? { kind: 'rate', stars: Number(arg) as Stars } : null;
    case 'more':
      return arg === 'pack' ? { kind: 'more', what: 'pack' } : null;
    case 'model': {
      const choice = pick(MODEL_CHOICES, arg);
      return choice ? { kind: 'model', choice } : null;
    }
    case 'tune': {
      const tuneId = digits(arg);
      return tuneId === null ? null : { kind: 'tune', tuneId };
    }
    case 'erase': {
      const choice = pick(ERASE_CHOICES, arg);
      return choice ? { kind: 'erase', choice } : null;
    }
    default:
      return null;
  }
}

/** Reply kinds whose turn needs the Astria packs (the adapter fetches them only then). */
const NEEDS_PACKS: ReadonlySet<string> = new Set<ReplyKind>(['tier', 'pack', 'packex', 'agree']);

/** Whether a raw reply id is one of the pack menus' (checked before decoding: a stale pack id still loads packs). */
export function replyNeedsPacks(raw: string): boolean {
  return NEEDS_PACKS.has(raw.split(':', 1)[0] ?? '') && raw.includes(':');
}

/** The pack whose preview a raw `packex:<id>` reply asks for, or null. */
export function previewPackOf(raw: string): number | null {
  const id = /^packex:\d+$/.test(raw) ? decodeReplyId(raw) : null;
  return id?.kind === 'packex' ? id.packId : null;
}
