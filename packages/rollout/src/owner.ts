import { createHash } from 'node:crypto';

/** Where the move-over stands: who serves users, decided per user from this. */
export const STAGES = ['shadow', 'canary', 'full', 'fallback'] as const;
export type Stage = (typeof STAGES)[number];

/** `new`: this system serves the user; `old`: the old app does (its part is forwarded there). */
export type Owner = 'new' | 'old';

export interface StageSettings {
  readonly stage: Stage;
  /** Canary only: the share of users (0–100) the new system serves, by stable hash. */
  readonly percent: number;
  /** Always served by the new system at canary and full (test numbers first). */
  readonly allow: readonly string[];
  /** Always served by the old app, unless already moved to the new system (sticky). */
  readonly deny: readonly string[];
  /** Grows by one on every change; logged by every pod that reads it. */
  readonly version: number;
}

export type OwnerReason =
  | 'shadow'
  | 'fallback'
  | 'sticky'
  | 'allow'
  | 'deny'
  | 'mid-training-in-old-app'
  | 'hash-in'
  | 'hash-out'
  | 'full';

export interface OwnerDecision {
  readonly owner: Owner;
  readonly reason: OwnerReason;
}

/** A stable bucket 0–99 of a user id: the same on every pod, every release. */
export function userBucket(userId: string): number {
  return createHash('sha256').update(userId).digest().readUInt32BE(0) % 100;
}

export interface OwnerInput {
  readonly userId: string;
  readonly settings: StageSettings;
  /** The sticky owner recorded earlier, if any. */
  readonly assigned?: Owner | undefined;
  /** The old app has this user mid-training (paid, tune not delivered): it keeps them until delivered. */
  readonly midTrainingInOldApp: boolean;
}

/**
 * Which system serves a user at this stage. Shadow and fallback: the old app, everyone. Canary and
 * full: once the new system served a user it keeps them (sticky, the stage's percentage only grows);
 * otherwise a user the old app has mid-training stays there; then the deny list, the allow list, and
 * at canary the stable hash against the percentage.
 */
export function decideOwner({ userId, settings, assigned, midTrainingInOldApp }: OwnerInput): OwnerDecision {
  if (settings.stage === 'shadow') return { owner: 'old', reason: 'shadow' };
  if (settings.stage === 'fallback') return { owner: 'old', reason: 'fallback' };
  if (assigned === 'new') return { owner: 'new', reason: 'sticky' };
  if (midTrainingInOldApp) return { owner: 'old', reason: 'mid-training-in-old-app' };
  if (settings.deny.includes(userId)) return { owner: 'old', reason: 'deny' };
  if (settings.allow.includes(userId)) return { owner: 'new', reason: 'allow' };
  if (settings.stage === 'full') return { owner: 'new', reason: 'full' };
  return userBucket(userId) < settings.percent
    ? { owner: 'new', reason: 'hash-in' }
    : { owner: 'old', reason: 'hash-out' };
}
