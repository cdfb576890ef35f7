import type { Conversation, EngineInput, Language, Reply } from './types.js';

/** Built-in opt-out / opt-in words (matched on the whole trimmed, lower-cased text). */
export const OPT_OUT_WORDS: readonly string[] = ['stop', 'unsubscribe', 'הסר', 'הסרה', 'עצור', 'הפסק'];
export const OPT_IN_WORDS: readonly string[] = ['start', 'התחל'];

const COPY: Record<Language, { stopped: string; started: string }> = {
  en: {
    stopped: "You're unsubscribed: we won't message you first anymore. Send START to get our updates again.",
    started: "Welcome back! You'll get our updates again.",
  },
  he: {
    stopped: 'הוסרת: לא נפנה אליך יותר ביוזמתנו. שלחו START כדי לקבל שוב עדכונים.',
    started: 'ברוכים השבים! תקבלו שוב את העדכונים שלנו.',
  },
};

export type ConsentCommand = 'stop' | 'start' | null;

/** Whether this input is an opt-out or opt-in command (a text of one of the words). */
export function consentCommand(input: EngineInput, extraOptOutWords: readonly string[] = []): ConsentCommand {
  if (input.kind !== 'message' || input.message.type !== 'text') return null;
  const text = (input.message.text ?? '').trim().toLowerCase();
  if (!text) return null;
  if (OPT_OUT_WORDS.includes(text) || extraOptOutWords.some((w) => w.trim().toLowerCase() === text)) return 'stop';
  if (OPT_IN_WORDS.includes(text)) return 'start';
  return null;
}

export interface ConsentResult {
  conversation: Conversation;
  replies: Reply[];
  /** Business-initiated replies dropped because the user opted out. */
  dropped: number;
  /** STOP or START: the engine's feedback of this turn is not kept. */
  command: ConsentCommand;
}

/**
 * Applied after the engine, pure. STOP/START: the confirmation replaces the engine's answer and the
 * conversation keeps its state (only the opt-out flag and the last-message time change). While opted
 * out, replies to the user's own messages still go out; anything the business initiates (the replies
 * to domain events, hence templates too) is dropped.
 */
export function applyConsent(
  before: Conversation,
  after: Conversation,
  input: EngineInput,
  replies: readonly Reply[],
  extraOptOutWords: readonly string[] = [],
): ConsentResult {
  const command = consentCommand(input, extraOptOutWords);
  if (command !== null) {
    const conversation: Conversation = {
      ...before,
      lastMessageAt: after.lastMessageAt,
      name: after.name,
      optedOut: command === 'stop',
    };
    const copy = COPY[conversation.language];
    const confirmation: Reply = { message: { kind: 'text', body: command === 'stop' ? copy.stopped : copy.started } };
    const marks = replies.filter((r) => r.message.kind === 'mark_read');
    return { conversation, replies: [...marks, confirmation], dropped: 0, command };
  }
  if (after.optedOut && input.kind !== 'message')
    return { conversation: after, replies: [], dropped: replies.length, command };
  return { conversation: after, replies: [...replies], dropped: 0, command };
}
