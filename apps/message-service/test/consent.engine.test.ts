import { describe, expect, it } from 'vitest';
import { applyConsent, consentCommand } from '../src/conversation/consent.js';
import { type Conversation, type EngineInput, newConversation, type Reply } from '../src/conversation/types.js';

const text = (body: string): EngineInput =>
  ({
    kind: 'message',
    message: { id: 'w1', userId: '15550100001', type: 'text', timestamp: 5, text: body },
  }) as unknown as EngineInput;
const image = {
  kind: 'message',
  message: { id: 'w2', userId: '15550100001', type: 'image', timestamp: 5 },
} as unknown as EngineInput;
const payment = { kind: 'payment_received', data: {} } as unknown as EngineInput;
const images = { kind: 'images_generated', data: {} } as unknown as EngineInput;
const reply = (body: string): Reply => ({ message: { kind: 'text', body } });
const markRead: Reply = { message: { kind: 'mark_read', messageId: 'w1', typing: true } };
const conv = (extra: Partial<Conversation> = {}): Conversation => ({ ...newConversation('15550100001'), ...extra });

describe('consentCommand (every opt-out / opt-in input)', () => {
  const cases: Array<[EngineInput, string[], ReturnType<typeof consentCommand>]> = [
    [text('STOP'), [], 'stop'],
    [text(' stop '), [], 'stop'],
    [text('Unsubscribe'), [], 'stop'],
    [text('הסר'), [], 'stop'],
    [text('הסרה'), [], 'stop'],
    [text('עצור'), [], 'stop'],
    [text('הפסק'), [], 'stop'],
    [text('Basta'), ['basta'], 'stop'],
    [text('basta'), [], null],
    [text('START'), [], 'start'],
    [text('התחל'), [], 'start'],
    [text('please stop sending me the menu'), [], null],
    [image, [], null],
    [payment, [], null],
  ];
  for (const [input, extra, expected] of cases) {
    it(`${input.kind === 'message' ? (input.message.text ?? input.message.type) : input.kind} → ${expected}`, () => {
      expect(consentCommand(input, extra)).toBe(expected);
    });
  }
});

describe('applyConsent', () => {
  it('STOP: confirmation instead of the engine answer; state kept; opted out', () => {
    const before = conv({ state: 'choosing_pack', lastMessageAt: 1 });
    const after = { ...before, state: 'collecting_photos' as const, lastMessageAt: 5 };
    const r = applyConsent(before, after, text('STOP'), [markRead, reply('menu')]);
    expect(r.conversation).toMatchObject({ state: 'choosing_pack', lastMessageAt: 5, optedOut: true });
    expect(r.replies[0]).toBe(markRead);
    expect(r.replies[1]?.message).toMatchObject({ kind: 'text', body: expect.stringContaining('unsubscribed') });
    expect(r.command).toBe('stop');
  });
  it('STOP in Hebrew is confirmed in Hebrew', () => {
    const r = applyConsent(conv({ language: 'he' }), conv({ language: 'he' }), text('הסר'), []);
    expect(r.replies[0]?.message).toMatchObject({ body: expect.stringContaining('הוסרת') });
  });
  it('START opts back in', () => {
    const c = conv({ optedOut: true });
    const r = applyConsent(c, c, text('start'), []);
    expect(r.conversation.optedOut).toBe(false);
    expect(r.replies[0]?.message).toMatchObject({ body: expect.stringContaining('Welcome back') });
  });
  for (const input of [payment, images]) {
    it(`opted out: the replies to ${input.kind} are dropped`, () => {
      const c = conv({ optedOut: true });
      const r = applyConsent(c, c, input, [reply('thanks'), reply('more')]);
      expect(r.replies).toEqual([]);
      expect(r.dropped).toBe(2);
    });
    it(`not opted out: the replies to ${input.kind} go out`, () => {
      const c = conv();
      expect(applyConsent(c, c, input, [reply('thanks')]).replies).toEqual([reply('thanks')]);
    });
  }
  it('opted out: replies to the user own messages still go out', () => {
    const c = conv({ optedOut: true });
    expect(applyConsent(c, c, image, [reply('got it')]).replies).toEqual([reply('got it')]);
    expect(applyConsent(c, c, text('hello'), [reply('menu')]).conversation.optedOut).toBe(true);
  });
});
