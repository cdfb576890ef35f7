import { describe, expect, it } from 'vitest';
import { runConversation } from '../src/conversation/engine.js';
import { decodeReplyId, encodeReplyId, type ReplyId } from '../src/conversation/reply-ids.js';
import { newConversation } from '../src/conversation/types.js';

describe('reply ids', () => {
  const ids: ReplyId[] = [
    { kind: 'menu', item: 'begin' },
    { kind: 'menu', item: 'lang' },
    { kind: 'photos', action: 'ready' },
    { kind: 'photos', action: 'restart' },
    { kind: 'tier', tier: 'lite' },
    { kind: 'pack', packId: 260 },
    { kind: 'packex', packId: 260 },
    { kind: 'agree', packId: 260 },
    { kind: 'rate', stars: 1 },
    { kind: 'rate', stars: 5 },
    { kind: 'more', what: 'pack' },
    { kind: 'model', choice: 'saved' },
    { kind: 'model', choice: 'new' },
    { kind: 'tune', tuneId: 1504944 },
    { kind: 'menu', item: 'erase' },
    { kind: 'erase', choice: 'confirm' },
    { kind: 'erase', choice: 'cancel' },
  ];

  it('encodes the documented ids and decodes them back', () => {
    expect(ids.map(encodeReplyId)).toEqual([
      'menu:begin',
      'menu:lang',
      'photos:ready',
      'photos:restart',
      'tier:lite',
      'pack:260',
      'packex:260',
      'agree:260',
      'rate:1',
      'rate:5',
      'more:pack',
      'model:saved',
      'model:new',
      'tune:1504944',
      'menu:erase',
      'erase:confirm',
      'erase:cancel',
    ]);
    for (const id of ids) expect(decodeReplyId(encodeReplyId(id))).toEqual(id);
  });

  it('reads the legacy ids of earlier versions', () => {
    expect(decodeReplyId('begin')).toEqual({ kind: 'menu', item: 'begin' });
    expect(decodeReplyId('language')).toEqual({ kind: 'menu', item: 'lang' });
  });

  it.each([
    '',
    'menu',
    'menu:nope',
    'tier:gold',
    'pack:x',
    'agree:007',
    'rate:6',
    'rate:0',
    'more:tea',
    'tune:-1',
    'constructor',
    'toString',
  ])('does not know %j', (raw) => {
    expect(decodeReplyId(raw)).toBeNull();
  });

  it('answers an id named like an Object property as an expired option (step 16), without a crash', () => {
    const input = {
      kind: 'message' as const,
      message: {
        id: 'wamid.x',
        userId: '15551234567',
        phone: '15551234567',
        name: null,
        timestamp: 1,
        type: 'interactive' as const,
        replyId: 'constructor',
      },
    };
    const result = runConversation(newConversation('15551234567'), input, {
      config: {
        minPhotos: 4,
        prices: { lite: 1, standard: 2, premium: 3 },
        paymentLinks: { lite: 'https://a.example/l', standard: 'https://a.example/s', premium: 'https://a.example/p' },
        supportContact: 's@example.com',
        exampleImageUrls: [],
        etaMinutes: 25,
      },
      packs: [],
      packVideos: {},
      now: new Date(0),
    });
    expect(result.transition).toBe('expired_option');
    expect(result.conversation.state).toBe('collecting_photos');
  });
});
