import { describe, expect, it } from 'vitest';
import { ChatStore, fromGraphSend } from '../src/chat.js';

const at = '2026-11-24T10:00:00.000Z';

describe('fromGraphSend', () => {
  it('turns reply buttons, lists and call-to-action URLs into choices the page can render', () => {
    const buttons = fromGraphSend(
      {
        messaging_product: 'whatsapp',
        to: '972501234567',
        type: 'interactive',
        interactive: {
          type: 'button',
          header: { type: 'image', image: { link: 'https://example.com/cover.jpg' } },
          body: { text: 'Corporate Headshots' },
          action: { buttons: [{ type: 'reply', reply: { id: 'pack:260', title: 'I want this' } }] },
        },
      },
      'wamid.1',
      at,
    );
    expect(buttons).toMatchObject({
      type: 'message',
      message: {
        kind: 'buttons',
        direction: 'out',
        phone: '972501234567',
        header: { imageUrl: 'https://example.com/cover.jpg' },
        buttons: [{ id: 'pack:260', title: 'I want this' }],
      },
    });
    const list = fromGraphSend(
      {
        to: '972501234567',
        type: 'interactive',
        interactive: {
          type: 'list',
          body: { text: 'Menu' },
          action: { button: 'Options', sections: [{ title: 'Start', rows: [{ id: 'menu:begin', title: 'Begin' }] }] },
        },
      },
      'wamid.2',
      at,
    );
    expect(list).toMatchObject({
      message: { kind: 'list', list: { button: 'Options', sections: [{ rows: [{ id: 'menu:begin' }] }] } },
    });
    const cta = fromGraphSend(
      {
        to: '972501234567',
        type: 'interactive',
        interactive: {
          type: 'cta_url',
          body: { text: 'Pay here' },
          action: { name: 'cta_url', parameters: { display_text: 'Pay', url: 'https://pay.example/lite?phone=1' } },
        },
      },
      'wamid.3',
      at,
    );
    expect(cta).toMatchObject({
      message: { kind: 'cta', cta: { text: 'Pay', url: 'https://pay.example/lite?phone=1' } },
    });
  });

  it('serves media sent by id through the sandbox and keeps quotes', () => {
    const image = fromGraphSend(
      { to: '1', type: 'image', image: { id: 'media-7', caption: 'Yours' }, context: { message_id: 'wamid.in' } },
      'wamid.4',
      at,
    );
    expect(image).toMatchObject({
      message: { kind: 'image', mediaUrl: '/api/media/media-7', caption: 'Yours', contextId: 'wamid.in' },
    });
  });

  it('separates reactions and read receipts, which change an earlier message', () => {
    expect(
      fromGraphSend({ to: '1', type: 'reaction', reaction: { message_id: 'wamid.in', emoji: '✅' } }, 'x', at),
    ).toEqual({ type: 'reaction', phone: '1', messageId: 'wamid.in', emoji: '✅' });
    expect(
      fromGraphSend(
        { messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.in', typing_indicator: { type: 'text' } },
        'x',
        at,
      ),
    ).toEqual({ type: 'read', messageId: 'wamid.in', typing: true });
  });
});

describe('ChatStore', () => {
  const userMessage = (id: string) => ({
    id,
    phone: '972501234567',
    direction: 'in' as const,
    kind: 'text' as const,
    at,
    text: 'hi',
    reactions: [],
    status: 'sent' as const,
  });

  it('never moves a status backwards (delivery reports arrive out of order)', () => {
    const chat = new ChatStore();
    chat.put(userMessage('wamid.a'));
    chat.setStatus('wamid.a', 'read');
    chat.setStatus('wamid.a', 'delivered');
    expect(chat.get('wamid.a')?.status).toBe('read');
  });

  it('applies a reaction that arrived before its message, once the message is there', () => {
    const chat = new ChatStore();
    chat.applyBotSend({ to: '972501234567', type: 'reaction', reaction: { message_id: 'wamid.b', emoji: '❌' } }, 'r');
    chat.put(userMessage('wamid.b'));
    expect(chat.get('wamid.b')?.reactions).toEqual([{ emoji: '❌', by: 'bot' }]);
    chat.react('wamid.b', '✅', 'bot');
    expect(chat.get('wamid.b')?.reactions).toEqual([{ emoji: '✅', by: 'bot' }]);
  });

  it('numbers every change, so a stale copy can be told from a newer one', () => {
    const chat = new ChatStore();
    const first = chat.put(userMessage('wamid.d'));
    chat.react('wamid.d', '✅', 'bot');
    expect(chat.get('wamid.d')?.rev).toBeGreaterThan(first.rev ?? 0);
    const copy = new ChatStore(chat.snapshot());
    expect(copy.put(userMessage('wamid.e')).rev).toBeGreaterThan(chat.get('wamid.d')?.rev ?? 0);
  });

  it('tells listeners every change and survives a snapshot round trip', () => {
    const chat = new ChatStore();
    const seen: string[] = [];
    chat.subscribe((change) => seen.push(change.type));
    chat.addUser('972501234567', 'Dana');
    chat.put(userMessage('wamid.c'));
    expect(seen).toEqual(['user', 'message']);
    const copy = new ChatStore(JSON.parse(JSON.stringify(chat.snapshot())));
    expect(copy.listUsers()).toEqual([{ phone: '972501234567', name: 'Dana' }]);
    expect(copy.conversation('972501234567')).toHaveLength(1);
  });
});
