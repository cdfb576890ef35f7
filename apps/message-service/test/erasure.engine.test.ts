import { describe, expect, it } from 'vitest';
import { ERASE_WORDS, isEraseRequest, runConversation } from '../src/conversation/engine.js';
import {
  type ConversationState,
  type EngineContext,
  type EngineInput,
  type Language,
  newConversation,
} from '../src/conversation/types.js';

const USER = '15551234567';
const ctx: EngineContext = {
  config: {
    minPhotos: 4,
    prices: { lite: 49, standard: 79, premium: 119 },
    paymentLinks: {
      lite: 'https://pay.example/l',
      standard: 'https://pay.example/s',
      premium: 'https://pay.example/p',
    },
    supportContact: 'support@example.com',
    exampleImageUrls: [],
    etaMinutes: 25,
  },
  packs: [],
  packVideos: {},
  now: new Date('2026-11-24T10:00:00Z'),
};
const message = (fields: Record<string, unknown>): EngineInput =>
  ({
    kind: 'message',
    message: { id: 'wamid.e1', userId: USER, timestamp: 1764000000000, type: 'interactive', ...fields },
  }) as unknown as EngineInput;
const tap = (replyId: string) => message({ type: 'interactive', replyId });
const say = (text: string) => message({ type: 'text', text });
const conversation = (state: ConversationState, language: Language) => ({
  ...newConversation(USER),
  state,
  language,
  welcomed: true,
  name: 'Dana',
  photos: [{ messageId: 'wamid.p1', status: 'accepted' as const, photoId: 'ph1' }],
  models: [{ tuneId: 7, packId: 260, subjectClass: 'man', createdAt: '2026-11-20T10:00:00Z', expiresAt: null }],
  paymentsSeen: ['pay-1'],
  feedbackGiven: true,
});
const STATES: ConversationState[] = ['collecting_photos', 'choosing_pack', 'training', 'has_model', 'writing_feedback'];
const LANGUAGES: Language[] = ['en', 'he'];
const buttonIds = (r: ReturnType<typeof runConversation>) =>
  r.replies.flatMap((x) => (x.message.kind === 'buttons' ? x.message.buttons.map((b) => b.id) : []));

describe('"Delete my data" in every state and language', () => {
  const asks: Array<[string, EngineInput]> = [
    ['the menu entry', tap('menu:erase')],
    ['"Delete my data"', say('Delete my data')],
    ['"  delete   ME "', say('  delete   ME ')],
    ['"מחק את המידע שלי"', say('מחק את המידע שלי')],
    ['"מחיקת מידע"', say('מחיקת מידע')],
  ];
  const cases = STATES.flatMap((state) =>
    LANGUAGES.flatMap((language) => asks.map(([name, input]) => [state, language, name, input] as const)),
  );

  it.each(cases)('%s (%s) × %s → the confirmation buttons; nothing changes yet', (state, language, _n, input) => {
    const before = conversation(state, language);
    const r = runConversation(before, input, ctx);
    expect(r.transition).toBe('erase_asked');
    expect(r.erase).toBe(false);
    expect(buttonIds(r)).toEqual(['erase:confirm', 'erase:cancel']);
    expect(r.feedback).toEqual([]);
    expect(r.conversation.state).toBe(state === 'writing_feedback' && input === asks[0]?.[1] ? 'has_model' : state);
    expect(r.conversation.photos).toEqual(before.photos);
    const body = r.replies.find((x) => x.message.kind === 'buttons')?.message;
    expect(body && 'body' in body ? body.body : '').toMatch(language === 'he' ? /[\u0590-\u05ff]/ : /Delete all/);
  });

  it.each(STATES.flatMap((s) => LANGUAGES.map((l) => [s, l] as const)))(
    '%s (%s) × Yes, delete it → erased: a fresh conversation, the erase flag, a confirmation',
    (state, language) => {
      const r = runConversation(conversation(state, language), tap('erase:confirm'), ctx);
      expect(r.transition).toBe('data_erased');
      expect(r.erase).toBe(true);
      expect(r.events.filter((e) => e.type === 'training_requested')).toEqual([]);
      expect(r.conversation).toMatchObject({ ...newConversation(USER), language });
      const texts = r.replies.flatMap((x) => (x.message.kind === 'text' ? [x.message.body] : []));
      expect(texts).toEqual([language === 'he' ? expect.stringContaining('נמחק') : expect.stringContaining('erased')]);
    },
  );

  it.each(STATES.flatMap((s) => LANGUAGES.map((l) => [s, l] as const)))(
    '%s (%s) × No, keep it → nothing deleted, the current menu again',
    (state, language) => {
      const before = conversation(state, language);
      const r = runConversation(before, tap('erase:cancel'), ctx);
      expect(r.transition).toBe('erase_cancelled');
      expect(r.erase).toBe(false);
      expect(r.conversation.photos).toEqual(before.photos);
      expect(r.conversation.models).toEqual(before.models);
      expect(r.replies.filter((x) => x.message.kind !== 'mark_read').length).toBeGreaterThanOrEqual(2);
    },
  );

  it('an unknown erase id is step 16 (expired), never an erasure', () => {
    const r = runConversation(conversation('has_model', 'en'), tap('erase:maybe'), ctx);
    expect(r.transition).toBe('expired_option');
    expect(r.erase).toBe(false);
  });

  it.each([
    ['delete my data', true],
    ['DELETE MY DATA', true],
    ['erase my data', true],
    ['מחק את המידע שלי', true],
    ['please delete my data now', false],
    ['delete', false],
    ['', false],
  ] as const)('isEraseRequest(%j) → %s', (text, expected) => {
    expect(isEraseRequest(text)).toBe(expected);
  });

  it('every documented word is recognised', () => {
    for (const word of ERASE_WORDS) expect(isEraseRequest(word), word).toBe(true);
  });

  it('the welcome menu offers "Delete my data" in both languages', () => {
    for (const language of LANGUAGES) {
      const r = runConversation({ ...newConversation(USER), language }, say('hi'), ctx);
      const list = r.replies.find((x) => x.message.kind === 'list')?.message;
      const rows = list?.kind === 'list' ? list.sections.flatMap((s) => s.rows.map((row) => row.id)) : [];
      expect(rows).toContain('menu:erase');
    }
  });
});
