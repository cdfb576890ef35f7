import { readFileSync } from 'node:fs';
import { catalog, payloads } from '@astria/events';
import { describe, expect, it } from 'vitest';
import { paymentLinkFor, runConversation } from '../src/conversation/engine.js';
import {
  type Conversation,
  type ConversationState,
  type EngineContext,
  type EngineInput,
  type EngineResult,
  type Language,
  newConversation,
  type Pack,
} from '../src/conversation/types.js';
import type { InboundMessage } from '../src/webhook/notification.js';

const USER = '15551234567';
const rawPacks = JSON.parse(readFileSync(new URL('./fixtures/astria/packs.json', import.meta.url), 'utf8')) as Array<
  Record<string, unknown>
>;
const PACKS: Pack[] = rawPacks.map((p) => ({
  id: p.id as number,
  slug: p.slug as string,
  title: p.title as string,
  coverUrl: p.cover_url as string,
  costs: Object.fromEntries(
    Object.entries(p.costs as Record<string, { cost: number; num_images: number }>).map(([k, v]) => [
      k,
      { cost: v.cost, numImages: v.num_images },
    ]),
  ),
}));

const ctx = (over: Partial<EngineContext> = {}): EngineContext => ({
  config: {
    minPhotos: 4,
    prices: { lite: 49, standard: 79, premium: 119 },
    paymentLinks: {
      lite: 'https://pay.sumit.co.il/lite',
      standard: 'https://buy.stripe.com/test_standard',
      premium: 'https://pay.sumit.co.il/premium',
    },
    supportContact: 'support@example.com',
    exampleImageUrls: ['https://example.com/good1.jpg'],
    etaMinutes: 25,
  },
  packs: PACKS,
  packVideos: { '260:man': 'https://cdn.example.com/packs/260/man.mp4' },
  now: new Date('2026-11-24T10:00:00Z'),
  ...over,
});

let seq = 0;
function message(type: InboundMessage['type'], fields: Partial<InboundMessage> = {}): EngineInput {
  seq++;
  return {
    kind: 'message',
    message: {
      id: `wamid.${seq}`,
      userId: USER,
      phone: USER,
      name: 'Dana',
      timestamp: 1764000000000 + seq * 1000,
      type,
      ...fields,
    },
  };
}
const text = (body: string) => message('text', { text: body });
const button = (id: string) => message('interactive', { replyId: id });
const photo = (id = `wamid.photo${++seq}`) =>
  message('image', { id, image: { mediaId: `m${seq}`, mimeType: 'image/jpeg' } });
const processed = (
  messageId: string,
  status: 'accepted' | 'rejected' = 'accepted',
  extra: Record<string, unknown> = {},
): EngineInput => ({
  kind: 'image_processed',
  data: {
    userId: USER,
    messageId,
    photoId: `photo-${messageId}`,
    status,
    subjectClass: 'man',
    characteristics: {},
    ...extra,
  } as never,
});
const payment = (tier: 'lite' | 'standard' | 'premium', paymentId = 'pay-1'): EngineInput => ({
  kind: 'payment_received',
  data: { provider: 'stripe', paymentId, userId: USER, tier, amount: 79, currency: 'ILS', name: 'Dana Levi' },
});

function conversation(state: ConversationState, patch: Partial<Conversation> = {}): Conversation {
  const base = newConversation(USER);
  const photos =
    state === 'collecting_photos'
      ? []
      : Array.from({ length: 4 }, (_, i) => ({
          messageId: `wamid.p${i}`,
          status: 'accepted' as const,
          photoId: `ph${i}`,
        }));
  return {
    ...base,
    state,
    welcomed: true,
    photos,
    subjectClass: state === 'collecting_photos' ? null : 'man',
    models:
      state === 'has_model' || state === 'writing_feedback'
        ? [
            {
              tuneId: 1504944,
              packId: 260,
              subjectClass: 'man',
              createdAt: '2026-11-20T10:00:00.000Z',
              expiresAt: '2026-12-20T10:00:00.000Z',
            },
          ]
        : [],
    training:
      state === 'training'
        ? { requestId: `${USER}:pay-0`, packId: 260, tier: 'standard', paymentId: 'pay-0', provider: 'stripe' }
        : null,
    ...patch,
  };
}

/** Runs a turn and checks every reply and event against WhatsApp's limits and the event catalog. */
function run(c: Conversation, input: EngineInput, context = ctx()): EngineResult {
  const result = runConversation(c, input, context);
  for (const reply of result.replies) {
    const parsed = payloads.whatsappSendRequested.safeParse({
      to: USER,
      message: reply.message,
      replyTo: reply.replyTo,
    });
    expect(parsed.success, `${JSON.stringify(reply.message)} ${parsed.error?.message ?? ''}`).toBe(true);
  }
  for (const event of result.events) {
    const parsed = catalog[event.type].schema.safeParse(event.data);
    expect(parsed.success, JSON.stringify(event)).toBe(true);
  }
  return result;
}
const kinds = (r: EngineResult) => r.replies.map((x) => x.message.kind).filter((k) => k !== 'mark_read');
const ids = (r: EngineResult) =>
  r.replies.flatMap((x) => {
    const m = x.message;
    if (m.kind === 'buttons') return m.buttons.map((b) => b.id);
    if (m.kind === 'list') return m.sections.flatMap((s) => s.rows.map((row) => row.id));
    return [];
  });
const texts = (r: EngineResult) => r.replies.flatMap((x) => ('body' in x.message ? [x.message.body] : []));

const STATES: ConversationState[] = ['collecting_photos', 'choosing_pack', 'training', 'has_model', 'writing_feedback'];
const LANGUAGES: Language[] = ['en', 'he'];

describe('conversation engine: the flow of docs/product-flow.md', () => {
  it.each(LANGUAGES)('1. any first text → the welcome menu (%s)', (language) => {
    const r = run(newConversation(USER) && { ...newConversation(USER), language }, text('hello'));
    expect(r.replies[0]?.message).toMatchObject({ kind: 'mark_read', typing: true });
    expect(kinds(r)).toEqual(['list']);
    expect(ids(r)).toEqual(['menu:begin', 'menu:how', 'menu:lang', 'menu:support', 'menu:erase']);
    expect(r.conversation).toMatchObject({ state: 'collecting_photos', welcomed: true, name: 'Dana' });
    expect(r.events.map((e) => e.type)).toEqual(['user_message_received']);
  });

  it('new users with an Israeli number start in Hebrew, others in English', () => {
    expect(newConversation('972501234567').language).toBe('he');
    expect(newConversation('15551234567').language).toBe('en');
  });

  it('2. Let\'s begin → photo guidelines with I\'m ready / Show me examples (legacy id "begin" too)', () => {
    for (const id of ['menu:begin', 'begin']) {
      const r = run(conversation('collecting_photos'), button(id));
      expect(ids(r)).toEqual(['photos:ready', 'photos:examples']);
      expect(texts(r)[0]).toContain('4');
    }
  });

  it("2b. Show me examples → the configured example images, then I'm ready", () => {
    const r = run(conversation('collecting_photos'), button('photos:examples'));
    expect(kinds(r)).toEqual(['image', 'buttons']);
    expect(ids(r)).toEqual(['photos:ready']);
  });

  it("3. I'm ready → send at least N photos", () => {
    const r = run(conversation('collecting_photos'), button('photos:ready'));
    expect(kinds(r)).toEqual(['text']);
    expect(texts(r)[0]).toMatch(/at least 4 photos/);
  });

  it('4. a photo is marked as a training photo and answered when inspected', () => {
    const r = run(conversation('collecting_photos'), photo('wamid.ph-a'));
    expect(kinds(r)).toEqual([]);
    expect(r.events[0]?.data).toMatchObject({
      type: 'image',
      trainingPhoto: true,
      image: { mediaId: expect.any(String) },
    });
    expect(r.conversation.photos).toEqual([{ messageId: 'wamid.ph-a', status: 'pending' }]);
  });

  it('4. a rejected photo → a reply quoting it with the reason, and a ❌ reaction', () => {
    let c = run(conversation('collecting_photos'), photo('wamid.bad')).conversation;
    const r = run(c, processed('wamid.bad', 'rejected', { reason: 'sunglasses', subjectClass: undefined }));
    expect(r.replies[0]?.message).toEqual({ kind: 'reaction', messageId: 'wamid.bad', emoji: '❌' });
    expect(r.replies[1]).toMatchObject({ replyTo: 'wamid.bad', message: { kind: 'text' } });
    expect(texts(r)[0]).toContain('sunglasses');
    c = r.conversation;
    expect(c.photos[0]?.status).toBe('rejected');
    expect(c.subjectClass).toBeNull();
  });

  it('4. a burst of photos: each answered once, in order; the state changes once; the class is fixed by the first', () => {
    let c = conversation('collecting_photos');
    const photoIds = ['wamid.b1', 'wamid.b2', 'wamid.b3', 'wamid.b4', 'wamid.b5'];
    for (const id of photoIds) c = run(c, photo(id)).conversation;
    const reactions: string[] = [];
    let menus = 0;
    for (const [i, id] of photoIds.entries()) {
      const r = run(c, processed(id, 'accepted', { subjectClass: i === 0 ? 'woman' : 'man' }));
      c = r.conversation;
      reactions.push(
        ...r.replies
          .filter((x) => x.message.kind === 'reaction')
          .map((x) => (x.message as { messageId: string }).messageId),
      );
      if (ids(r).includes('photos:done')) menus++;
      expect(c.state).toBe(i >= 3 ? 'choosing_pack' : 'collecting_photos');
      // a redelivered inspection result has no second effect
      const again = run(c, processed(id, 'accepted'));
      expect(again.replies).toEqual([]);
      expect(again.conversation).toEqual(c);
    }
    expect(reactions).toEqual(photoIds);
    expect(menus).toBe(1);
    expect(c.subjectClass).toBe('woman');
  });

  it.each([
    ['rejected', 'accepted', 'photo_accepted', '✅'],
    ['rejected', 'rejected', 'photo_duplicate', null],
    ['accepted', 'rejected', 'photo_duplicate', null],
    ['accepted', 'accepted', 'photo_duplicate', null],
  ] as const)(
    '4. a photo already %s, then a %s verdict (a failed download processed again) → %s',
    (before, verdict, transition, reaction) => {
      const c = conversation('collecting_photos', {
        photos: [{ messageId: 'wamid.dl', status: before, ...(before === 'accepted' ? { photoId: 'ph' } : {}) }],
      });
      const r = run(c, processed('wamid.dl', verdict));
      expect(r.transition).toBe(transition);
      const reactions = r.replies.flatMap((x) => (x.message.kind === 'reaction' ? [x.message.emoji] : []));
      expect(reactions).toEqual(reaction ? [reaction] : []);
      if (reaction) expect(r.conversation.photos[0]).toMatchObject({ status: 'accepted', photoId: 'photo-wamid.dl' });
    },
  );

  it("4. the N-th accepted photo → Add more / I'm done / Start over / Contact support", () => {
    let c = conversation('collecting_photos', {
      photos: [0, 1, 2].map((i) => ({ messageId: `wamid.q${i}`, status: 'accepted' as const, photoId: `q${i}` })),
      subjectClass: 'man',
    });
    c = run(c, photo('wamid.q3')).conversation;
    const r = run(c, processed('wamid.q3'));
    expect(r.conversation.state).toBe('choosing_pack');
    expect(ids(r)).toEqual(['photos:more', 'photos:done', 'photos:restart', 'menu:support']);
  });

  it("5. I'm done → the tier menu with prices from configuration; too early → how many are missing", () => {
    const r = run(conversation('choosing_pack'), button('photos:done'));
    expect(ids(r)).toEqual(['tier:lite', 'tier:standard', 'tier:premium']);
    const list = r.replies.find((x) => x.message.kind === 'list')?.message as {
      sections: Array<{ rows: Array<{ description: string }> }>;
    };
    expect(list.sections[0]?.rows.map((row) => row.description)).toEqual([
      '12 images · 49',
      '24 images · 79',
      '40 images · 119',
    ]);
    const early = run(conversation('collecting_photos'), button('photos:done'));
    expect(early.conversation.state).toBe('collecting_photos');
    expect(texts(early)[0]).toMatch(/at least 4/);
  });

  it("6. a tier → its packs (slug suffix), for the user's class, with cover, price, images and two buttons", () => {
    const r = run(conversation('choosing_pack'), button('tier:standard'));
    // dating-profile-standard has no "man" costs: filtered out for this user.
    expect(ids(r)).toEqual(['pack:260', 'packex:260']);
    expect(r.replies[1]?.message).toMatchObject({
      kind: 'buttons',
      header: { type: 'image', link: 'https://sdbooth2-production.s3.amazonaws.com/covers/260.jpg' },
    });
    expect(texts(r)[0]).toContain('24 images · 79');
    const woman = run(conversation('choosing_pack', { subjectClass: 'woman' }), button('tier:standard'));
    expect(ids(woman)).toEqual(['pack:260', 'packex:260', 'pack:310', 'packex:310']);
    const none = run(conversation('choosing_pack'), button('tier:lite'), ctx({ packs: [] }));
    expect(texts(none)[0]).toMatch(/No packs/);
    expect(ids(none)).toEqual(['tier:lite', 'tier:standard', 'tier:premium']);
  });

  it("6b. Show examples → the pack preview video for the user's class (or a note when not built yet)", () => {
    const r = run(conversation('choosing_pack'), button('packex:260'));
    expect(r.replies[1]?.message).toMatchObject({ kind: 'video', link: 'https://cdn.example.com/packs/260/man.mp4' });
    expect(ids(r)).toEqual(['pack:260']);
    const missing = run(conversation('choosing_pack', { subjectClass: 'woman' }), button('packex:260'));
    expect(kinds(missing)).toEqual(['text', 'buttons']);
  });

  it('7. I want this → remember the pack, send the AI disclaimer with I agree', () => {
    const r = run(conversation('choosing_pack'), button('pack:261'));
    expect(r.conversation).toMatchObject({ packId: 261, tier: 'lite', agreed: false });
    expect(ids(r)).toEqual(['agree:261']);
    expect(texts(r)[0]).toMatch(/generated by AI/);
  });

  it("8. I agree → the tier's payment link with the user id appended (SUMIT phone=, Stripe client_reference_id=)", () => {
    const lite = run(conversation('choosing_pack', { packId: 261, tier: 'lite' }), button('agree:261'));
    expect(lite.replies[1]?.message).toMatchObject({
      kind: 'cta_url',
      url: `https://pay.sumit.co.il/lite?phone=${USER}`,
    });
    expect(texts(lite)[0]).toMatch(/few minutes/);
    const standard = run(conversation('choosing_pack', { packId: 260, tier: 'standard' }), button('agree:260'));
    expect(standard.replies[1]?.message).toMatchObject({
      kind: 'cta_url',
      url: `https://buy.stripe.com/test_standard?client_reference_id=${USER}`,
    });
    expect(paymentLinkFor('https://buy.stripe.com/x?a=1', 'US.123')).toBe(
      'https://buy.stripe.com/x?a=1&client_reference_id=US_123',
    );
  });

  it('9. payment confirmed → thanks {name}, training requested with the chosen pack, state training with the ETA', () => {
    const c = conversation('choosing_pack', { packId: 260, tier: 'standard', agreed: true });
    const r = run(c, payment('standard'));
    expect(r.conversation.state).toBe('training');
    expect(r.events).toEqual([
      {
        type: 'training_requested',
        data: {
          requestId: `${USER}:pay-1`,
          userId: USER,
          packId: 260,
          tier: 'standard',
          subjectClass: 'man',
          photoIds: ['ph0', 'ph1', 'ph2', 'ph3'],
          paymentId: 'pay-1',
        },
      },
    ]);
    expect(texts(r)[0]).toMatch(/Dana Levi.*25 minutes/s);
    // a redelivered payment has no second effect
    const again = run(r.conversation, payment('standard'));
    expect(again.events).toEqual([]);
    expect(again.replies).toEqual([]);
  });

  it("9. a paid tier different from the chosen pack's → the same family in the paid tier", () => {
    const r = run(conversation('choosing_pack', { packId: 260, tier: 'standard' }), payment('premium'));
    expect(r.events[0]?.data).toMatchObject({ packId: 262, tier: 'premium' });
  });

  it('9. payment before photos → kept as credit; training starts as soon as photos and pack exist', () => {
    let r = run(conversation('collecting_photos'), payment('lite'));
    expect(r.conversation.credit).toEqual({ paymentId: 'pay-1', provider: 'stripe', tier: 'lite' });
    expect(r.events).toEqual([]);
    expect(texts(r)[0]).toMatch(/photos/);
    let c = r.conversation;
    for (const id of ['wamid.c1', 'wamid.c2', 'wamid.c3', 'wamid.c4']) c = run(c, photo(id)).conversation;
    for (const id of ['wamid.c1', 'wamid.c2', 'wamid.c3', 'wamid.c4']) c = run(c, processed(id)).conversation;
    expect(c.state).toBe('choosing_pack');
    c = run(c, button('photos:done')).conversation;
    c = run(c, button('tier:lite')).conversation;
    c = run(c, button('pack:261')).conversation;
    r = run(c, button('agree:261'));
    expect(kinds(r)).not.toContain('cta_url');
    expect(r.conversation.state).toBe('training');
    expect(r.events.find((e) => e.type === 'training_requested')).toMatchObject({
      data: { packId: 261, tier: 'lite', paymentId: 'pay-1' },
    });
  });

  it('9. payment with photos but no pack → credit, asked to choose a pack', () => {
    const r = run(conversation('choosing_pack'), payment('standard'));
    expect(r.conversation.state).toBe('choosing_pack');
    expect(r.conversation.credit?.paymentId).toBe('pay-1');
    expect(texts(r)[0]).toMatch(/Choose a style pack/);
  });

  it('tune_created records the tune and its ETA without a message', () => {
    const r = run(conversation('training'), {
      kind: 'tune_created',
      data: { requestId: `${USER}:pay-0`, userId: USER, tuneId: 1504944, packId: 260, eta: '2026-11-24T10:25:00Z' },
    });
    expect(r.replies).toEqual([]);
    expect(r.conversation.training).toMatchObject({ tuneId: 1504944, eta: '2026-11-24T10:25:00Z' });
  });

  it('10. images generated → ready, every image and video in order, rating list + Create another pack → has_model', () => {
    const images = [
      { url: 'https://cdn.example.com/1.jpg', kind: 'image' as const },
      { url: 'https://cdn.example.com/2.jpg', kind: 'image' as const },
      { url: 'https://cdn.example.com/v.mp4', kind: 'video' as const },
    ];
    const input: EngineInput = {
      kind: 'images_generated',
      data: {
        requestId: `${USER}:pay-0`,
        userId: USER,
        tuneId: 1504944,
        packId: 260,
        images,
        expiresAt: '2026-12-24T10:00:00Z',
      },
    };
    const r = run(conversation('training'), input);
    expect(kinds(r)).toEqual(['text', 'image', 'image', 'video', 'list', 'buttons']);
    expect(r.replies.slice(1, 4).map((x) => (x.message as { link: string }).link)).toEqual(images.map((i) => i.url));
    expect(ids(r)).toEqual(['rate:5', 'rate:4', 'rate:3', 'rate:2', 'rate:1', 'more:pack']);
    expect(r.conversation).toMatchObject({ state: 'has_model', training: null, photos: [] });
    expect(r.conversation.models[0]).toMatchObject({ tuneId: 1504944, packId: 260, subjectClass: 'man' });
    const again = run(r.conversation, input);
    expect(again.replies).toEqual([]);
  });

  it.each([4, 5])('11. rating %i → thanks', (n) => {
    const r = run(conversation('has_model'), button(`rate:${n}`));
    expect(r.conversation.state).toBe('has_model');
    expect(r.feedback).toEqual([{ rating: n, text: null }]);
  });

  it.each([1, 2, 3])(
    '11. rating %i → ask what to improve → the next text is stored → thanks + support → has_model',
    (n) => {
      const r = run(conversation('has_model'), button(`rate:${n}`));
      expect(r.conversation.state).toBe('writing_feedback');
      const next = run(r.conversation, text('Too much smoothing'));
      expect(next.feedback).toEqual([{ rating: null, text: 'Too much smoothing' }]);
      expect(next.conversation.state).toBe('has_model');
      expect(texts(next)[0]).toContain('support@example.com');
    },
  );

  it('12. returning user → Use a saved model / New model; saved models listed; using one skips photos and training', () => {
    const r = run(conversation('has_model'), text('hi again'));
    expect(ids(r)).toEqual(['model:saved', 'model:new']);
    const saved = run(conversation('has_model'), button('model:saved'));
    expect(ids(saved)).toEqual(['tune:1504944']);
    expect(texts(saved)[0]).toMatch(/man.*20 Nov 2026.*20 Dec 2026/s);
    let c = run(conversation('has_model'), button('tune:1504944')).conversation;
    expect(c).toMatchObject({ state: 'choosing_pack', selectedTuneId: 1504944 });
    c = run(c, button('tier:premium')).conversation;
    c = run(c, button('pack:262')).conversation;
    c = run(c, button('agree:262')).conversation;
    const paid = run(c, payment('premium', 'pay-9'));
    expect(paid.events[0]?.data).toMatchObject({ existingTuneId: 1504944, photoIds: [], packId: 262 });
  });

  it('12. New model → photos cleared, back to collecting_photos', () => {
    const r = run(conversation('has_model'), button('model:new'));
    expect(r.conversation).toMatchObject({ state: 'collecting_photos', photos: [], subjectClass: null });
    expect(ids(r)).toEqual(['photos:ready', 'photos:examples']);
  });

  it('Create another pack → reuses the newest model', () => {
    const r = run(conversation('has_model'), button('more:pack'));
    expect(r.conversation).toMatchObject({ state: 'choosing_pack', selectedTuneId: 1504944 });
    expect(ids(r)).toEqual(['tier:lite', 'tier:standard', 'tier:premium']);
  });

  it('training failed → told kindly, support contact, alert; the payment goes back to credit', () => {
    const r = run(conversation('training'), {
      kind: 'training_failed',
      data: { requestId: `${USER}:pay-0`, userId: USER, reason: 'astria_rejected' },
    });
    expect(r.alerts).toHaveLength(1);
    expect(r.conversation).toMatchObject({ state: 'choosing_pack', training: null, credit: { paymentId: 'pay-0' } });
    expect(texts(r).join('\n')).toMatch(/sorry[\s\S]*support@example.com/i);
  });

  it('15. unsupported messages → one note; reactions and system messages ignored', () => {
    let c = conversation('collecting_photos');
    const first = run(c, message('audio'));
    expect(texts(first)).toEqual(['I can only work with photos and text.']);
    c = first.conversation;
    for (const type of ['video', 'document', 'sticker', 'location', 'contacts', 'unsupported'] as const) {
      const r = run(c, message(type));
      expect(r.replies).toEqual([]);
      c = r.conversation;
    }
    expect(run(c, message('reaction', { reactionTo: 'wamid.x' })).replies).toEqual([]);
    c = run(c, text('hi')).conversation;
    expect(texts(run(c, message('sticker')))).toHaveLength(1);
  });
});

describe('conversation engine: every state × input, both languages', () => {
  const INPUTS: Array<[string, () => EngineInput]> = [
    ['text', () => text('hello')],
    ['text delete my data', () => text('Delete my data')],
    ['text מחק את המידע שלי', () => text('מחק את המידע שלי')],
    ['photo', () => photo()],
    ['audio', () => message('audio')],
    ['reaction', () => message('reaction')],
    ['request_welcome', () => message('request_welcome')],
    ['template button', () => message('button', { replyId: 'menu:support' })],
    ...[
      'menu:begin',
      'menu:how',
      'menu:lang',
      'menu:support',
      'photos:ready',
      'photos:examples',
      'photos:more',
      'photos:done',
      'photos:restart',
      'tier:lite',
      'tier:standard',
      'tier:premium',
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
      // unknown / malformed ids
      'erase:maybe',
      'tier:gold',
      'pack:99999',
      'agree:999',
      'rate:9',
      'tune:42',
      'garbage',
      '12',
      'pack:',
      '',
    ].map((id): [string, () => EngineInput] => [`button ${id || '(empty)'}`, () => button(id)]),
    ['image_processed', () => processed('wamid.p0')],
    ['payment', () => payment('standard', 'pay-matrix')],
    [
      'images_generated',
      () => ({
        kind: 'images_generated',
        data: {
          requestId: 'r',
          userId: USER,
          tuneId: 7,
          packId: 260,
          images: [{ url: 'https://x.y/1.jpg', kind: 'image' }],
        },
      }),
    ],
    ['training_failed', () => ({ kind: 'training_failed', data: { requestId: 'r', userId: USER, reason: 'x' } })],
    [
      'tune_created',
      () => ({ kind: 'tune_created', data: { requestId: 'r', userId: USER, tuneId: 1, packId: 260, eta: null } }),
    ],
  ];
  const cases = STATES.flatMap((state) =>
    LANGUAGES.flatMap((language) => INPUTS.map(([name, input]) => [state, language, name, input] as const)),
  );

  it.each(cases)(
    '%s (%s) × %s: valid replies and events, a valid state, never a crash',
    (state, language, _name, input) => {
      const c = conversation(state, { language, packId: state === 'choosing_pack' ? 260 : null, tier: 'standard' });
      const r = run(c, input());
      expect(STATES).toContain(r.conversation.state);
      expect(r.conversation.userId).toBe(USER);
      // Stale or unknown options never change the state.
      if (r.transition === 'expired_option') {
        expect(state === 'writing_feedback' ? [state, 'has_model'] : [state]).toContain(r.conversation.state);
      }
    },
  );

  it.each(STATES)('13. Switch language in %s toggles English/Hebrew and re-sends the current menu', (state) => {
    for (const language of LANGUAGES) {
      const r = run(conversation(state, { language }), button('menu:lang'));
      expect(r.conversation.language).toBe(language === 'en' ? 'he' : 'en');
      expect(r.replies.length).toBeGreaterThanOrEqual(3); // mark_read, "language: …", the menu
      expect(r.conversation.state).toBe(state === 'writing_feedback' ? 'has_model' : state);
    }
  });

  it.each(STATES)('14. Contact support in %s → the configured support address', (state) => {
    const r = run(conversation(state), button('menu:support'));
    expect(texts(r).join()).toContain('support@example.com');
  });

  it.each([
    ['collecting_photos', 'tier:lite'],
    ['collecting_photos', 'agree:260'],
    ['collecting_photos', 'rate:4'],
    ['training', 'photos:done'],
    ['training', 'pack:260'],
    ['training', 'rate:5'],
    ['has_model', 'menu:begin'],
    ['has_model', 'agree:260'],
    ['choosing_pack', 'tune:1504944'],
    ['choosing_pack', 'agree:999'],
  ] as const)(
    '16. a stale button (%s, %s) → "that option has expired" + the current menu, state unchanged',
    (state, id) => {
      const r = run(conversation(state, { packId: state === 'choosing_pack' ? 260 : null }), button(id));
      expect(r.transition).toBe('expired_option');
      expect(r.conversation.state).toBe(state);
      expect(texts(r)[0]).toMatch(/expired/);
      expect(r.replies.length).toBeGreaterThanOrEqual(3);
    },
  );

  it('every Hebrew reply is in Hebrew', () => {
    const r = run(conversation('collecting_photos', { language: 'he' }), text('שלום'));
    expect(texts(r)[0]).toMatch(/[\u0590-\u05ff]/);
  });
});
