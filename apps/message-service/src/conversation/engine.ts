import type { OutboundMessage, Tier } from '@astria/events';
import type { InboundMessage } from '../webhook/notification.js';
import { COPY, type Copy } from './copy.js';
import * as menus from './menus.js';
import { decodeReplyId, previewPackOf, type ReplyKind, type ReplyOf, replyNeedsPacks } from './reply-ids.js';
import type { Transition } from './transitions.js';
import {
  type Conversation,
  type EngineContext,
  type EngineEvent,
  type EngineInput,
  type EngineResult,
  newConversation,
  type Pack,
  type Reply,
  TIERS,
} from './types.js';

/**
 * The conversation: a pure function (conversation, input, context) → (conversation', replies, events).
 * No I/O, no clock (context.now), no randomness: the same input always gives the same output.
 * Steps refer to the numbered flow of docs/product-flow.md.
 */
export function runConversation(conversation: Conversation, input: EngineInput, context: EngineContext): EngineResult {
  const turn = new Turn(structuredClone(conversation), context);
  switch (input.kind) {
    case 'message':
      turn.onMessage(input.message);
      break;
    case 'image_processed':
      turn.onImageProcessed(input.data);
      break;
    case 'payment_received':
      turn.onPayment(input.data);
      break;
    case 'tune_created':
      turn.onTuneCreated(input.data);
      break;
    case 'images_generated':
      turn.onImagesGenerated(input.data);
      break;
    case 'training_failed':
      turn.onTrainingFailed(input.data);
      break;
  }
  return turn.result();
}

/** Texts that ask to delete the user's data (whole text, trimmed, lower-cased, spaces collapsed), en and he. */
export const ERASE_WORDS: readonly string[] = [
  'delete my data',
  'erase my data',
  'delete my account',
  'delete me',
  'מחק את המידע שלי',
  'מחקו את המידע שלי',
  'מחיקת המידע שלי',
  'מחיקת מידע',
  'מחק את הנתונים שלי',
];

export function isEraseRequest(text: string): boolean {
  return ERASE_WORDS.includes(text.trim().toLowerCase().replace(/\s+/g, ' '));
}

/** Which inputs need the Astria packs (so the adapter fetches them only then). */
export function needsPacks(input: EngineInput): boolean {
  if (input.kind === 'payment_received') return true;
  if (input.kind !== 'message') return false;
  const id = input.message.replyId;
  return id !== undefined && replyNeedsPacks(id);
}

/** The pack id a reply refers to, when it needs a preview video. */
export function previewPackId(input: EngineInput): number | null {
  if (input.kind !== 'message') return null;
  return previewPackOf(input.message.replyId ?? '');
}

export function tierOfSlug(slug: string): Tier | null {
  for (const tier of TIERS) if (slug.endsWith(`-${tier}`)) return tier;
  return null;
}

export function packsOfTier(packs: readonly Pack[], tier: Tier, subjectClass: string | null): Pack[] {
  return packs
    .filter((p) => p.slug.endsWith(`-${tier}`))
    .filter((p) => !subjectClass || Object.keys(p.costs).length === 0 || subjectClass in p.costs);
}

/** The user's id appended to a payment link: `client_reference_id` for Stripe links, `phone` otherwise (SUMIT). */
export function paymentLinkFor(link: string, userId: string): string {
  const url = new URL(link);
  const stripe = url.hostname === 'stripe.com' || url.hostname.endsWith('.stripe.com');
  url.searchParams.set(stripe ? 'client_reference_id' : 'phone', stripe ? userId.replace(/[^\w-]/g, '_') : userId);
  return url.toString();
}

function formatDate(iso: string | null, language: 'en' | 'he'): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toLocaleDateString(language === 'he' ? 'he-IL' : 'en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

class Turn {
  readonly replies: Reply[] = [];
  readonly events: EngineEvent[] = [];
  readonly feedback: EngineResult['feedback'] = [];
  readonly alerts: string[] = [];
  transition: Transition = 'noop';
  erase = false;

  constructor(
    readonly c: Conversation,
    readonly ctx: EngineContext,
  ) {}

  get t(): Copy {
    return COPY[this.c.language];
  }

  get minPhotos(): number {
    return this.ctx.config.minPhotos;
  }

  get accepted(): number {
    return this.c.photos.filter((p) => p.status === 'accepted').length;
  }

  result(): EngineResult {
    return {
      conversation: this.c,
      replies: this.replies,
      events: this.events,
      feedback: this.feedback,
      alerts: this.alerts,
      transition: this.transition,
      erase: this.erase,
    };
  }

  send(message: OutboundMessage, replyTo?: string) {
    this.replies.push(replyTo ? { message, replyTo } : { message });
  }

  text(body: string, replyTo?: string) {
    this.send({ kind: 'text', body }, replyTo);
  }

  // ---- menus (built in menus.ts)

  welcomeMenu() {
    this.send(menus.welcomeMenu(this.t, this.c.name));
  }

  guidelines() {
    this.send(menus.guidelines(this.t, this.minPhotos));
  }

  photosMenu() {
    this.send(menus.photosMenu(this.t, this.accepted));
  }

  tierMenu() {
    this.send(menus.tierMenu(this.t, this.ctx.config.prices));
  }

  returningMenu() {
    this.send(menus.returningMenu(this.t));
  }

  /** Step 13/16: the menu of the current state. */
  currentMenu() {
    switch (this.c.state) {
      case 'collecting_photos':
        if (this.accepted > 0) this.text(this.t.sendPhotos(this.minPhotos, this.accepted));
        else this.welcomeMenu();
        break;
      case 'choosing_pack':
        if (this.c.selectedTuneId !== null) this.tierMenu();
        else this.photosMenu();
        break;
      case 'training':
        this.text(this.t.stillWorking(this.ctx.config.etaMinutes));
        break;
      case 'has_model':
        this.returningMenu();
        break;
      case 'writing_feedback':
        this.text(this.t.askFeedback);
        break;
    }
  }

  expired() {
    this.transition = 'expired_option';
    this.text(this.t.expired);
    this.currentMenu();
  }

  // ---- inbound messages

  onMessage(m: InboundMessage) {
    const c = this.c;
    if (m.name) c.name = m.name;
    c.lastMessageAt = Math.max(c.lastMessageAt, m.timestamp);
    const trainingPhoto =
      m.type === 'image' &&
      (c.state === 'collecting_photos' || c.state === 'choosing_pack') &&
      c.selectedTuneId === null;
    this.events.push({
      type: 'user_message_received',
      data: {
        userId: c.userId,
        messageId: m.id,
        receivedAt: new Date(m.timestamp).toISOString(),
        type: m.type,
        ...(m.text !== undefined ? { text: m.text.slice(0, 4096) } : {}),
        ...(m.replyId !== undefined ? { replyId: m.replyId } : {}),
        ...(m.image ? { image: m.image } : {}),
        trainingPhoto,
      },
    });
    if (m.type === 'reaction' || m.type === 'system') {
      this.transition = 'ignored';
      return; // step 15: reactions and system notices are ignored
    }
    const supported = ['text', 'image', 'interactive', 'button', 'request_welcome'].includes(m.type);
    if (!supported) {
      if (!c.unsupportedNotified) {
        c.unsupportedNotified = true;
        this.text(this.t.unsupported, m.id);
        this.transition = 'unsupported';
      } else {
        this.transition = 'unsupported_repeat';
      }
      return;
    }
    c.unsupportedNotified = false;
    this.send({ kind: 'mark_read', messageId: m.id, typing: true });
    if (m.type === 'image') return this.onPhoto(m, trainingPhoto);
    if (m.type === 'request_welcome') {
      c.welcomed = true;
      this.transition = 'welcome';
      return this.welcomeMenu();
    }
    if (m.type === 'text') return this.onText(m.text ?? '');
    if (!m.replyId) return this.expired();
    this.onReply(m.replyId);
  }

  /** A text: the state's table decides (the feedback, the welcome, or the current menu again). */
  onText(text: string) {
    if (isEraseRequest(text)) return this.askErase();
    STATES[this.c.state].text(this, text);
  }

  feedbackWritten(text: string) {
    // Step 11: the next text is the feedback.
    this.feedback.push({ rating: null, text: text.slice(0, 4000) });
    this.c.state = 'has_model';
    this.transition = 'feedback_written';
    this.text(this.t.feedbackThanks(this.ctx.config.supportContact));
  }

  welcomeOrMenu() {
    // Step 1: any first text → the welcome menu.
    this.transition = this.c.welcomed ? 'menu' : 'welcome';
    this.c.welcomed = true;
    this.currentMenu();
  }

  menuAgain() {
    // Steps 12 (returning user) and the reminders of other states.
    this.transition = 'menu';
    this.currentMenu();
  }

  onPhoto(m: InboundMessage, trainingPhoto: boolean) {
    const c = this.c;
    if (trainingPhoto) {
      // Step 4: answered when image-service reports the inspection (image_processed).
      c.welcomed = true;
      if (!c.photos.some((p) => p.messageId === m.id)) c.photos.push({ messageId: m.id, status: 'pending' });
      this.transition = 'photo_received';
      return;
    }
    this.transition = 'photo_ignored';
    if (c.state === 'training') this.text(this.t.photoWhileTraining);
    else this.currentMenu();
  }

  /** A tapped button or list row: the reply table of the state decides; anything else is step 16. */
  onReply(raw: string) {
    const c = this.c;
    // A button tapped while writing feedback ends the feedback: it is handled as in has_model.
    if (c.state === 'writing_feedback') c.state = 'has_model';
    const id = decodeReplyId(raw);
    const route = id ? (STATES[c.state].replies[id.kind] as ReplyRoute<typeof id.kind> | undefined) : undefined;
    if (!id || !route) return this.expired(); // step 16: unknown or stale ids
    route(this, id);
  }

  // ---- replies (routed by the per-state tables below)

  switchLanguage() {
    // Step 13: any state.
    this.c.language = this.c.language === 'en' ? 'he' : 'en';
    this.transition = 'language_switched';
    this.text(this.t.languageSwitched);
    this.currentMenu();
  }

  support() {
    // Step 14: any state.
    this.transition = 'support';
    this.text(this.t.supportContact(this.ctx.config.supportContact));
  }

  /** "Delete my data" (menu entry or words), any state: confirmation buttons, nothing changes yet. */
  askErase() {
    this.transition = 'erase_asked';
    this.send(menus.eraseConfirmation(this.t));
  }

  onErase(choice: 'confirm' | 'cancel') {
    if (choice === 'cancel') {
      this.transition = 'erase_cancelled';
      this.text(this.t.eraseCancelled);
      return this.currentMenu();
    }
    // Everything of this user goes (the adapter erases the stored data); only the language stays for this answer.
    const language = this.c.language;
    Object.assign(this.c, newConversation(this.c.userId), { language });
    this.erase = true;
    this.transition = 'data_erased';
    this.text(this.t.erased);
  }

  howItWorks() {
    this.transition = 'how_it_works';
    this.text(this.t.howItWorks(this.minPhotos));
    this.currentMenu();
  }

  begin() {
    this.c.welcomed = true;
    this.transition = 'guidelines';
    this.guidelines(); // step 2
  }

  /** Photos are being collected for a new model (not a saved one). */
  collectingNewModel(): boolean {
    return this.c.selectedTuneId === null;
  }

  readyForPhotos() {
    if (!this.collectingNewModel()) return this.expired();
    this.transition = 'ready_for_photos';
    this.text(this.t.sendPhotos(this.minPhotos, this.accepted)); // step 3
  }

  photoExamples() {
    if (!this.collectingNewModel()) return this.expired();
    this.transition = 'photo_examples';
    if (this.ctx.config.exampleImageUrls.length === 0) this.text(this.t.noExamples);
    for (const link of this.ctx.config.exampleImageUrls.slice(0, 5)) {
      this.send({ kind: 'image', link, caption: this.t.examplesCaption });
    }
    this.send(menus.readyButton(this.t, this.minPhotos, this.accepted));
  }

  morePhotos() {
    if (!this.collectingNewModel()) return this.expired();
    this.transition = 'more_photos';
    this.text(this.t.sendMore);
  }

  restart() {
    const c = this.c;
    this.clearSelection();
    c.photos = [];
    c.subjectClass = null;
    c.state = 'collecting_photos';
    this.transition = 'restart';
    this.text(this.t.restarted(this.minPhotos));
  }

  clearSelection() {
    this.c.tier = null;
    this.c.packId = null;
    this.c.agreed = false;
    this.c.selectedTuneId = null;
  }

  onTier(tier: Tier) {
    // Step 6.
    this.c.tier = tier;
    this.transition = 'tier_chosen';
    const packs = packsOfTier(this.ctx.packs, tier, this.c.subjectClass).slice(0, 10);
    if (packs.length === 0) {
      this.text(this.t.noPacks);
      return this.tierMenu();
    }
    for (const pack of packs) {
      this.send(menus.packOffer(this.t, pack, tier, this.ctx.config.prices[tier], this.c.subjectClass));
    }
  }

  findPack(packId: number): Pack | undefined {
    return this.ctx.packs.find((p) => p.id === packId);
  }

  onPack(packId: number) {
    const pack = this.findPack(packId);
    const tier = pack ? tierOfSlug(pack.slug) : null;
    if (!pack || !tier) return this.expired();
    // Step 7.
    this.c.packId = pack.id;
    this.c.tier = tier;
    this.c.agreed = false;
    this.transition = 'pack_chosen';
    this.send(menus.disclaimer(this.t, pack.id));
  }

  onPackExamples(packId: number) {
    const pack = this.findPack(packId);
    if (!pack) return this.expired();
    this.transition = 'pack_examples';
    const cls = this.c.subjectClass ?? Object.keys(pack.costs)[0] ?? '';
    const video = this.ctx.packVideos[`${pack.id}:${cls}`];
    if (video && URL.canParse(video)) this.send({ kind: 'video', link: video, caption: pack.title.slice(0, 1024) });
    else this.text(this.t.previewNotReady);
    this.send(menus.wantThisButton(this.t, pack));
  }

  onAgree(packId: number) {
    const c = this.c;
    if (c.packId === null || c.packId !== packId || !c.tier) return this.expired();
    // Step 8 (or straight to training when a payment is waiting as credit).
    c.agreed = true;
    if (c.credit && this.tryStartTraining()) return;
    this.transition = 'payment_link';
    this.send(menus.paymentLink(this.t, paymentLinkFor(this.ctx.config.paymentLinks[c.tier], c.userId)));
  }

  onRate(rating: number) {
    // Step 11.
    this.feedback.push({ rating, text: null });
    if (rating >= 4) {
      this.transition = 'rated_high';
      return this.text(this.t.ratingThanks);
    }
    this.c.state = 'writing_feedback';
    this.transition = 'rated_low';
    this.text(this.t.askFeedback);
  }

  anotherPack() {
    const model = this.activeModels()[0];
    if (!model) {
      this.text(this.t.noSavedModels);
      return this.startNewModel();
    }
    this.useModel(model.tuneId);
  }

  onTune(tuneId: number) {
    if (!this.activeModels().some((x) => x.tuneId === tuneId)) return this.expired();
    this.useModel(tuneId);
  }

  activeModels() {
    const now = this.ctx.now.getTime();
    return this.c.models
      .filter((m) => !m.expiresAt || new Date(m.expiresAt).getTime() > now)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  listModels() {
    const models = this.activeModels().slice(0, 5);
    this.transition = 'list_models';
    if (models.length === 0) {
      this.text(this.t.noSavedModels);
      return this.returningMenu();
    }
    for (const model of models) {
      this.send(
        menus.savedModel(
          this.t,
          model,
          formatDate(model.createdAt, this.c.language),
          formatDate(model.expiresAt, this.c.language),
        ),
      );
    }
  }

  useModel(tuneId: number) {
    const model = this.c.models.find((m) => m.tuneId === tuneId);
    this.clearSelection();
    this.c.selectedTuneId = tuneId;
    if (model) this.c.subjectClass = model.subjectClass;
    this.c.state = 'choosing_pack';
    this.transition = 'model_reused';
    this.tierMenu();
  }

  startNewModel() {
    this.clearSelection();
    this.c.photos = [];
    this.c.subjectClass = null;
    this.c.state = 'collecting_photos';
    this.transition = 'new_model';
    this.guidelines();
  }

  // ---- domain events

  onImageProcessed(data: EngineInputData<'image_processed'>) {
    const c = this.c;
    let photo = c.photos.find((p) => p.messageId === data.messageId);
    // A verdict comes once per photo; only a rejected photo can still be accepted (its download had failed and
    // the message was processed again).
    if (photo && photo.status !== 'pending' && !(photo.status === 'rejected' && data.status === 'accepted')) {
      this.transition = 'photo_duplicate';
      return;
    }
    if (!photo) {
      photo = { messageId: data.messageId, status: 'pending' };
      c.photos.push(photo);
    }
    if (data.status === 'rejected') {
      photo.status = 'rejected';
      this.transition = 'photo_rejected';
      this.send({ kind: 'reaction', messageId: data.messageId, emoji: '❌' });
      this.text(this.t.photoRejected(data.reason), data.messageId);
      return;
    }
    photo.status = 'accepted';
    photo.photoId = data.photoId;
    if (!c.subjectClass && data.subjectClass) c.subjectClass = data.subjectClass;
    this.transition = 'photo_accepted';
    this.send({ kind: 'reaction', messageId: data.messageId, emoji: this.t.photoAccepted });
    // Step 4: the N-th accepted photo moves the conversation on, exactly once.
    if (c.state === 'collecting_photos' && this.accepted === this.minPhotos) {
      c.state = 'choosing_pack';
      this.transition = 'photos_complete';
      if (c.credit && c.packId !== null && this.tryStartTraining()) return;
      this.photosMenu();
    }
  }

  onPayment(data: EngineInputData<'payment_received'>) {
    const c = this.c;
    if (c.paymentsSeen.includes(data.paymentId)) {
      this.transition = 'payment_duplicate';
      return;
    }
    c.paymentsSeen = [...c.paymentsSeen, data.paymentId].slice(-50);
    if (data.name) c.name = data.name;
    c.credit = { paymentId: data.paymentId, provider: data.provider, tier: data.tier };
    // Step 9.
    if (c.state !== 'training' && this.tryStartTraining()) return;
    this.transition = 'payment_credited';
    const hasPhotos = c.selectedTuneId !== null || this.accepted >= this.minPhotos;
    if (!hasPhotos) this.text(this.t.paidNeedPhotos(c.name, this.minPhotos));
    else this.text(this.t.paidNeedPack(c.name));
  }

  /** Starts training when a payment, the photos (or a saved model) and a pack all exist. */
  tryStartTraining(): boolean {
    const c = this.c;
    const credit = c.credit;
    const hasPhotos = c.selectedTuneId !== null || this.accepted >= this.minPhotos;
    if (!credit || c.packId === null || !hasPhotos) return false;
    const packId = this.packForTier(c.packId, credit.tier);
    const requestId = `${c.userId}:${credit.paymentId}`;
    const photoIds =
      c.selectedTuneId !== null
        ? []
        : c.photos.flatMap((p) => (p.status === 'accepted' && p.photoId ? [p.photoId] : []));
    this.events.push({
      type: 'training_requested',
      data: {
        requestId,
        userId: c.userId,
        packId,
        tier: credit.tier,
        subjectClass: c.subjectClass ?? 'person',
        photoIds,
        ...(c.selectedTuneId !== null ? { existingTuneId: c.selectedTuneId } : {}),
        paymentId: credit.paymentId,
      },
    });
    c.training = {
      requestId,
      packId,
      tier: credit.tier,
      paymentId: credit.paymentId,
      provider: credit.provider,
      ...(c.selectedTuneId !== null ? { existingTuneId: c.selectedTuneId } : {}),
    };
    c.credit = null;
    c.state = 'training';
    this.transition = 'training_requested';
    this.text(this.t.thanksPaid(c.name, this.ctx.config.etaMinutes));
    return true;
  }

  /** The paid tier wins: the pack of the same family in that tier, when it exists. */
  packForTier(packId: number, tier: Tier): number {
    const chosen = this.ctx.packs.find((p) => p.id === packId);
    if (!chosen || tierOfSlug(chosen.slug) === tier) return packId;
    const family = chosen.slug.replace(/-(lite|standard|premium)$/, '');
    return this.ctx.packs.find((p) => p.slug === `${family}-${tier}`)?.id ?? packId;
  }

  onTuneCreated(data: EngineInputData<'tune_created'>) {
    const training = this.c.training;
    if (!training || training.requestId !== data.requestId) {
      this.transition = 'tune_created_unmatched';
      return;
    }
    training.tuneId = data.tuneId;
    training.eta = data.eta;
    this.transition = 'tune_created';
  }

  onImagesGenerated(data: EngineInputData<'images_generated'>) {
    const c = this.c;
    if (c.delivered.includes(data.requestId)) {
      this.transition = 'images_duplicate';
      return;
    }
    c.delivered = [...c.delivered, data.requestId].slice(-20);
    // Step 10.
    this.text(this.t.ready_);
    for (const image of data.images) {
      this.send(image.kind === 'video' ? { kind: 'video', link: image.url } : { kind: 'image', link: image.url });
    }
    this.send(menus.ratingList(this.t));
    this.send(menus.anotherPackButton(this.t));
    const subjectClass = c.subjectClass ?? 'person';
    c.models = [
      {
        tuneId: data.tuneId,
        packId: data.packId,
        subjectClass,
        createdAt: this.ctx.now.toISOString(),
        expiresAt: data.expiresAt ?? null,
      },
      ...c.models.filter((m) => m.tuneId !== data.tuneId),
    ].slice(0, 20);
    if (c.training?.requestId === data.requestId || c.state === 'training') c.training = null;
    c.photos = [];
    this.clearSelection();
    c.state = 'has_model';
    this.transition = 'images_delivered';
  }

  onTrainingFailed(data: EngineInputData<'training_failed'>) {
    const c = this.c;
    if (c.delivered.includes(data.requestId)) {
      this.transition = 'training_failed_after_delivery';
      return;
    }
    this.alerts.push(`training ${data.requestId} failed: ${data.reason}`);
    const training = c.training;
    if (training && training.requestId === data.requestId) {
      // The payment stays as credit: support can restart it, or the user picks another pack.
      c.credit = { paymentId: training.paymentId, provider: training.provider, tier: training.tier };
      c.training = null;
      c.packId = null;
      c.agreed = false;
      c.state = c.selectedTuneId !== null || this.accepted >= this.minPhotos ? 'choosing_pack' : 'collecting_photos';
    }
    this.transition = 'training_failed';
    this.text(this.t.trainingFailed);
    this.text(this.t.supportContact(this.ctx.config.supportContact));
  }
}

type EngineInputData<K extends EngineInput['kind']> =
  Extract<EngineInput, { kind: K }> extends { data: infer D } ? D : never;

// ---- the state tables: per state, what a text does and which tapped ids do what. An id absent from the table
// (a button from an old message, or unknown) is step 16: "that option has expired", no state change.

type ReplyRoute<K extends ReplyKind> = (turn: Turn, id: ReplyOf<K>) => void;
type ReplyTable = { readonly [K in ReplyKind]?: ReplyRoute<K> };

/** Steps 13, 14 and How it works: in every state. */
const ANY_STATE: ReplyTable = {
  menu: (turn, { item }) => {
    if (item === 'lang') return turn.switchLanguage();
    if (item === 'support') return turn.support();
    if (item === 'how') return turn.howItWorks();
    if (item === 'erase') return turn.askErase();
    return turn.expired(); // Let's begin: only while collecting photos
  },
  erase: (turn, { choice }) => turn.onErase(choice),
};

/** Photos of a new model (steps 2–5): the same in collecting_photos and choosing_pack, except I'm done. */
const photosRoute =
  (done: (turn: Turn) => void): ReplyRoute<'photos'> =>
  (turn, { action }) => {
    switch (action) {
      case 'ready':
        return turn.readyForPhotos();
      case 'examples':
        return turn.photoExamples();
      case 'more':
        return turn.morePhotos();
      case 'done':
        return done(turn); // step 5
      case 'restart':
        return turn.restart();
    }
  };

/** Steps 11–12: a model exists (writing_feedback is handled as has_model once a button is tapped). */
const HAS_MODEL: ReplyTable = {
  ...ANY_STATE,
  rate: (turn, { stars }) => turn.onRate(stars),
  more: (turn) => turn.anotherPack(),
  model: (turn, { choice }) => (choice === 'saved' ? turn.listModels() : turn.startNewModel()),
  tune: (turn, { tuneId }) => turn.onTune(tuneId),
};

/** Per state: what a text does, and which tapped ids do what. */
interface StateTable {
  text: (turn: Turn, text: string) => void;
  replies: ReplyTable;
}

const STATES: Readonly<Record<Conversation['state'], StateTable>> = {
  collecting_photos: {
    text: (turn) => turn.welcomeOrMenu(), // step 1
    replies: {
      ...ANY_STATE,
      menu: (turn, id) => (id.item === 'begin' ? turn.begin() : ANY_STATE.menu?.(turn, id)),
      photos: photosRoute((turn) => {
        turn.transition = 'not_enough_photos';
        turn.text(turn.t.notEnoughPhotos(turn.minPhotos, turn.accepted));
      }),
    },
  },
  choosing_pack: {
    text: (turn) => turn.menuAgain(),
    replies: {
      ...ANY_STATE,
      photos: photosRoute((turn) => {
        turn.transition = 'choose_tier';
        turn.tierMenu();
      }),
      tier: (turn, { tier }) => turn.onTier(tier), // step 6
      pack: (turn, { packId }) => turn.onPack(packId), // step 7
      packex: (turn, { packId }) => turn.onPackExamples(packId), // step 6
      agree: (turn, { packId }) => turn.onAgree(packId), // step 8
    },
  },
  training: { text: (turn) => turn.menuAgain(), replies: ANY_STATE },
  has_model: { text: (turn) => turn.menuAgain(), replies: HAS_MODEL }, // step 12
  // Step 11: the next text is the feedback; a tapped button is handled as in has_model.
  writing_feedback: { text: (turn, text) => turn.feedbackWritten(text), replies: HAS_MODEL },
};
