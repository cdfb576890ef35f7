import type { EventData, EventInput, OutboundMessage, Tier } from '@astria/events';
import type { InboundMessage } from '../webhook/notification.js';
import type { Transition } from './transitions.js';

export type ConversationState = 'collecting_photos' | 'choosing_pack' | 'training' | 'has_model' | 'writing_feedback';
export type Language = 'en' | 'he';
export const TIERS: readonly Tier[] = ['lite', 'standard', 'premium'];

export interface PhotoRecord {
  /** The inbound message that carried the photo. */
  messageId: string;
  status: 'pending' | 'accepted' | 'rejected';
  photoId?: string;
}

export interface Credit {
  paymentId: string;
  provider: string;
  tier: Tier;
}

export interface TrainingRecord {
  requestId: string;
  packId: number;
  tier: Tier;
  paymentId: string;
  provider: string;
  tuneId?: number | null;
  eta?: string | null;
  existingTuneId?: number;
}

export interface SavedModel {
  tuneId: number;
  packId: number;
  subjectClass: string;
  createdAt: string;
  expiresAt: string | null;
}

/** Everything the engine knows about one user. Stored as the conversation row (state, language, data). */
export interface Conversation {
  userId: string;
  state: ConversationState;
  language: Language;
  name: string | null;
  welcomed: boolean;
  photos: PhotoRecord[];
  subjectClass: string | null;
  tier: Tier | null;
  packId: number | null;
  agreed: boolean;
  /** A payment waiting for photos or a pack. */
  credit: Credit | null;
  training: TrainingRecord | null;
  models: SavedModel[];
  /** Render the next pack on this saved tune instead of training. */
  selectedTuneId: number | null;
  /** Payment ids already applied (a payment counts once, whatever retries). */
  paymentsSeen: string[];
  /** Training requests whose images were delivered (reconciliation may report them again). */
  delivered: string[];
  unsupportedNotified: boolean;
  /** Time of the newest inbound message applied (ms). */
  lastMessageAt: number;
  /** Replies held while the 24-hour window is closed, delivered in order when the user answers. */
  held: Reply[];
  /** A window template was sent and the user has not answered yet. */
  waitingTemplate: boolean;
  /** The template the user has not answered yet: what it was, when it was sent (ms), reminders sent since. */
  pendingTemplate: { message: OutboundMessage; sentAt: number; reminders: number } | null;
  /** The user sent STOP (or a configured opt-out word): nothing business-initiated until START. */
  optedOut: boolean;
}

export interface Pack {
  id: number;
  slug: string;
  title: string;
  coverUrl: string | null;
  costs: Record<string, { cost: number; numImages: number }>;
}

export interface EngineConfig {
  minPhotos: number;
  prices: Record<Tier, number>;
  paymentLinks: Record<Tier, string>;
  supportContact: string;
  exampleImageUrls: readonly string[];
  etaMinutes: number;
}

export interface EngineContext {
  config: EngineConfig;
  /** Astria packs (may be empty when Astria is unreachable and nothing is cached). */
  packs: readonly Pack[];
  /** Preview videos by `${packId}:${subjectClass}`. */
  packVideos: Readonly<Record<string, string>>;
  now: Date;
}

export type EngineInput =
  | { kind: 'message'; message: InboundMessage }
  | { kind: 'image_processed'; data: EventData<'image_processed'> }
  | { kind: 'payment_received'; data: EventData<'payment_received'> }
  | { kind: 'tune_created'; data: EventData<'tune_created'> }
  | { kind: 'images_generated'; data: EventData<'images_generated'> }
  | { kind: 'training_failed'; data: EventData<'training_failed'> };

export interface Reply {
  message: OutboundMessage;
  replyTo?: string;
}

export type EngineEvent =
  | { type: 'user_message_received'; data: EventInput<'user_message_received'> }
  | { type: 'training_requested'; data: EventInput<'training_requested'> };

export interface EngineResult {
  conversation: Conversation;
  replies: Reply[];
  events: EngineEvent[];
  /** Ratings / written feedback to store. */
  feedback: Array<{ rating: number | null; text: string | null }>;
  /** Things an operator must hear about (logged at error level with alert: true). */
  alerts: string[];
  /** A short name of what happened, for the transitions metric. */
  transition: Transition;
  /** The user confirmed "Delete my data": the adapter erases everything of this user (the conversation too). */
  erase: boolean;
}

export function newConversation(userId: string): Conversation {
  return {
    userId,
    state: 'collecting_photos',
    language: userId.startsWith('972') ? 'he' : 'en',
    name: null,
    welcomed: false,
    photos: [],
    subjectClass: null,
    tier: null,
    packId: null,
    agreed: false,
    credit: null,
    training: null,
    models: [],
    selectedTuneId: null,
    paymentsSeen: [],
    delivered: [],
    unsupportedNotified: false,
    lastMessageAt: 0,
    held: [],
    waitingTemplate: false,
    pendingTemplate: null,
    optedOut: false,
  };
}
