/**
 * Throttled, coalesced edits of one Discord message. Progress events can arrive every few
 * milliseconds; the message is edited at most once per `minIntervalMs`, always with the latest
 * state, never with two edits in flight (so they cannot arrive out of order), and the final state
 * is always sent last.
 */
import { log } from '../log';

export type Edit<T> = (payload: T) => Promise<unknown>;

export class LiveMessage<T> {
  private pending: (() => T) | null = null;
  private inflight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastAt = -Infinity;
  private closed = false;
  /** Edits actually sent (for tests and benchmarks). */
  sent = 0;

  constructor(private readonly edit: Edit<T>, private readonly minIntervalMs = 1000) {}

  /** Show this state soon (the render function runs when the edit is sent, so it is the latest). */
  update(render: () => T): void {
    if (this.closed) return;
    this.pending = render;
    this.schedule();
  }

  private schedule(): void {
    if (this.inflight || this.timer || !this.pending) return;
    const wait = Math.max(0, this.lastAt + this.minIntervalMs - performance.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, wait);
  }

  private async flush(): Promise<void> {
    const render = this.pending;
    this.pending = null;
    if (!render || this.closed) return;
    await this.send(render());
    this.schedule();
  }

  private async send(payload: T): Promise<void> {
    this.sent++;
    const p = this.edit(payload).then(
      () => undefined,
      (e) => log.warn(`progress edit failed: ${e instanceof Error ? e.message : String(e)}`),
    );
    this.inflight = p;
    try {
      await p;
    } finally {
      // Spacing counts from the answer: Discord sees two edits at least minIntervalMs apart.
      this.lastAt = performance.now();
      this.inflight = null;
    }
  }

  /**
   * Sends the final state after any edit in flight, keeping the minimum spacing; later update()
   * calls are ignored. Rejects if the final edit fails (the caller decides what to tell the user).
   */
  async finish(payload: T, opts: { keepSpacing?: boolean } = {}): Promise<void> {
    this.closed = true;
    this.pending = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.inflight) await this.inflight;
    if (opts.keepSpacing !== false) {
      const wait = this.lastAt + this.minIntervalMs - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    this.sent++;
    try {
      await this.edit(payload);
    } finally {
      this.lastAt = performance.now();
    }
  }

  /** Drops anything not yet sent (e.g. the interaction is gone). */
  cancel(): void {
    this.closed = true;
    this.pending = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
