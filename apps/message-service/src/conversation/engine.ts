import type { OutboundMessage, Tier } from '@astria/events';
import type { InboundMessage } from '../webhook/notification.js';
import { COPY, type Copy, defaultTierImages } from './copy.js';
import {
  type Conversation,
  type EngineContext,
  type EngineEvent,
  type EngineInput,
  type EngineResult,
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

/** Which inputs need the Astria packs (so the adapter fetches them only then). */
export function needsPacks(input: EngineInput): boolean {
  if (input.kind === 'payment_received') return true;
  if (input.kind !== 'message') return false;
  const id = input.message.replyId;
  return id !== undefined && /^(tier|pack|packex|agree):/.test(id);
}

/** The pack id a reply refers to, when it needs a preview video. */
export function previewPackId(input: EngineInput): number | null {
  if (input.kind !== 'message') return null;
  const match = /^packex:(\d+)$/.exec(input.message.replyId ?? '');
  return match ? Number(match[1]) : null;
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

const REPLY_ALIASES: Record<string, string> = {
  begin: 'menu:begin',
  how: 'menu:how',
  language: 'menu:lang',
  support: 'menu:support',
};

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
  transition = 'noop';

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
    };
  }

  send(message: OutboundMessage, replyTo?: string) {
    this.replies.push(replyTo ? { message, replyTo } : { message });
  }

  text(body: string, replyTo?: string) {
    this.send({ kind: 'text', body }, replyTo);
  }

  // ---- menus

  welcomeMenu() {
    const t = this.t;
    this.send({
      kind: 'list',
      body: t.welcome(this.c.name),
      button: t.menuButton,
      sections: [
        {
          rows: [
            { id: 'menu:begin', title: t.begin, description: t.beginDesc },
            { id: 'menu:how', title: t.how, description: t.howDesc },
            { id: 'menu:lang', title: t.switchLanguage, description: t.switchLanguageDesc },
            { id: 'menu:support', title: t.support, description: t.supportDesc },
          ],
        },
      ],
    });
  }

  guidelines() {
    this.send({
      kind: 'buttons',
      body: this.t.guidelines(this.minPhotos),
      buttons: [
        { id: 'photos:ready', title: this.t.ready },
        { id: 'photos:examples', title: this.t.showExamples },
      ],
    });
  }

  photosMenu() {
    const t = this.t;
    this.send({
      kind: 'list',
      body: t.enoughPhotos(this.accepted),
      button: t.menuButton,
      sections: [
        {
          rows: [
            { id: 'photos:more', title: t.addMore, description: t.addMoreDesc },
            { id: 'photos:done', title: t.done, description: t.doneDesc },
            { id: 'photos:restart', title: t.startOver, description: t.startOverDesc },
            { id: 'menu:support', title: t.support, description: t.supportDesc },
          ],
        },
      ],
    });
  }

  tierMenu() {
    const t = this.t;
    this.send({
      kind: 'list',
      body: t.chooseTier,
      button: t.tiersButton,
      sections: [
        {
          rows: TIERS.map((tier) => ({
            id: `tier:${tier}`,
            title: t.tierTitle[tier],
            description: t.tierDesc(tier, defaultTierImages(tier), this.ctx.config.prices[tier]),
          })),
        },
      ],
    });
  }

  returningMenu() {
    this.send({
      kind: 'buttons',
      body: this.t.returning,
      buttons: [
        { id: 'model:saved', title: this.t.useSaved },
        { id: 'model:new', title: this.t.newModel },
      ],
    });
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
    this.onReply(REPLY_ALIASES[m.replyId] ?? m.replyId, m);
  }

  onText(text: string) {
    const c = this.c;
    switch (c.state) {
      case 'writing_feedback':
        // Step 11: the next text is the feedback.
        this.feedback.push({ rating: null, text: text.slice(0, 4000) });
        c.state = 'has_model';
        this.transition = 'feedback_written';
        this.text(this.t.feedbackThanks(this.ctx.config.supportContact));
        return;
      case 'collecting_photos':
        // Step 1: any first text → the welcome menu.
        this.transition = c.welcomed ? 'menu' : 'welcome';
        c.welcomed = true;
        this.currentMenu();
        return;
      default:
        // Steps 12 (returning user) and the reminders of other states.
        this.transition = 'menu';
        this.currentMenu();
    }
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

  onReply(id: string, m: InboundMessage) {
    const c = this.c;
    const [ns, arg = ''] = id.split(':', 2) as [string, string | undefined];
    const collecting = c.state === 'collecting_photos' || c.state === 'choosing_pack';
    const modelOwner = c.state === 'has_model' || c.state === 'writing_feedback';
    if (modelOwner && c.state === 'writing_feedback') c.state = 'has_model';
    switch (
      `${ns}:${ns === 'tier' || ns === 'pack' || ns === 'packex' || ns === 'agree' || ns === 'rate' || ns === 'tune' ? '*' : arg}`
    ) {
      case 'menu:lang':
        // Step 13: any state.
        c.language = c.language === 'en' ? 'he' : 'en';
        this.transition = 'language_switched';
        this.text(this.t.languageSwitched);
        return this.currentMenu();
      case 'menu:support':
        // Step 14: any state.
        this.transition = 'support';
        return this.text(this.t.supportContact(this.ctx.config.supportContact));
      case 'menu:how':
        this.transition = 'how_it_works';
        this.text(this.t.howItWorks(this.minPhotos));
        return this.currentMenu();
      case 'menu:begin':
        if (c.state !== 'collecting_photos') return this.expired();
        c.welcomed = true;
        this.transition = 'guidelines';
        return this.guidelines(); // step 2
      case 'photos:ready':
        if (!collecting || c.selectedTuneId !== null) return this.expired();
        this.transition = 'ready_for_photos';
        return this.text(this.t.sendPhotos(this.minPhotos, this.accepted)); // step 3
      case 'photos:examples':
        if (!collecting || c.selectedTuneId !== null) return this.expired();
        this.transition = 'photo_examples';
        if (this.ctx.config.exampleImageUrls.length === 0) this.text(this.t.noExamples);
        for (const link of this.ctx.config.exampleImageUrls.slice(0, 5)) {
          this.send({ kind: 'image', link, caption: this.t.examplesCaption });
        }
        return this.send({
          kind: 'buttons',
          body: this.t.sendPhotos(this.minPhotos, this.accepted),
          buttons: [{ id: 'photos:ready', title: this.t.ready }],
        });
      case 'photos:more':
        if (!collecting || c.selectedTuneId !== null) return this.expired();
        this.transition = 'more_photos';
        return this.text(this.t.sendMore);
      case 'photos:done':
        // Step 5.
        if (c.state === 'collecting_photos') {
          this.transition = 'not_enough_photos';
          return this.text(this.t.notEnoughPhotos(this.minPhotos, this.accepted));
        }
        if (c.state !== 'choosing_pack') return this.expired();
        this.transition = 'choose_tier';
        return this.tierMenu();
      case 'photos:restart':
        if (!collecting) return this.expired();
        this.clearSelection();
        c.photos = [];
        c.subjectClass = null;
        c.state = 'collecting_photos';
        this.transition = 'restart';
        return this.text(this.t.restarted(this.minPhotos));
      case 'tier:*':
        return this.onTier(arg);
      case 'pack:*':
        return this.onPack(arg);
      case 'packex:*':
        return this.onPackExamples(arg);
      case 'agree:*':
        return this.onAgree(arg);
      case 'rate:*':
        return this.onRate(arg);
      case 'more:pack': {
        if (!modelOwner) return this.expired();
        const model = this.activeModels()[0];
        if (!model) {
          this.text(this.t.noSavedModels);
          return this.startNewModel();
        }
        return this.useModel(model.tuneId);
      }
      case 'model:saved':
        if (!modelOwner) return this.expired();
        return this.listModels();
      case 'model:new':
        if (!modelOwner) return this.expired();
        return this.startNewModel();
      case 'tune:*':
        if (!modelOwner) return this.expired();
        if (!/^\d+$/.test(arg) || !this.activeModels().some((x) => x.tuneId === Number(arg))) return this.expired();
        return this.useModel(Number(arg));
      default:
        void m;
        return this.expired(); // step 16: unknown or stale ids
    }
  }

  clearSelection() {
    this.c.tier = null;
    this.c.packId = null;
    this.c.agreed = false;
    this.c.selectedTuneId = null;
  }

  choosingReady(): boolean {
    return this.c.state === 'choosing_pack';
  }

  onTier(arg: string) {
    const tier = TIERS.find((x) => x === arg);
    if (!this.choosingReady() || !tier) return this.expired();
    // Step 6.
    this.c.tier = tier;
    this.transition = 'tier_chosen';
    const packs = packsOfTier(this.ctx.packs, tier, this.c.subjectClass).slice(0, 10);
    if (packs.length === 0) {
      this.text(this.t.noPacks);
      return this.tierMenu();
    }
    for (const pack of packs) {
      const cls = this.c.subjectClass ?? Object.keys(pack.costs)[0];
      const images = (cls ? pack.costs[cls]?.numImages : undefined) || defaultTierImages(tier);
      const header =
        pack.coverUrl && URL.canParse(pack.coverUrl) ? { type: 'image' as const, link: pack.coverUrl } : undefined;
      this.send({
        kind: 'buttons',
        ...(header ? { header } : {}),
        body: this.t.packBody(pack.title, this.ctx.config.prices[tier], images),
        buttons: [
          { id: `pack:${pack.id}`, title: this.t.wantThis },
          { id: `packex:${pack.id}`, title: this.t.packExamples },
        ],
      });
    }
  }

  findPack(arg: string): Pack | undefined {
    if (!/^\d+$/.test(arg)) return undefined;
    return this.ctx.packs.find((p) => p.id === Number(arg));
  }

  onPack(arg: string) {
    const pack = this.findPack(arg);
    const tier = pack ? tierOfSlug(pack.slug) : null;
    if (!this.choosingReady() || !pack || !tier) return this.expired();
    // Step 7.
    this.c.packId = pack.id;
    this.c.tier = tier;
    this.c.agreed = false;
    this.transition = 'pack_chosen';
    this.send({ kind: 'buttons', body: this.t.disclaimer, buttons: [{ id: `agree:${pack.id}`, title: this.t.agree }] });
  }

  onPackExamples(arg: string) {
    const pack = this.findPack(arg);
    if (!this.choosingReady() || !pack) return this.expired();
    this.transition = 'pack_examples';
    const cls = this.c.subjectClass ?? Object.keys(pack.costs)[0] ?? '';
    const video = this.ctx.packVideos[`${pack.id}:${cls}`];
    if (video && URL.canParse(video)) this.send({ kind: 'video', link: video, caption: pack.title.slice(0, 1024) });
    else this.text(this.t.previewNotReady);
    this.send({ kind: 'buttons', body: pack.title, buttons: [{ id: `pack:${pack.id}`, title: this.t.wantThis }] });
  }

  onAgree(arg: string) {
    const c = this.c;
    if (!this.choosingReady() || c.packId === null || String(c.packId) !== arg || !c.tier) return this.expired();
    // Step 8 (or straight to training when a payment is waiting as credit).
    c.agreed = true;
    if (c.credit && this.tryStartTraining()) return;
    this.transition = 'payment_link';
    this.send({
      kind: 'cta_url',
      body: `${this.t.payBody}\n${this.t.payNote}`,
      displayText: this.t.payButton,
      url: paymentLinkFor(this.ctx.config.paymentLinks[c.tier], c.userId),
    });
  }

  onRate(arg: string) {
    const c = this.c;
    const rating = /^[1-5]$/.test(arg) ? Number(arg) : null;
    if (c.state !== 'has_model' || rating === null) return this.expired();
    // Step 11.
    this.feedback.push({ rating, text: null });
    if (rating >= 4) {
      this.transition = 'rated_high';
      return this.text(this.t.ratingThanks);
    }
    c.state = 'writing_feedback';
    this.transition = 'rated_low';
    this.text(this.t.askFeedback);
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
      this.send({
        kind: 'buttons',
        body: this.t.savedModel(
          model.subjectClass,
          formatDate(model.createdAt, this.c.language),
          formatDate(model.expiresAt, this.c.language),
        ),
        buttons: [{ id: `tune:${model.tuneId}`, title: this.t.useThisModel }],
      });
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
    if (photo && photo.status !== 'pending') {
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
    this.send({
      kind: 'list',
      body: this.t.rateBody,
      button: this.t.rateButton,
      sections: [{ rows: [5, 4, 3, 2, 1].map((n) => ({ id: `rate:${n}`, title: this.t.stars(n) })) }],
    });
    this.send({ kind: 'buttons', body: this.t.ready_, buttons: [{ id: 'more:pack', title: this.t.anotherPack }] });
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
