/** Why a query was refused or abandoned while PostgreSQL could not serve it. */
export type UnavailableReason = 'circuit-open' | 'connection-lost' | 'deadline';

/**
 * PostgreSQL cannot serve this query now: unreachable (the circuit is open), the connection was
 * lost, or the query/transaction outlived its deadline. Temporary by nature: answer 503 and retry.
 */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
  readonly reason: UnavailableReason;
  constructor(reason: UnavailableReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

/** Node socket errors and postgres.js connection errors: the server is not there (or went away). */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  // SQLSTATE: admin_shutdown, crash_shutdown, cannot_connect_now (starting up / shutting down)
  '57P01',
  '57P02',
  '57P03',
]);

/** True for errors that say the database is unreachable (never for query errors such as a unique violation). */
export function isConnectionError(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  if (error instanceof DatabaseUnavailableError) return error.reason !== 'deadline';
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08'))) return true;
  // Node reports a refused dual-stack connect as an AggregateError of per-address errors.
  const inner = (error as { errors?: unknown }).errors;
  if (Array.isArray(inner) && inner.some((e) => isConnectionError(e))) return true;
  // Drizzle wraps driver errors (DrizzleQueryError) with the original as `cause`.
  const cause = (error as { cause?: unknown }).cause;
  return cause !== error && isConnectionError(cause);
}

/** The DatabaseUnavailableError behind an error (itself or along its `cause` chain, e.g. inside a DrizzleQueryError). */
export function databaseUnavailable(error: unknown): DatabaseUnavailableError | undefined {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    if (e instanceof DatabaseUnavailableError) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export interface CircuitOptions {
  /** Runs one probe round trip; resolves when the database answered. */
  probe: () => Promise<void>;
  /** Pause between failed probes. */
  probeIntervalMs: number;
  onChange?: (state: 'open' | 'closed', cause?: unknown) => void;
}

/**
 * Fail fast while the database is unreachable: after a connection error the circuit opens and every
 * new query is refused at once (no queueing behind the driver's reconnect backoff) until a probe
 * round trip succeeds, which closes it again. One probe at a time.
 */
export class ConnectionCircuit {
  private openSince: number | undefined;
  private lastCause: unknown;
  private probing = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly options: CircuitOptions) {}

  get isOpen(): boolean {
    return this.openSince !== undefined;
  }

  /** Throws DatabaseUnavailableError while open. */
  check(): void {
    if (this.openSince === undefined) return;
    const cause = this.lastCause;
    throw new DatabaseUnavailableError(
      'circuit-open',
      `database unavailable for ${Date.now() - this.openSince} ms (${describe(cause)})`,
      { cause },
    );
  }

  trip(cause: unknown): void {
    if (this.stopped) return;
    this.lastCause = cause;
    if (this.openSince !== undefined) return;
    this.openSince = Date.now();
    this.options.onChange?.('open', cause);
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped || this.probing) return;
    this.timer = setTimeout(() => void this.runProbe(), delayMs);
    this.timer.unref();
  }

  private async runProbe(): Promise<void> {
    this.probing = true;
    try {
      await this.options.probe();
      this.probing = false;
      if (this.openSince !== undefined && !this.stopped) {
        this.openSince = undefined;
        this.options.onChange?.('closed');
      }
    } catch (error) {
      this.probing = false;
      this.lastCause = error;
      this.schedule(this.options.probeIntervalMs);
    }
  }
}

function describe(error: unknown): string {
  if (error && typeof error === 'object') {
    const code = (error as { code?: unknown }).code;
    const message = (error as { message?: unknown }).message;
    return [code, message].filter((x) => typeof x === 'string' && x).join(': ') || 'unknown';
  }
  return String(error);
}

/** Rejects with DatabaseUnavailableError('deadline') when `work` has not settled within `ms`; calls onTimeout then. */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string, onTimeout?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new DatabaseUnavailableError('deadline', `${what} did not finish within ${ms} ms`));
    }, ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * The SQLSTATE of a PostgreSQL error no retry can fix, found along `cause`: class 22 (data exception:
 * NUL, invalid encoding, a value out of range) or 54 (program limit: an index row too big); null for
 * anything else (the database unreachable, a deadline, a serialization failure may succeed on a retry).
 */
export function permanentStoreError(error: unknown): string | null {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^(22|54)[0-9A-Z]{3}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}
