/**
 * Nothing leaks: every resource a target creates (process, folder, container, stack) registers its removal
 * here the moment it exists, so that teardown, a failure and Ctrl-C/SIGTERM all run the same code, newest
 * first, once.
 */
type Disposer = () => Promise<void> | void;

export class Cleanup {
  private readonly disposers: { label: string; dispose: Disposer }[] = [];
  private running: Promise<Error[]> | undefined;
  private closed = false;
  private readonly late = new Set<Promise<void>>();

  /**
   * Registers a removal; returns a function that runs it now (and unregisters it). After `close()` (an
   * interrupt) the removal runs at once: a start still in flight when Ctrl-C came leaves nothing behind.
   */
  add(label: string, dispose: Disposer): () => Promise<void> {
    if (this.closed) {
      const done = Promise.resolve()
        .then(dispose)
        .catch(() => {})
        .finally(() => this.late.delete(done));
      this.late.add(done);
      return () => done;
    }
    const entry = { label, dispose };
    this.disposers.push(entry);
    return async () => {
      const index = this.disposers.indexOf(entry);
      if (index === -1) return;
      this.disposers.splice(index, 1);
      await entry.dispose();
    };
  }

  /** Runs every registered removal, newest first. Never throws: returns the errors, each naming its part. */
  run(): Promise<Error[]> {
    this.running ??= (async () => {
      const errors: Error[] = [];
      while (this.disposers.length > 0) {
        const { label, dispose } = this.disposers.pop()!;
        try {
          await dispose();
        } catch (error) {
          errors.push(new Error(`cleanup of ${label} failed: ${(error as Error).message}`, { cause: error }));
        }
      }
      this.running = undefined;
      return errors;
    })();
    return this.running;
  }

  /**
   * Runs every removal and refuses new ones from then on (they run as soon as they are added). For
   * interrupts: the process is about to exit while a start may still be creating things.
   */
  async close(): Promise<Error[]> {
    this.closed = true;
    const errors = await this.run();
    // Parts that finished being created while the removals ran: give their removal a turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.late.size > 0) await Promise.all(this.late);
    return errors;
  }

  /** True once `close()` was called: the process is being interrupted. */
  get isClosed(): boolean {
    return this.closed;
  }

  get size(): number {
    return this.disposers.length;
  }
}

const EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

/**
 * Runs `cleanup` when the process is interrupted, then exits with the conventional code. Returns a function
 * that removes the handlers. A second signal while cleaning up is ignored; cleanup must finish.
 */
export function cleanupOnSignals(cleanup: Cleanup, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): () => void {
  let stopping = false;
  const handlers = Object.entries(EXIT_CODES).map(([signal, code]) => {
    const handler = (): void => {
      if (stopping) {
        log(`${signal} received again: still cleaning up, please wait`);
        return;
      }
      stopping = true;
      log(`${signal} received: removing everything this run started…`);
      void cleanup.close().then((errors) => {
        for (const error of errors) log(error.message);
        process.exit(code);
      });
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}
