export { formatSelfTime, type SelfTime, topSelfTime } from './cpuprofile.js';
export { MESSAGE_SERVICE_BENCH_ENV } from './env.js';
export { resultOf, runLoad } from './load.js';
export type { LoadKind, LoadResult, LoadSpec } from './load-spec.js';
export {
  findPgbench,
  PgbenchMissingError,
  type PgbenchOptions,
  type PgbenchResult,
  parsePgbenchOutput,
  runPgbench,
} from './pgbench.js';
export { peakRssMb, processCpuMs, rssMb } from './proc.js';
export { CPU_PROFILE_DIR, freePort, REPO, ServiceProcess, type ServiceProcessOptions } from './service.js';
export { median, percentile, ratio, type Summary, summarize } from './stats.js';
export {
  BENCH_APP_SECRET,
  buttonReplyNotification,
  DEFAULT_NUMBER_ID,
  imageNotification,
  type NotificationOptions,
  type SignedWebhook,
  signedHeaders,
  signedWebhook,
  statusNotification,
  textNotification,
} from './webhooks.js';
