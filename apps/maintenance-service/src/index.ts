export { type MaintenanceServiceAppOptions, maintenanceServiceApp } from './app.js';
export { type CleanupResult, type CleanupStep, runCleanup } from './cleanup.js';
export { type CliIo, type ParsedArgs, parseArgs, runCli, USAGE } from './cli-run.js';
export {
  type ImageMaintenance,
  type ImageMaintenanceFactory,
  type ImageMaintenanceProvider,
  imageMaintenanceFromPackage,
} from './image-maintenance.js';
export { COMMANDS, type JobDeps, type RunSummary, runCommand } from './jobs.js';
export { LOCK_KEYS, withAdvisoryLock } from './lock.js';
export { createMaintenanceMetrics, type MaintenanceMetrics } from './metrics.js';
export { findStaleTraining, type ReconcileResult, runReconcile } from './reconcile.js';
export { type CleanupKind, rowRules } from './retention.js';
export { createRunHistory, type MaintenanceCommand } from './runs.js';
export { createScheduler, type Scheduler } from './scheduler.js';
