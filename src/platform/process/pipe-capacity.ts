// Linux pipes hold 64 KiB unless their capacity is raised with fcntl(F_SETPIPE_SZ), which no
// JavaScript runtime can call; perl, which most glibc-based distributions install with their
// base system, can, in a few milliseconds and without loading a module.
//
// Why: a runner that floods its output fills 64 KiB within the supervisor's pause between reads
// (read-pacing.ts), so the supervisor reads without pauses, a wake-up for every few lines, and the
// runner still waits for it now and then. With 1 MiB the pauses come back. Measured on the bench's
// flood (throwaway, three runs of 12 turns each): the supervisor's CPU 350 → 215 ms; the flood's
// span no worse (1.34 → 1.30×, 1.39 → 1.39×, 1.40 → 1.38× its `| cat > file` floor), as the
// runner's writes into a deeper backlog cost it more kernel time. Only a component that floods
// gets the helper (component.ts): raising every pair as it was made cost each start and each
// restart of a crash loop ~10 ms (the spawn, and perl's start beside the runner's on two cores).
import { executableFile, lookUpOnPath } from "./path-lookup.ts";
import { startChild } from "./spawn.ts";

/** The capacity asked for: /proc/sys/fs/pipe-max-size by default, above which the kernel refuses an unprivileged process. */
export const PIPE_CAPACITY = 1024 * 1024;
/** What a Linux pipe holds unless raised; also what the read pacing assumes of a pipe it knows nothing about. */
export const DEFAULT_PIPE_CAPACITY = 64 * 1024;

/** fcntl's F_SETPIPE_SZ: F_LINUX_SPECIFIC_BASE (1024) + 7, the same on every Linux architecture. */
const F_SETPIPE_SZ = 1031;

// Exits 0 when it raised them all. One it cannot raise (pipe-max-size lowered, the user's
// pipe-user-pages limit reached) keeps its 64 KiB.
const RAISE_SCRIPT = `my $raised = 0; for my $fd (3 .. 2 + $ARGV[0]) { open(my $pipe, "<&=", $fd) or next; $raised++ if fcntl($pipe, ${F_SETPIPE_SZ}, ${PIPE_CAPACITY}) } exit($raised == $ARGV[0] ? 0 : 1)`;

/**
 * perl's full path, looked up once: absolute PATH entries only, since it is handed the runner's
 * output (keys before redaction) and an empty or relative entry would mean whatever `perl` the
 * current directory holds. Null off Linux, where pipes have no settable capacity, and without perl.
 */
let perl: string | null | undefined = process.platform === "linux" ? undefined : null;

function perlPath(): string | null {
  perl ??= lookUpOnPath("perl", { path: process.env.PATH, family: "posix", executableAt: executableFile });
  return perl;
}

/**
 * Raises the capacity of the pipes `fds` (ours, open) in the background: perl gets them as its
 * fds 3, 4, … and exits; they are its copies, so closing ours meanwhile changes nothing. Resolves
 * true once all of them hold PIPE_CAPACITY. Its environment is empty, so no PERL5OPT or PERL5LIB
 * of the user's runs. Without perl the pipes stay as they are, and it resolves false.
 */
export function raisePipeCapacity(fds: readonly number[]): Promise<boolean> {
  const command = fds.length > 0 ? perlPath() : null;
  if (!command) return Promise.resolve(false);
  const child = startChild(command, ["-e", RAISE_SCRIPT, String(fds.length)], {
    env: {},
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
    extraFds: fds,
  });
  // Nothing waits for it: a supervisor on its way out may exit first.
  child.unref();
  return child.exited.then(({ code, startError }) => {
    // A perl that cannot be run at all (removed, or not executable by us) is not tried again.
    if (startError?.code === "ENOENT" || startError?.code === "EACCES") perl = null;
    return code === 0;
  });
}
