import type { Redactor } from "../../secrets/redact.ts";

const NEWLINE = 0x0a;
const NEWLINE_BYTES = Buffer.from("\n");
const EMPTY = Buffer.alloc(0);

/** Lines longer than this are cut into pieces, so a runner without newlines cannot grow our memory. */
export const MAX_LINE_BYTES = 64 * 1024;

/**
 * Turns a stream of chunks into whole, redacted lines. Output goes out only in whole lines,
 * so a secret is always seen in one piece by the redactor, however the pipe split it;
 * a line too long to hold is cut, keeping enough bytes back that a secret is never cut in two.
 */
export class LineAssembler {
  private pending: Buffer = EMPTY;

  constructor(
    private readonly redact: Redactor,
    private readonly maxLineBytes = MAX_LINE_BYTES,
  ) {}

  /**
   * The whole lines (each ending in a newline) that this chunk completed, in order; none yet is
   * an empty list. The unfinished line held back is joined only to the start of the chunk, not
   * the chunk copied whole behind it: in a flood, that copy was most of what the supervisor
   * allocated. (Pieces are redacted apart: a secret holds no newline, see secrets/values.ts.)
   */
  push(chunk: Buffer): Buffer[] {
    const pieces: Buffer[] = [];
    let data = chunk;
    if (this.pending.length > 0) {
      const firstNewline = chunk.indexOf(NEWLINE);
      if (firstNewline < 0) {
        data = Buffer.concat([this.pending, chunk]);
      } else {
        pieces.push(this.complete(Buffer.concat([this.pending, chunk.subarray(0, firstNewline + 1)])));
        data = chunk.subarray(firstNewline + 1);
      }
      this.pending = EMPTY;
    }
    const lastNewline = data.lastIndexOf(NEWLINE);
    if (lastNewline >= 0) {
      pieces.push(this.complete(data.subarray(0, lastNewline + 1)));
      this.pending = data.subarray(lastNewline + 1);
    } else {
      this.pending = data;
    }
    if (this.pending.length > this.maxLineBytes) pieces.push(this.cutLongLine());
    if (this.pending.length > 0 && this.pending.buffer === chunk.buffer) {
      // Keep our own copy: the stream may reuse the chunk's memory.
      this.pending = Buffer.from(this.pending);
    }
    return pieces;
  }

  /** The unfinished last line, ended with a newline, once the stream has closed. */
  flush(): Buffer | null {
    if (this.pending.length === 0) return null;
    const rest = this.redact(this.pending);
    this.pending = EMPTY;
    const pieces: Buffer[] = [];
    for (let from = 0; from < rest.length; from += this.maxLineBytes) {
      pieces.push(rest.subarray(from, from + this.maxLineBytes), NEWLINE_BYTES);
    }
    return Buffer.concat(pieces);
  }

  private complete(lines: Buffer): Buffer {
    return cutLongLines(this.redact(lines), this.maxLineBytes);
  }

  private cutLongLine(): Buffer {
    const redacted = this.redact(this.pending);
    const keepBack = Math.max(0, this.redact.longestSecret - 1);
    const pieces: Buffer[] = [];
    let from = 0;
    while (redacted.length - from - keepBack > this.maxLineBytes) {
      pieces.push(redacted.subarray(from, from + this.maxLineBytes), NEWLINE_BYTES);
      from += this.maxLineBytes;
    }
    this.pending = Buffer.from(redacted.subarray(from));
    return Buffer.concat(pieces);
  }
}

/**
 * Whole lines, with any line longer than `max` cut into pieces of `max` bytes. A pipe can hand
 * over more than `max` bytes at once, so a long line may arrive already complete. Jumps from
 * newline to newline `max` bytes at a time: a flood of short lines costs a few look-ups per chunk.
 */
export function cutLongLines(lines: Buffer, max: number): Buffer {
  if (lines.length <= max + 1) return lines;
  const pieces: Buffer[] = [];
  let from = 0;
  let lineStart = 0;
  while (lines.length - lineStart > max + 1) {
    const newline = lines.lastIndexOf(NEWLINE, lineStart + max);
    if (newline >= lineStart) {
      lineStart = newline + 1;
      continue;
    }
    pieces.push(lines.subarray(from, lineStart + max), NEWLINE_BYTES);
    from = lineStart = lineStart + max;
  }
  if (from === 0) return lines;
  pieces.push(lines.subarray(from));
  return Buffer.concat(pieces);
}

/**
 * The end of a stream, kept to read its last lines from: its last `size` bytes, copied into one
 * buffer. Cheap per chunk (one copy, nothing allocated), whatever a flood on stderr brings; the
 * lines are made only when asked for.
 */
export class StreamTail {
  private readonly window: Buffer;
  private length = 0;
  /** Whether bytes before the window were dropped: its first line may then be a line's end only. */
  private cut = false;

  constructor(size = 8 * 1024) {
    this.window = Buffer.alloc(size);
  }

  push(bytes: Buffer): void {
    const size = this.window.length;
    if (bytes.length >= size) {
      bytes.copy(this.window, 0, bytes.length - size);
      this.cut ||= bytes.length > size || this.length > 0;
      this.length = size;
      return;
    }
    const kept = Math.min(this.length, size - bytes.length);
    this.cut ||= kept < this.length;
    this.window.copyWithin(0, this.length - kept, this.length);
    bytes.copy(this.window, kept);
    this.length = kept + bytes.length;
  }

  /** The last `count` non-empty lines, as text. */
  lines(count: number): string[] {
    const text = this.window.subarray(0, this.length).toString("utf8").split("\n");
    if (this.cut) text.shift();
    return text.filter((line) => line.length > 0).slice(-count);
  }
}
