export {
  EXTERNAL_EFFECT_TYPES,
  effectsSuppressed,
  paymentOwner,
  recordSuppressed,
  type SuppressedEffect,
} from './effects.js';
export { createOldAppTables, OLD_APP_DDL, OLD_STATE, oldAppMidTraining } from './old-app-tables.js';
export {
  decideOwner,
  type Owner,
  type OwnerDecision,
  type OwnerInput,
  type OwnerReason,
  STAGES,
  type Stage,
  type StageSettings,
  userBucket,
} from './owner.js';
export { type ResolveOwnerOptions, resolveOwner } from './owners.js';
export { runRollout } from './rollout-command.js';
export {
  ForwardFailed,
  type ForwardOptions,
  forwardToOldApp,
  type MetaNotification,
  metaSignature,
  type SplitNotification,
  splitNotification,
} from './split-notification.js';
export {
  applyChange,
  createLoggedStageReader,
  createStageReader,
  ownerCounts,
  readStage,
  type StageChange,
  type StageChangeRecord,
  type StageReader,
  type StageReaderOptions,
  setStage,
  stageHistory,
} from './stage-store.js';
