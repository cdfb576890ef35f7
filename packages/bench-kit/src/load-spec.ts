/** What the load generator process sends (JSON in BENCH_LOAD_SPEC). */
export interface LoadSpec {
  /** The message service's WhatsApp webhook URL. */
  webhookUrl: string;
  appSecret: string;
  phoneNumberId: string;
  connections: number;
  durationSeconds: number;
  /** Requests per second over all targets; none: as fast as the connections allow. */
  overallRate?: number;
  /** Users `<userPrefix><000000…>`: this many distinct phone numbers. */
  users: number;
  userPrefix: string;
  /** Makes wamids unique across runs on one database. */
  runId: string;
  /** Weights of each kind (percent); default only texts. */
  mix?: Partial<Record<LoadKind, number>>;
  /** Photos: media ids known to the WhatsApp (simulator) the service downloads from. */
  media?: { id: string; sha256: string }[];
  /** Payments: the SUMIT webhook of the payment service (with its token). */
  sumitWebhookUrl?: string;
  /** Write one line per message webhook sent (`epochMs kind user wamid`) to this file at the end. */
  logFile?: string;
}

export type LoadKind = 'text' | 'photo' | 'tap' | 'status' | 'payment';

export interface LoadResult {
  target: 'whatsapp' | 'sumit';
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  total: number;
}
