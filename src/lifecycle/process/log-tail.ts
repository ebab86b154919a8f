import { closeSync, fstatSync, readdirSync, readSync, statSync } from "node:fs";
import path from "node:path";
import { openPrivateFile } from "../control/state-dir.ts";
import { sleep } from "../../platform/process/timers.ts";

const BLOCK = 64 * 1024;

/** The log open for reading, or null when there is none (yet); a link, or a file of somebody else's, is refused. */
export function openLog(file: string): number | null {
  return openPrivateFile(file, "read");
}

/**
 * The last `count` lines of the file open at `fd`, and the offset where they end: where following
 * goes on. A last line still being written (no newline yet) is printed as a line ("include"), or
 * left for following to print whole once it ends ("leave").
 */
export function lastLines(fd: number, count: number, unfinishedLine: "include" | "leave"): { text: string; end: number } {
  const size = fstatSync(fd).size;
  const end = unfinishedLine === "include" ? size : endOfLastLine(fd, size);
  let position = end;
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
      if (skipFinal && position + i === end - 1) continue;
      newlines += 1;
    }
    skipFinal = false;
  }
  const text = Buffer.concat(blocks).toString("utf8");
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const tail = count === 0 ? [] : lines.slice(-count);
  return { text: tail.length ? `${tail.join("\n")}\n` : "", end };
}

/** The offset just after the last newline before `size`; 0 when there is none. */
function endOfLastLine(fd: number, size: number): number {
  const block = Buffer.alloc(BLOCK);
  for (let position = size; position > 0; ) {
    const length = Math.min(BLOCK, position);
    position -= length;
    readSync(fd, block, 0, length, position);
    const newline = block.subarray(0, length).lastIndexOf(0x0a);
    if (newline >= 0) return position + newline + 1;
  }
  return 0;
}

const POLL_MS = 200;
/** A rotation caught half-way (a name moved, the next not yet): look again after this. */
const MID_ROTATION_MS = 5;

/** Where following starts: a descriptor of the log and the position reached in it. */
export interface FollowStart {
  fd: number;
  position: number;
}

/** A file being followed: its descriptor, its inode (which survives renames), how far it was read. */
interface Followed {
  fd: number;
  inode: number;
  position: number;
}

/**
 * Follows a log from `from` (an open descriptor of it and a position), or from the start of the
 * file once it appears when `from` is null, until `signal` aborts. Rotation (`log` renamed to
 * `log.1`, `log.1` to `log.2`, …, oldest first) can happen several times between two looks: every
 * rotated file not yet read is read in order before the current one, so nothing is lost while the
 * rotated file still exists. A log moved away or removed is read to its end, then the new one at
 * the path from its start. A file that shrank (truncated in place by another program) is read
 * again from its start. `from`'s descriptor is closed at the end.
 */
export async function followFile(file: string, from: FollowStart | null, write: (bytes: Buffer) => void, signal: AbortSignal): Promise<void> {
  let current: Followed | null = from && { ...from, inode: fstatSync(from.fd).ino };
  const buffer = Buffer.alloc(BLOCK);
  const drain = (followed: Followed) => {
    for (;;) {
      const read = readSync(followed.fd, buffer, 0, BLOCK, followed.position);
      if (read <= 0) return;
      followed.position += read;
      write(Buffer.from(buffer.subarray(0, read)));
    }
  };
  try {
    while (!signal.aborted) {
      current ??= openFollowed(file, 0);
      if (!current) {
        await sleep(POLL_MS);
        continue;
      }
      drain(current);
      const latest = inodeAt(file, 0);
      if (latest !== null && latest !== current.inode) {
        // Rotated: what was written to it before the rename is there now; then the file written after it.
        drain(current);
        const next = openSuccessor(file, current);
        if (!next) {
          await sleep(MID_ROTATION_MS);
          continue;
        }
        closeSync(current.fd);
        current = next;
        continue;
      }
      if (latest !== null && fstatSync(current.fd).size < current.position) current.position = 0;
      await sleep(POLL_MS);
    }
  } finally {
    if (current) closeSync(current.fd);
  }
}

/** `log` is index 0, its rotated copies `log.1`, `log.2` … the indexes after it. */
function rotatedName(file: string, index: number): string {
  return index === 0 ? file : `${file}.${index}`;
}

function mtimeAt(file: string, index: number): number | null {
  try {
    return statSync(rotatedName(file, index)).mtimeMs;
  } catch {
    return null;
  }
}

function inodeAt(file: string, index: number): number | null {
  try {
    return statSync(rotatedName(file, index)).ino;
  } catch {
    return null;
  }
}

/** The indexes of the rotated copies there are now, oldest (highest) last. */
function rotatedIndexes(file: string): number[] {
  const prefix = `${path.basename(file)}.`;
  return readdirSync(path.dirname(file))
    .filter((name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)))
    .map((name) => Number(name.slice(prefix.length)))
    .sort((a, b) => a - b);
}

function openFollowed(file: string, index: number): Followed | null {
  const fd = openLog(rotatedName(file, index));
  return fd === null ? null : { fd, inode: fstatSync(fd).ino, position: 0 };
}

/**
 * The file written after `current`, which is no longer `log`. Rotation moves every file up one
 * index together, so the one after it sits one index below it, `log` itself when it is `log.1`.
 * Moved away under another name, or removed, by hand or by logrotate: the new `log` goes on. Null
 * when a rotation is half-way through: look again.
 */
function openSuccessor(file: string, current: Followed): Followed | null {
  // Not among the rotated files at the first look may be a rotation moving it meanwhile: a second
  // look tells; not there either, it was moved away under another name.
  const index = indexOf(file, current) ?? indexOf(file, current);
  if (index === "gone") return afterRemoved(file, current);
  if (index === null) return openFollowed(file, 0);
  const next = openFollowed(file, index - 1);
  // Still at its index after the open: the rotation that moves it had not moved its successor either.
  if (next && inodeAt(file, index) !== current.inode) {
    closeSync(next.fd);
    return null;
  }
  return next;
}

/** Where `current` is among the rotated files now: its index, "gone" once it has no name left, or null. */
function indexOf(file: string, current: Followed): number | "gone" | null {
  if (fstatSync(current.fd).nlink === 0) return "gone";
  return rotatedIndexes(file).find((candidate) => inodeAt(file, candidate) === current.inode) ?? null;
}

/**
 * The file after one with no name left. Rotated out of existence (more rotations than --log-files
 * kept since the last look): the oldest file left that was written after it goes on. Removed as
 * `log`: the files left are older, and the new `log` goes on.
 */
function afterRemoved(file: string, current: Followed): Followed | null {
  const { mtimeMs } = fstatSync(current.fd);
  const newer = rotatedIndexes(file)
    .reverse()
    .find((index) => (mtimeAt(file, index) ?? -Infinity) >= mtimeMs);
  return openFollowed(file, newer ?? 0);
}
