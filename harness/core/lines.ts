/**
 * Text that arrives in chunks (a child's stdout, a container's log stream) turned into whole lines: a line
 * split across chunks is one line, a CRLF ending loses its CR, and an unterminated last line still counts.
 */
export class LineSplitter {
  private pending = '';
  private readonly onLine: (line: string) => void;

  constructor(onLine: (line: string) => void) {
    this.onLine = onLine;
  }

  push(chunk: string): void {
    const parts = (this.pending + chunk).split('\n');
    this.pending = parts.pop() ?? '';
    for (const part of parts) this.onLine(part.replace(/\r$/, ''));
  }

  /** The text after the last newline, as a line of its own. */
  end(): void {
    if (this.pending) this.onLine(this.pending.replace(/\r$/, ''));
    this.pending = '';
  }
}
