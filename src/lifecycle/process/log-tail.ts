import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";

const BLOCK = 64 * 1024;

/** The last `count` lines of a file, read backwards in blocks so a big log costs little. */
export function lastLinesOfFile(path: string, count: number): { text: string; size: number } {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    let position = size;
    let newlines = 0;
    const blocks: Buffer[] = [];
    // A final newline ends the last line; it does not start another.
    let skipFinal = true;
    while (position > 0 && newlines <= count) {
      const length = Math.min(BLOCK, position);
      position -= length;
      const block = Buffer.alloc(length);
      readSync(fd, block, 0, length, position);
      blocks.unshift(block);
      for (let i = block.length - 1; i >= 0; i--) {
        if (block[i] !== 0x0a) continue;
        if (skipFinal && position + i === size - 1) continue;
        newlines += 1;
      }
      skipFinal = false;
    }
    const text = Buffer.concat(blocks).toString("utf8");
    const lines = text.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    const tail = count === 0 ? [] : lines.slice(-count);
    return { text: tail.length ? `${tail.join("\n")}\n` : "", size };
  } finally {
    closeSync(fd);
  }
}

const POLL_MS = 200;

/**
 * Follows a log from `position`, across rotation: when the path names a new file (rotated)
 * the rest of the old one is read first, then the new one from its start; a file that shrank
 * (truncated) is read again from its start.
 */
export async function followFile(path: string, position: number, write: (bytes: Buffer) => void, signal: AbortSignal): Promise<void> {
  let fd = openSync(path, "r");
  let inode = fstatSync(fd).ino;
  const buffer = Buffer.alloc(BLOCK);
  const drain = () => {
    for (;;) {
      const read = readSync(fd, buffer, 0, BLOCK, position);
      if (read <= 0) return;
      position += read;
      write(Buffer.from(buffer.subarray(0, read)));
    }
  };
  try {
    while (!signal.aborted) {
      drain();
      let current: ReturnType<typeof statSync> | null = null;
      try {
        current = statSync(path);
      } catch {
        // Between the rename and the new file: keep waiting.
      }
      if (current && current.ino !== inode) {
        drain();
        closeSync(fd);
        fd = openSync(path, "r");
        inode = fstatSync(fd).ino;
        position = 0;
        continue;
      }
      if (current && current.size < position) position = 0;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    closeSync(fd);
  }
}
