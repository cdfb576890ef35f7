/**
 * Keeps the process under `perSecond` sends: each acquire() reserves the next free slot, spaced
 * 1/perSecond apart, with a small burst allowance. Shared by every sender in the process.
 */
export class Throttle {
  private next = 0;
  private readonly interval: number;

  constructor(
    perSecond: number,
    private readonly burst = Math.max(1, Math.floor(perSecond / 10)),
    private readonly now: () => number = () => performance.now(),
  ) {
    this.interval = 1000 / perSecond;
  }

  /** Resolves when the caller may send. */
  async acquire(): Promise<void> {
    const now = this.now();
    // Unused capacity accrues up to `burst` slots.
    this.next = Math.max(this.next, now - this.burst * this.interval);
    const slot = this.next;
    this.next += this.interval;
    const wait = slot - now;
    if (wait > 0) await new Promise<void>((resolve) => setTimeout(resolve, wait));
  }
}
