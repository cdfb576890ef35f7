import type { OutboundMessage } from '@astria/events';
import type { Conversation, EngineInput, Language, Reply } from './types.js';

/** WhatsApp's customer-service window: free-form messages only within 24 h of the user's last message. */
export const WINDOW_MS = 24 * 60 * 60 * 1000;
/** The quick-reply payload of every window template: tapping it reopens the window. */
export const WINDOW_BUTTON_PAYLOAD = 'window:open';

export type TemplatePurpose = 'payment_received' | 'images_ready' | 'follow_up';
export const TEMPLATE_PURPOSES: readonly TemplatePurpose[] = ['payment_received', 'images_ready', 'follow_up'];

export interface TemplateRef {
  name: string;
  language: string;
  /** Body parameters {{1}}… in order. */
  parameters?: string[];
}

export type TemplateConfig = Record<TemplatePurpose, Record<Language, TemplateRef>>;

/** The documented defaults (docs/operations/whatsapp-templates.md); WHATSAPP_TEMPLATES overrides any of them. */
export const DEFAULT_TEMPLATES: TemplateConfig = {
  payment_received: {
    en: { name: 'astria_payment_received', language: 'en' },
    he: { name: 'astria_payment_received', language: 'he' },
  },
  images_ready: {
    en: { name: 'astria_portraits_ready', language: 'en' },
    he: { name: 'astria_portraits_ready', language: 'he' },
  },
  follow_up: {
    en: { name: 'astria_follow_up', language: 'en' },
    he: { name: 'astria_follow_up', language: 'he' },
  },
};

/** The defaults with the configured overrides laid over them (per purpose and language). */
export function resolveTemplates(
  overrides: Partial<Record<TemplatePurpose, Partial<Record<Language, Partial<TemplateRef>>>>>,
): TemplateConfig {
  const out = structuredClone(DEFAULT_TEMPLATES);
  for (const purpose of TEMPLATE_PURPOSES) {
    for (const language of ['en', 'he'] as const) {
      const override = overrides[purpose]?.[language];
      if (override) out[purpose][language] = { ...out[purpose][language], ...override };
    }
  }
  return out;
}

/** What the input that produced these replies is, for the template sent when they must wait. */
export function purposeOf(input: EngineInput): TemplatePurpose {
  if (input.kind === 'payment_received') return 'payment_received';
  if (input.kind === 'images_generated') return 'images_ready';
  return 'follow_up';
}

export function windowOpen(conversation: Pick<Conversation, 'lastMessageAt'>, now: Date): boolean {
  // No inbound message known (lastMessageAt 0): nothing to hold for; the send itself reports a closed window.
  return conversation.lastMessageAt === 0 || now.getTime() - conversation.lastMessageAt < WINDOW_MS;
}

export interface WindowResult {
  conversation: Conversation;
  replies: Reply[];
  /** The purpose of the template sent this turn, if one was. */
  templateSent: TemplatePurpose | null;
}

/**
 * Applied after the engine, pure: outside the window the turn's business-initiated replies are held
 * on the conversation and one utility template is sent instead (once per waiting period); the
 * user's next message (any message, or the template's button) releases the held replies first, in order.
 */
export function applyWindow(
  conversation: Conversation,
  input: EngineInput,
  replies: readonly Reply[],
  now: Date,
  templates: TemplateConfig,
): WindowResult {
  const held = conversation.held ?? [];
  if (input.kind === 'message') {
    if (held.length === 0 && !conversation.waitingTemplate)
      return { conversation, replies: [...replies], templateSent: null };
    const tapped = input.message.replyId === WINDOW_BUTTON_PAYLOAD;
    return {
      conversation: { ...conversation, held: [], waitingTemplate: false, pendingTemplate: null },
      // The tap only reopens the window: the held messages are its answer.
      replies: tapped ? [...held] : [...held, ...replies],
      templateSent: null,
    };
  }
  if (replies.length === 0) return { conversation, replies: [], templateSent: null };
  if (windowOpen(conversation, now) && held.length === 0)
    return { conversation, replies: [...replies], templateSent: null };
  const next: Conversation = { ...conversation, held: [...held, ...replies] };
  if (conversation.waitingTemplate) return { conversation: next, replies: [], templateSent: null };
  const purpose = purposeOf(input);
  const ref = templates[purpose][conversation.language];
  const template: OutboundMessage = {
    kind: 'template',
    name: ref.name,
    language: ref.language,
    purpose,
    ...(ref.parameters?.length ? { parameters: ref.parameters } : {}),
    buttonPayload: WINDOW_BUTTON_PAYLOAD,
  };
  return {
    conversation: {
      ...next,
      waitingTemplate: true,
      pendingTemplate: { message: template, sentAt: now.getTime(), reminders: 0 },
    },
    replies: [{ message: template }],
    templateSent: purpose,
  };
}

/**
 * A free-form send WhatsApp refused with 131047 (the window closed before it went out): the message
 * is held (after any already held) and, unless one is already waiting or the user opted out, the
 * follow-up template is sent. Pure.
 */
export function holdRefused(
  conversation: Conversation,
  refused: Reply,
  templates: TemplateConfig,
  now: Date,
): WindowResult {
  const next: Conversation = { ...conversation, held: [...(conversation.held ?? []), refused] };
  if (conversation.waitingTemplate || conversation.optedOut)
    return { conversation: next, replies: [], templateSent: null };
  const ref = templates.follow_up[conversation.language];
  const template: OutboundMessage = {
    kind: 'template',
    name: ref.name,
    language: ref.language,
    purpose: 'follow_up',
    ...(ref.parameters?.length ? { parameters: ref.parameters } : {}),
    buttonPayload: WINDOW_BUTTON_PAYLOAD,
  };
  return {
    conversation: {
      ...next,
      waitingTemplate: true,
      pendingTemplate: { message: template, sentAt: now.getTime(), reminders: 0 },
    },
    replies: [{ message: template }],
    templateSent: 'follow_up',
  };
}

export interface ReminderPolicy {
  /** Reminders at most per unanswered template (0: none). */
  maxReminders: number;
  /** Time after the template (or the previous reminder) before the next reminder. */
  intervalMs: number;
}

/**
 * A user who has not answered a window template is reminded with the same template, at most
 * `maxReminders` times, each `intervalMs` after the previous one; never an opted-out user. Pure: the
 * reminder to send (null when none is due) and the conversation that records it.
 */
export function templateReminder(
  conversation: Conversation,
  now: Date,
  policy: ReminderPolicy,
): { conversation: Conversation; reminder: OutboundMessage | null } {
  const pending = conversation.pendingTemplate;
  if (
    !pending ||
    !conversation.waitingTemplate ||
    conversation.optedOut ||
    pending.reminders >= policy.maxReminders ||
    now.getTime() - pending.sentAt < policy.intervalMs
  )
    return { conversation, reminder: null };
  return {
    conversation: {
      ...conversation,
      pendingTemplate: { ...pending, sentAt: now.getTime(), reminders: pending.reminders + 1 },
    },
    reminder: pending.message,
  };
}
