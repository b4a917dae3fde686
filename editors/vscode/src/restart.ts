// The crash and restart policy of the language server, kept free of the
// vscode API so that it can be unit-tested.

/** What to do after the server process died. */
export type CrashDecision =
  | { restart: true; attempt: number }
  | { restart: false; crashes: number; windowMs: number };

/**
 * RestartPolicy restarts a crashed server at most `limit` times within a
 * sliding window of `windowMs`; the next crash in that window gives up, and
 * the user restarts by hand (the "lambdalens: Restart language server"
 * command calls reset). A server that ran longer than the window since its
 * last crash gets a fresh budget, so one crash a day never exhausts it.
 */
export class RestartPolicy {
  private crashes: number[] = [];

  /**
   * @param limit restarts allowed within the window. Default 5, as in
   *   vscode-languageclient's own default error handler.
   * @param windowMs the window, in milliseconds. Default 3 minutes.
   * @param now the clock, replaceable in tests.
   */
  constructor(
    readonly limit = 5,
    readonly windowMs = 3 * 60 * 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** crashed records a crash and says whether to restart. */
  crashed(): CrashDecision {
    const t = this.now();
    this.crashes = this.crashes.filter((c) => t - c < this.windowMs);
    this.crashes.push(t);
    if (this.crashes.length > this.limit) {
      return { restart: false, crashes: this.crashes.length, windowMs: this.windowMs };
    }
    return { restart: true, attempt: this.crashes.length };
  }

  /** reset forgets past crashes (after a manual restart). */
  reset(): void {
    this.crashes = [];
  }
}
