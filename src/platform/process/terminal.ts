import { fstatSync, statSync, type Stats } from "node:fs";

/**
 * isatty(0), asked without loading node:tty where it can be helped (a process that supervises all day keeps what it
 * loads) and without building process.stdin (0.9 ms: bench/RESULTS.md, session 14): what is no character device is
 * no terminal, nor is /dev/null, which services and scripts give; isatty decides the rest.
 */
export function stdinIsTerminal(): boolean {
  let stdin: Stats;
  try {
    stdin = fstatSync(0);
  } catch {
    // A closed stdin.
    return false;
  }
  if (!stdin.isCharacterDevice() || isDevNull(stdin)) return false;
  return process.getBuiltinModule("node:tty").isatty(0);
}

function isDevNull(stats: Stats): boolean {
  try {
    return stats.rdev === statSync("/dev/null").rdev;
  } catch {
    // No /dev/null (Windows).
    return false;
  }
}
