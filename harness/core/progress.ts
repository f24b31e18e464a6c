import { redact } from './redact.ts';

/**
 * Progress of the slow phases (synth, container start, deploy, waiting for `Active`, teardown): a live line
 * on a terminal, plain lines in CI and logs, and a summary of phase timings at the end. Output goes to stderr
 * so that `--json` output on stdout stays one clean line.
 */
export interface PhaseTiming {
  readonly name: string;
  readonly ms: number;
  readonly ok: boolean;
}

export interface ProgressOptions {
  /** Where lines go. @default process.stderr */
  readonly stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Live line with a ticking clock. @default stream is a TTY and CI is not set */
  readonly live?: boolean;
  /** Prints nothing (timings are still recorded). @default false */
  readonly quiet?: boolean;
}

export class Progress {
  readonly timings: PhaseTiming[] = [];
  private readonly stream: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly live: boolean;
  private readonly quiet: boolean;

  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.live = options.live ?? (Boolean(this.stream.isTTY) && !process.env.CI);
    this.quiet = options.quiet ?? false;
  }

  /** A line of information inside the current phase (subprocess output, a choice and its reason). */
  info(message: string): void {
    if (this.quiet) return;
    if (this.live) this.stream.write('\r\x1b[2K');
    this.stream.write(`${redact(message)}\n`);
  }

  /** Runs `work` as a named phase, timing it and reporting start, progress and end. */
  async phase<T>(name: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const elapsed = (): string => formatMs(performance.now() - started);
    let ticker: NodeJS.Timeout | undefined;
    if (!this.quiet) {
      if (this.live) {
        this.stream.write(`\r\x1b[2K▶ ${name} …`);
        ticker = setInterval(() => this.stream.write(`\r\x1b[2K▶ ${name} … ${elapsed()}`), 250);
        ticker.unref();
      } else {
        this.stream.write(`▶ ${name}\n`);
      }
    }
    try {
      const result = await work();
      this.end(name, started, true, ticker);
      return result;
    } catch (error) {
      this.end(name, started, false, ticker);
      throw error;
    }
  }

  /** One line per phase with its duration, for the end of a run. */
  summary(): string {
    const total = this.timings.reduce((sum, t) => sum + t.ms, 0);
    const rows = this.timings.map((t) => `  ${t.ok ? '✓' : '✗'} ${t.name.padEnd(40)} ${formatMs(t.ms).padStart(9)}`);
    return ['Phase timings:', ...rows, `  ${'total'.padEnd(42)} ${formatMs(total).padStart(9)}`].join('\n');
  }

  private end(name: string, started: number, ok: boolean, ticker: NodeJS.Timeout | undefined): void {
    if (ticker) clearInterval(ticker);
    const ms = performance.now() - started;
    this.timings.push({ name, ms, ok });
    if (this.quiet) return;
    if (this.live) this.stream.write('\r\x1b[2K');
    this.stream.write(`${ok ? '✓' : '✗'} ${name} (${formatMs(ms)})\n`);
  }
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}
