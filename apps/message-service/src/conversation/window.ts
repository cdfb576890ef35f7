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

/** A window template's text in one language, as submitted for review: the body and its quick-reply button. */
export interface TemplateText {
  body: string;
  button: string;
}

/**
 * The window templates the repo ships (docs/operations/whatsapp-templates.md): per purpose the name,
 * and per language the text `pnpm whatsapp templates --submit-missing` submits.
 */
export const SHIPPED_TEMPLATES: Record<TemplatePurpose, { name: string; texts: Record<Language, TemplateText> }> = {
  payment_received: {
    name: 'astria_payment_received',
    texts: {
      en: { body: 'Payment received, training started. Tap below to get the details.', button: 'Continue' },
      he: { body: 'התשלום התקבל, האימון התחיל. לחצו למטה לפרטים.', button: 'המשך' },
    },
  },
  images_ready: {
    name: 'astria_portraits_ready',
    texts: {
      en: { body: 'Your portraits are ready!', button: 'Send them' },
      he: { body: 'הפורטרטים שלך מוכנים!', button: 'שלחו אותם' },
    },
  },
  follow_up: {
    name: 'astria_follow_up',
    texts: {
      en: { body: 'We have an update about your portraits.', button: 'Continue' },
      he: { body: 'יש לנו עדכון לגבי הפורטרטים שלך.', button: 'המשך' },
    },
  },
};

const LANGUAGES: readonly Language[] = ['en', 'he'];

/** The shipped templates by name, each language under its own code; WHATSAPP_TEMPLATES overrides any of them. */
export const DEFAULT_TEMPLATES: TemplateConfig = Object.fromEntries(
  TEMPLATE_PURPOSES.map((purpose) => [
    purpose,
    Object.fromEntries(LANGUAGES.map((language) => [language, { name: SHIPPED_TEMPLATES[purpose].name, language }])),
  ]),
) as TemplateConfig;

/** The defaults with the configured overrides laid over them (per purpose and language). */
export function resolveTemplates(
  overrides: Partial<Record<TemplatePurpose, Partial<Record<Language, Partial<TemplateRef>>>>>,
): TemplateConfig {
  const out = structuredClone(DEFAULT_TEMPLATES);
  for (const purpose of TEMPLATE_PURPOSES) {
    for (const language of LANGUAGES) {
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
  return sendTemplate(next, purposeOf(input), templates, now);
}

/** The conversation (its replies already held) sends the window template of `purpose` and waits for an answer. */
function sendTemplate(
  conversation: Conversation,
  purpose: TemplatePurpose,
  templates: TemplateConfig,
  now: Date,
): WindowResult {
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
      ...conversation,
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
  return sendTemplate(next, 'follow_up', templates, now);
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
