import { closeSync, existsSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';

/**
 * A log file with a bound: lines are appended synchronously (the file is complete whenever a failure report
 * reads it), and once the file passes `rotateBytes` it becomes `<file>.1` (the older ones `.2`, `.3`, …) and a new
 * file starts; the oldest files go as soon as all of them together would pass `keepBytes`. The newest lines are
 * always in `<file>`.
 */

export interface LogBounds {
  /** A file is rotated once it holds more than this. */
  readonly rotateBytes: number;
  /** The most all of a log's files may hold together (the newest file included). */
  readonly keepBytes: number;
}

export const DEFAULT_LOG_BOUNDS: LogBounds = { rotateBytes: 10 * 1_048_576, keepBytes: 50 * 1_048_576 };

/**
 * HARNESS_LOG_ROTATE_MB and HARNESS_LOG_KEEP_MB (fractions allowed), or the defaults: rotate at 10 MB, keep 50 MB
 * a function and run.
 */
export function logBounds(env: NodeJS.ProcessEnv): LogBounds {
  const read = (name: string, fallback: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const mb = Number(raw);
    if (!Number.isFinite(mb) || mb <= 0) throw new Error(`${name}="${raw}" is not a positive number of megabytes.`);
    return Math.max(1, Math.round(mb * 1_048_576));
  };
  const bounds = { rotateBytes: read('HARNESS_LOG_ROTATE_MB', DEFAULT_LOG_BOUNDS.rotateBytes), keepBytes: read('HARNESS_LOG_KEEP_MB', DEFAULT_LOG_BOUNDS.keepBytes) };
  if (bounds.keepBytes < bounds.rotateBytes) throw new Error(`HARNESS_LOG_KEEP_MB must be at least HARNESS_LOG_ROTATE_MB (${bounds.keepBytes} < ${bounds.rotateBytes} bytes).`);
  return bounds;
}

export class RotatingLog {
  private fd: number | undefined;
  private size: number;
  private readonly file: string;
  private readonly bounds: LogBounds;

  constructor(file: string, bounds: LogBounds = DEFAULT_LOG_BOUNDS) {
    this.file = file;
    this.bounds = bounds;
    this.fd = openSync(file, 'a');
    this.size = statSync(file).size;
  }

  /** Appends one line; after close() it is dropped (an environment's last words after teardown). */
  write(line: string): void {
    if (this.fd === undefined) return;
    const bytes = Buffer.from(`${line}\n`);
    if (this.size > 0 && this.size + bytes.length > this.bounds.rotateBytes) this.rotate();
    writeSync(this.fd, bytes);
    this.size += bytes.length;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** `<file>` → `<file>.1` → `<file>.2` …; then the oldest go while the rotated ones and a full new file would pass keepBytes. */
  private rotate(): void {
    closeSync(this.fd!);
    let count = 0;
    while (existsSync(`${this.file}.${count + 1}`)) count += 1;
    for (let n = count; n >= 1; n--) renameSync(`${this.file}.${n}`, `${this.file}.${n + 1}`);
    renameSync(this.file, `${this.file}.1`);
    let total = this.bounds.rotateBytes;
    for (let n = 1; n <= count + 1; n++) {
      const rotated = `${this.file}.${n}`;
      total += statSync(rotated).size;
      if (total > this.bounds.keepBytes) rmSync(rotated, { force: true });
    }
    this.fd = openSync(this.file, 'a');
    this.size = 0;
  }
}
