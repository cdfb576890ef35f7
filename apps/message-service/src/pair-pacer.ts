export interface PairPacerOptions {
  /** One message per this many ms to one user once the burst is spent (WHATSAPP_PAIR_INTERVAL_MS). */
  intervalMs: number;
  /** Messages one user may get at once (WHATSAPP_PAIR_BURST). */
  burst: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Users tracked before idle ones (whose burst is whole again) are forgotten. */
const PRUNE_ABOVE = 10_000;

/**
 * WhatsApp's pair rate limit (131056), kept per recipient: a user may get `burst` messages at once,
 * then one per `intervalMs` (GCRA: each user has a theoretical arrival time, and a send waits while it
 * is more than the burst ahead). One user's messages are sent one after the other by the keyed
 * consumer, so waiting here holds back that user only; other users' sends go on meanwhile.
 * In-process: a user's sends are on one pod at a time (the keyed consumer); a handover between pods
 * that overshoots is answered with 131056, which `backOff` turns into that user's pause.
 */
export class PairPacer {
  private readonly tat = new Map<string, number>();
  private readonly tolerance: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: PairPacerOptions) {
    this.tolerance = (Math.max(1, options.burst) - 1) * options.intervalMs;
    this.now = options.now ?? (() => Date.now());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** How long the next message to `user` must wait (0 when it may go now), reserving its slot. */
  reserve(user: string): number {
    const now = this.now();
    if (this.tat.size > PRUNE_ABOVE) this.prune(now);
    const tat = Math.max(this.tat.get(user) ?? now, now);
    this.tat.set(user, tat + this.options.intervalMs);
    return Math.max(0, tat - this.tolerance - now);
  }

  /** Resolves when a message to `user` may be sent. */
  async acquire(user: string): Promise<void> {
    const wait = this.reserve(user);
    if (wait > 0) await this.sleep(wait);
  }

  /** WhatsApp answered 131056 for `user`: nothing more to that user for `ms`, then one per interval. */
  backOff(user: string, ms = this.options.intervalMs): void {
    const now = this.now();
    this.tat.set(user, Math.max(this.tat.get(user) ?? now, now + ms + this.tolerance));
  }

  private prune(now: number): void {
    for (const [user, tat] of this.tat) if (tat <= now) this.tat.delete(user);
  }
}
