// Linux pipes hold 64 KiB unless their capacity is raised with fcntl(F_SETPIPE_SZ), which no
// JavaScript runtime can call; the runner's own Python can.
//
// Why: a runner that floods its output fills 64 KiB before the supervisor, sharing the machine's
// cores with it, reads again; it then waits, and the two take turns instead of running side by
// side. Measured (bench/RESULTS.md, "--probes", flood): a program that only copies the flood from
// a FIFO into a file took 1.25× the `| cat > file` floor with 490 ms of CPU, 0.98× with 370 ms
// once its FIFO held 1 MiB.
import { startChild } from "./spawn.ts";

/** The Python that raises the capacity: the runner's own interpreter (`command` and its leading arguments). */
export interface PipeHelper {
  command: string;
  args: readonly string[];
}

/** The capacity asked for; the kernel caps it at /proc/sys/fs/pipe-max-size, which is 1 MiB by default. */
export const PIPE_CAPACITY = 1024 * 1024;

// Isolated (-I) and without site (-S): no user code, nothing but fcntl is imported, ~15 ms. A pipe
// it cannot raise (a user's limit reached) keeps its 64 KiB: that is not an error.
const RAISE_SCRIPT = `
import fcntl, sys
for fd in range(3, 3 + int(sys.argv[1])):
    try:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, ${PIPE_CAPACITY})
    except OSError:
        pass
`;

/**
 * Raises the capacity of the pipes `fds` (ours, open) in the background: a short Python process
 * gets them as its fds 3, 4, … and exits. Nothing waits for it; the supervisor may exit first.
 * Linux only: elsewhere pipes have no settable capacity, and this does nothing.
 */
export function raisePipeCapacity(helper: PipeHelper, fds: readonly number[]): void {
  if (process.platform !== "linux" || fds.length === 0) return;
  const child = startChild(helper.command, [...helper.args, "-I", "-S", "-c", RAISE_SCRIPT, String(fds.length)], {
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
    extraFds: fds,
  });
  child.unref();
}
