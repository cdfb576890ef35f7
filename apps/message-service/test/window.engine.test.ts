import { describe, expect, it } from 'vitest';
import { type Conversation, type EngineInput, newConversation, type Reply } from '../src/conversation/types.js';
import {
  applyWindow,
  DEFAULT_TEMPLATES,
  holdRefused,
  resolveTemplates,
  templateReminder,
  WINDOW_BUTTON_PAYLOAD,
  WINDOW_MS,
} from '../src/conversation/window.js';
import { testConfig } from './harness.js';

const now = new Date('2026-11-24T10:00:00Z');
const text = (body: string): Reply => ({ message: { kind: 'text', body } });
const payment: EngineInput = {
  kind: 'payment_received',
  data: { provider: 'stripe', paymentId: 'p1', userId: '15550100001', tier: 'lite', amount: 1, currency: 'ils' },
} as EngineInput;
const images: EngineInput = { kind: 'images_generated', data: {} } as unknown as EngineInput;
const message = (replyId?: string): EngineInput =>
  ({
    kind: 'message',
    message: {
      id: 'w1',
      userId: '15550100001',
      type: 'text',
      timestamp: now.getTime(),
      ...(replyId ? { replyId } : {}),
    },
  }) as unknown as EngineInput;
const conversation = (extra: Partial<Conversation> = {}): Conversation => ({
  ...newConversation('15550100001'),
  ...extra,
});
const closed = { lastMessageAt: now.getTime() - WINDOW_MS - 1 };
const open = { lastMessageAt: now.getTime() - WINDOW_MS + 60_000 };

describe('applyWindow (every input × window state)', () => {
  const cases: Array<{
    name: string;
    c: Partial<Conversation>;
    input: EngineInput;
    replies: Reply[];
    out: string[];
    held: number;
    waiting: boolean;
    template: string | null;
  }> = [
    {
      name: 'event, window open',
      c: open,
      input: payment,
      replies: [text('a')],
      out: ['a'],
      held: 0,
      waiting: false,
      template: null,
    },
    {
      name: 'event, no inbound known',
      c: {},
      input: payment,
      replies: [text('a')],
      out: ['a'],
      held: 0,
      waiting: false,
      template: null,
    },
    {
      name: 'payment, window closed',
      c: closed,
      input: payment,
      replies: [text('a'), text('b')],
      out: ['template:payment_received'],
      held: 2,
      waiting: true,
      template: 'payment_received',
    },
    {
      name: 'images, window closed',
      c: closed,
      input: images,
      replies: [text('a')],
      out: ['template:images_ready'],
      held: 1,
      waiting: true,
      template: 'images_ready',
    },
    {
      name: 'event while waiting: held, no second template',
      c: { ...closed, held: [text('a')], waitingTemplate: true },
      input: images,
      replies: [text('b')],
      out: [],
      held: 2,
      waiting: true,
      template: null,
    },
    {
      name: 'event with no replies, window closed',
      c: closed,
      input: payment,
      replies: [],
      out: [],
      held: 0,
      waiting: false,
      template: null,
    },
    {
      name: 'event, window open but messages held: queued behind them',
      c: { ...open, held: [text('a')], waitingTemplate: true },
      input: images,
      replies: [text('b')],
      out: [],
      held: 2,
      waiting: true,
      template: null,
    },
    {
      name: 'the template button releases the held replies only',
      c: { held: [text('a'), text('b')], waitingTemplate: true },
      input: message(WINDOW_BUTTON_PAYLOAD),
      replies: [text('expired')],
      out: ['a', 'b'],
      held: 0,
      waiting: false,
      template: null,
    },
    {
      name: 'any message releases the held replies, then its own',
      c: { held: [text('a')], waitingTemplate: true },
      input: message(),
      replies: [text('hi')],
      out: ['a', 'hi'],
      held: 0,
      waiting: false,
      template: null,
    },
    {
      name: 'a message with nothing held is untouched',
      c: closed,
      input: message(),
      replies: [text('hi')],
      out: ['hi'],
      held: 0,
      waiting: false,
      template: null,
    },
  ];
  for (const t of cases) {
    it(t.name, () => {
      const result = applyWindow(conversation(t.c), t.input, t.replies, now, DEFAULT_TEMPLATES);
      expect(
        result.replies.map((r) =>
          r.message.kind === 'text'
            ? r.message.body
            : r.message.kind === 'template'
              ? `template:${r.message.purpose}`
              : r.message.kind,
        ),
      ).toEqual(t.out);
      expect(result.conversation.held.length).toBe(t.held);
      expect(result.conversation.waitingTemplate).toBe(t.waiting);
      expect(result.templateSent).toBe(t.template);
    });
  }

  it('sends the template in the user language with the reopen button', () => {
    const result = applyWindow(
      conversation({ ...closed, language: 'he' }),
      payment,
      [text('a')],
      now,
      DEFAULT_TEMPLATES,
    );
    expect(result.replies[0]?.message).toEqual({
      kind: 'template',
      name: 'astria_payment_received',
      language: 'he',
      purpose: 'payment_received',
      buttonPayload: WINDOW_BUTTON_PAYLOAD,
    });
  });

  it('configured overrides replace name, language and parameters per purpose and language', () => {
    const templates = resolveTemplates({
      images_ready: { he: { name: 'my_ready', language: 'he_IL', parameters: ['x'] } },
    });
    expect(templates.images_ready.he).toEqual({ name: 'my_ready', language: 'he_IL', parameters: ['x'] });
    expect(templates.images_ready.en).toEqual(DEFAULT_TEMPLATES.images_ready.en);
  });
});

describe('holdRefused (a free-form send refused with 131047)', () => {
  const refused = text('thanks');
  it('holds it and sends the follow-up template once', () => {
    const r = holdRefused(conversation(), refused, DEFAULT_TEMPLATES, now);
    expect(r.conversation.held).toEqual([refused]);
    expect(r.conversation.waitingTemplate).toBe(true);
    expect(r.replies.map((x) => x.message.kind)).toEqual(['template']);
    expect(r.templateSent).toBe('follow_up');
  });
  it('while a template is waiting: held after the others, no second template', () => {
    const r = holdRefused(conversation({ held: [text('a')], waitingTemplate: true }), refused, DEFAULT_TEMPLATES, now);
    expect(r.conversation.held).toEqual([text('a'), refused]);
    expect(r.replies).toEqual([]);
  });
  it('opted out: held, no template', () => {
    const r = holdRefused(conversation({ optedOut: true }), refused, DEFAULT_TEMPLATES, now);
    expect(r.replies).toEqual([]);
    expect(r.conversation.waitingTemplate).toBe(false);
  });
});

describe('WHATSAPP_TEMPLATES is validated at start', () => {
  const base = testConfig();
  it('defaults to no overrides and accepts a valid one', async () => {
    expect(base.WHATSAPP_TEMPLATES).toEqual({});
    const config = testConfig({ WHATSAPP_TEMPLATES: '{"images_ready":{"he":{"name":"my_ready","language":"he"}}}' });
    expect(resolveTemplates(config.WHATSAPP_TEMPLATES).images_ready.he.name).toBe('my_ready');
  });
  for (const bad of [
    'not json',
    '{"unknown_purpose":{}}',
    '{"images_ready":{"fr":{}}}',
    '{"images_ready":{"en":{"name":"Bad Name"}}}',
  ]) {
    it(`rejects ${bad}`, () => {
      expect(() => testConfig({ WHATSAPP_TEMPLATES: bad })).toThrow(/WHATSAPP_TEMPLATES/);
    });
  }
});

describe('templateReminder (every pending × count × time × consent)', () => {
  const template = { kind: 'template', name: 'astria_follow_up', language: 'en', purpose: 'follow_up' } as const;
  const policy = { maxReminders: 2, intervalMs: 24 * 3_600_000 };
  const waiting = (reminders: number, hoursAgo: number, extra: Partial<Conversation> = {}) =>
    conversation({
      waitingTemplate: true,
      pendingTemplate: { message: template, sentAt: now.getTime() - hoursAgo * 3_600_000, reminders },
      ...extra,
    });
  const cases: Array<[string, Conversation, boolean]> = [
    ['no template pending', conversation(), false],
    ['sent 23 h ago', waiting(0, 23), false],
    ['sent 25 h ago, none yet', waiting(0, 25), true],
    ['reminded once, 25 h ago', waiting(1, 25), true],
    ['reminded twice already', waiting(2, 100), false],
    ['opted out', waiting(0, 25, { optedOut: true }), false],
    ['answered (not waiting)', waiting(0, 25, { waitingTemplate: false }), false],
  ];
  for (const [name, c, due] of cases) {
    it(`${name} → ${due ? 'the same template again, counted' : 'nothing'}`, () => {
      const r = templateReminder(c, now, policy);
      expect(r.reminder).toEqual(due ? template : null);
      if (due) {
        expect(r.conversation.pendingTemplate).toMatchObject({
          sentAt: now.getTime(),
          reminders: (c.pendingTemplate?.reminders ?? 0) + 1,
        });
      } else expect(r.conversation).toBe(c);
    });
  }
  it('a template sent by the window is recorded as pending; the answer clears it', () => {
    const sent = applyWindow(conversation(closed), payment, [text('thanks')], now, DEFAULT_TEMPLATES);
    expect(sent.conversation.pendingTemplate).toMatchObject({ sentAt: now.getTime(), reminders: 0 });
    const answered = applyWindow(sent.conversation, message(WINDOW_BUTTON_PAYLOAD), [], now, DEFAULT_TEMPLATES);
    expect(answered.conversation.pendingTemplate).toBeNull();
  });
});
