import { appendFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { LineSplitter } from '../../core/lines.ts';
import { redact } from '../../core/redact.ts';

/**
 * The LocalStack container's log: every line (redacted) goes to a file in the run folder, and the latest
 * lines stay in memory so that a failure can show them without asking Docker again.
 */
export class ContainerLog {
  private readonly recent: string[] = [];
  private readonly lines = new LineSplitter((line) => this.line(line));
  private readonly file: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly keep: number;

  /** `env` holds the secrets to mask; `keep` is how many lines stay in memory. */
  constructor(file: string, env: NodeJS.ProcessEnv, keep = 200) {
    this.file = file;
    this.env = env;
    this.keep = keep;
  }

  /** Reads a (following) log stream until it ends. */
  follow(stream: Readable): void {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => this.write(chunk));
    stream.on('end', () => this.lines.end());
    // A log stream that breaks must not crash the run; the file says so.
    stream.on('error', (error: Error) => this.line(`(container log stream failed: ${error.message})`));
  }

  write(chunk: string): void {
    this.lines.push(chunk);
  }

  /** The latest lines, oldest first. */
  tail(count: number): string[] {
    return this.recent.slice(-count);
  }

  private line(raw: string): void {
    const line = redact(raw, this.env);
    this.recent.push(line);
    if (this.recent.length > this.keep) this.recent.shift();
    appendFileSync(this.file, `${line}\n`);
  }
}
