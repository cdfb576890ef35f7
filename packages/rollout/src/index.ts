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
  applyChange,
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
