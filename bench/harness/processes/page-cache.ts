// The state of an executable's pages in the page cache, which moves its RSS by megabytes (bench/README.md, "Memory").
// On this kernel a file written whole (by a build, an install, a copy) or read whole sits in the page cache in large
// folios, and a page fault maps the whole folio around the page asked for: a compiled Bun program then shows ~5 MiB
// more RssFile than when its pages came in through its own faults, as after a reboot. The memory rows fix the state
// instead of inheriting it from whatever ran before.
import { closeSync, fsyncSync, openSync, readSync } from "node:fs";
import { spawnSync } from "node:child_process";

/**
 * Drops the file's pages from the page cache (GNU dd's `iflag=nocache`, a POSIX_FADV_DONTNEED of the whole file), so
 * that the next program to run it reads it in through its own page faults. Written to disk first: pages not yet
 * written back (a binary just compiled) would stay. Pages a running process maps stay too.
 */
export function dropFromPageCache(file: string): void {
  const fd = openSync(file, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const result = spawnSync("dd", [`if=${file}`, "iflag=nocache", "count=0", "status=none"], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`dd could not drop ${file} from the page cache: ${result.stderr || result.error}`);
}

/** Drops the file from the page cache, then reads it whole: the state a build or an install leaves it in. */
export function readWhole(file: string): void {
  dropFromPageCache(file);
  const fd = openSync(file, "r");
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    while (readSync(fd, buffer, 0, buffer.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}
