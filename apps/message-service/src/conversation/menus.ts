import type { OutboundMessage, Tier } from '@astria/events';
import type { Copy } from './copy.js';
import { defaultTierImages } from './copy.js';
import { encodeReplyId as id } from './reply-ids.js';
import { type EngineConfig, type Pack, type SavedModel, TIERS } from './types.js';

/**
 * The interactive messages the bot sends (lists and buttons), built from the copy and the typed
 * reply ids. Pure: which menu to send, and when, is the engine's business.
 */

type ListRows = Extract<OutboundMessage, { kind: 'list' }>['sections'][number]['rows'];

/** A list message of one untitled section: the shape of every menu list. */
function listMessage(body: string, button: string, rows: ListRows): OutboundMessage {
  return { kind: 'list', body, button, sections: [{ rows }] };
}

/** Step 1: Let's begin / How it works / Switch language / Contact support. */
export function welcomeMenu(t: Copy, name: string | null): OutboundMessage {
  return listMessage(t.welcome(name), t.menuButton, [
    { id: id({ kind: 'menu', item: 'begin' }), title: t.begin, description: t.beginDesc },
    { id: id({ kind: 'menu', item: 'how' }), title: t.how, description: t.howDesc },
    { id: id({ kind: 'menu', item: 'lang' }), title: t.switchLanguage, description: t.switchLanguageDesc },
    { id: id({ kind: 'menu', item: 'support' }), title: t.support, description: t.supportDesc },
    { id: id({ kind: 'menu', item: 'erase' }), title: t.erase, description: t.eraseDesc },
  ]);
}

/** "Delete my data": the confirmation buttons. */
export function eraseConfirmation(t: Copy): OutboundMessage {
  return {
    kind: 'buttons',
    body: t.eraseAsk,
    buttons: [
      { id: id({ kind: 'erase', choice: 'confirm' }), title: t.eraseYes },
      { id: id({ kind: 'erase', choice: 'cancel' }), title: t.eraseNo },
    ],
  };
}

/** Step 2: the photo guidelines, I'm ready / Show me examples. */
export function guidelines(t: Copy, minPhotos: number): OutboundMessage {
  return {
    kind: 'buttons',
    body: t.guidelines(minPhotos),
    buttons: [
      { id: id({ kind: 'photos', action: 'ready' }), title: t.ready },
      { id: id({ kind: 'photos', action: 'examples' }), title: t.showExamples },
    ],
  };
}

/** After the example images: I'm ready. */
export function readyButton(t: Copy, minPhotos: number, accepted: number): OutboundMessage {
  return {
    kind: 'buttons',
    body: t.sendPhotos(minPhotos, accepted),
    buttons: [{ id: id({ kind: 'photos', action: 'ready' }), title: t.ready }],
  };
}

/** Step 4: after the N-th accepted photo. */
export function photosMenu(t: Copy, accepted: number): OutboundMessage {
  return listMessage(t.enoughPhotos(accepted), t.menuButton, [
    { id: id({ kind: 'photos', action: 'more' }), title: t.addMore, description: t.addMoreDesc },
    { id: id({ kind: 'photos', action: 'done' }), title: t.done, description: t.doneDesc },
    { id: id({ kind: 'photos', action: 'restart' }), title: t.startOver, description: t.startOverDesc },
    { id: id({ kind: 'menu', item: 'support' }), title: t.support, description: t.supportDesc },
  ]);
}

/** Step 5: the tiers with their prices. */
export function tierMenu(t: Copy, prices: EngineConfig['prices']): OutboundMessage {
  return listMessage(
    t.chooseTier,
    t.tiersButton,
    TIERS.map((tier) => ({
      id: id({ kind: 'tier', tier }),
      title: t.tierTitle[tier],
      description: t.tierDesc(tier, defaultTierImages(tier), prices[tier]),
    })),
  );
}

/** Step 6: one pack (cover, price, images), I want this / Show examples. */
export function packOffer(
  t: Copy,
  pack: Pack,
  tier: Tier,
  price: number,
  subjectClass: string | null,
): OutboundMessage {
  const cls = subjectClass ?? Object.keys(pack.costs)[0];
  const images = (cls ? pack.costs[cls]?.numImages : undefined) || defaultTierImages(tier);
  const header =
    pack.coverUrl && URL.canParse(pack.coverUrl) ? { type: 'image' as const, link: pack.coverUrl } : undefined;
  return {
    kind: 'buttons',
    ...(header ? { header } : {}),
    body: t.packBody(pack.title, price, images),
    buttons: [
      { id: id({ kind: 'pack', packId: pack.id }), title: t.wantThis },
      { id: id({ kind: 'packex', packId: pack.id }), title: t.packExamples },
    ],
  };
}

/** Step 6: after the preview video, I want this. */
export function wantThisButton(t: Copy, pack: Pack): OutboundMessage {
  return {
    kind: 'buttons',
    body: pack.title,
    buttons: [{ id: id({ kind: 'pack', packId: pack.id }), title: t.wantThis }],
  };
}

/** Step 7: the AI disclaimer, I agree. */
export function disclaimer(t: Copy, packId: number): OutboundMessage {
  return { kind: 'buttons', body: t.disclaimer, buttons: [{ id: id({ kind: 'agree', packId }), title: t.agree }] };
}

/** Step 8: the payment link. */
export function paymentLink(t: Copy, url: string): OutboundMessage {
  return { kind: 'cta_url', body: `${t.payBody}\n${t.payNote}`, displayText: t.payButton, url };
}

/** Step 10: the rating list, 5 stars first. */
export function ratingList(t: Copy): OutboundMessage {
  return listMessage(
    t.rateBody,
    t.rateButton,
    ([5, 4, 3, 2, 1] as const).map((stars) => ({ id: id({ kind: 'rate', stars }), title: t.stars(stars) })),
  );
}

/** Step 10: Create another pack. */
export function anotherPackButton(t: Copy): OutboundMessage {
  return {
    kind: 'buttons',
    body: t.ready_,
    buttons: [{ id: id({ kind: 'more', what: 'pack' }), title: t.anotherPack }],
  };
}

/** Step 12: Use a saved model / New model. */
export function returningMenu(t: Copy): OutboundMessage {
  return {
    kind: 'buttons',
    body: t.returning,
    buttons: [
      { id: id({ kind: 'model', choice: 'saved' }), title: t.useSaved },
      { id: id({ kind: 'model', choice: 'new' }), title: t.newModel },
    ],
  };
}

/** Step 12: one saved model, Use this model. */
export function savedModel(t: Copy, model: SavedModel, created: string, expires: string): OutboundMessage {
  return {
    kind: 'buttons',
    body: t.savedModel(model.subjectClass, created, expires),
    buttons: [{ id: id({ kind: 'tune', tuneId: model.tuneId }), title: t.useThisModel }],
  };
}
