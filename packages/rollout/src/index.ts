export {
  EXTERNAL_EFFECT_TYPES,
  effectsSuppressed,
  lockPaymentOwner,
  recordSuppressed,
  type SuppressedEffect,
} from './effects.js';
export {
  formatImportReport,
  type ImportReport,
  type KindReport,
  type MigrateFromMonolithOptions,
  migrateFromMonolith,
} from './migrate-from-monolith.js';
export {
  type ExportReport,
  type MigrateToMonolithOptions,
  migrateToMonolith,
  oldRowFromConversation,
} from './migrate-to-monolith.js';
export {
  conversationFromOld,
  type ImportedConversation,
  importAtFirstTouch,
  importOldUser,
  type OldUser,
  oldCredits,
  readOldUser,
} from './monolith-import.js';
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
export { formatShadowReport, type ShadowDivergence, type ShadowReport, shadowReport } from './shadow-report.js';
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
