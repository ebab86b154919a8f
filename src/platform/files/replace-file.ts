import { Buffer } from "node:buffer";
import { closeSync, fsyncSync, renameSync, rmSync, writeSync } from "node:fs";

/**
 * Replaces a file in one step: the content goes to `<file>.<pid>.tmp`, opened by `openTemporary`
 * (which decides its mode and how safely it is opened), is synced, then renamed over the file, so a
 * reader sees the old file or the new one, never half of either. `durable: false` skips the sync,
 * for a file a crash may leave torn at no cost (a cache that is then only ignored).
 */
export function replaceFile(file: string, content: string | Uint8Array, openTemporary: (path: string) => number, { durable = true } = {}): void {
  const temporary = `${file}.${process.pid}.tmp`;
  const fd = openTemporary(temporary);
  try {
    try {
      writeSync(fd, typeof content === "string" ? Buffer.from(content) : content);
      if (durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
