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

/**
 * Every line of a byte stream to `onLine`. Lines end at `\n` only: the Lambda runtime client writes a multi-line
 * message as one line with `\r` in place of its newlines, and that stays one log event (readline would split it).
 */
export function forwardLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  const splitter = new LineSplitter(onLine);
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => splitter.push(chunk));
  stream.on('end', () => splitter.end());
}
