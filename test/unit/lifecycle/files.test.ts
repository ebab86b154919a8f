// The file and socket edges of the lifecycle, on a real temporary directory.
import { afterEach, describe, expect, test } from "bun:test";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { StigmerError } from "../../../src/cli/errors.ts";
import { controlRequest } from "../../../src/lifecycle/control/client.ts";
import type { LocalServer } from "../../../src/platform/net/listen.ts";
import { controlSocketPath, listenControl, type ControlRequest } from "../../../src/lifecycle/control/control.ts";
import { lastLines } from "../../../src/lifecycle/process/log-tail.ts";
import { afterWritten, LogFile } from "../../../src/lifecycle/process/logs.ts";
import { homeLayout } from "../../../src/lifecycle/control/state-dir.ts";
import { parseState, readStateFile, writeStateFile } from "../../../src/lifecycle/control/state-file.ts";
import { cleanupAll, tempDir } from "../../helpers.ts";

const servers: LocalServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) server.close();
  cleanupAll();
});

/** This process's descriptors open on `file`, by number. */
function descriptorsOf(file: string): number[] {
  return readdirSync("/proc/self/fd")
    .map(Number)
    .filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === file;
      } catch {
        return false;
      }
    });
}

describe("LogFile", () => {
  test("rotates by size, keeping the configured number of files, each 0600", () => {
    const dir = tempDir();
    const file = path.join(dir, "x.log");
    const log = new LogFile(file, () => {}, { maxBytes: 100, files: 3 });
    for (let i = 0; i < 10; i++) log.write(`${String(i).padStart(2, "0")} ${"x".repeat(46)}\n`);
    log.close();
    expect(readFileSync(file, "utf8")).toStartWith("08 ");
    expect(readFileSync(`${file}.1`, "utf8")).toStartWith("06 ");
    expect(readFileSync(`${file}.2`, "utf8")).toStartWith("04 ");
    expect(existsSync(`${file}.3`)).toBe(false);
    for (const name of [file, `${file}.1`, `${file}.2`]) expect(statSync(name).mode & 0o777).toBe(0o600);
  });

  test("one file kept: the file starts anew", () => {
    const file = path.join(tempDir(), "x.log");
    const log = new LogFile(file, () => {}, { maxBytes: 10, files: 1 });
    log.write("123456789\n");
    log.write("abc\n");
    log.close();
    expect(readFileSync(file, "utf8")).toBe("abc\n");
  });

  test("a rotation whose next file cannot open is reported once, holds no descriptor, and writing resumes once it can", () => {
    const dir = path.join(tempDir(), "logs");
    mkdirSync(dir);
    const file = path.join(dir, "x.log");
    const messages: string[] = [];
    const log = new LogFile(file, (message) => messages.push(message), { maxBytes: 100, files: 3 });
    log.write(`${"a".repeat(59)}\n`);
    log.flush();
    const heldFd = descriptorsOf(file)[0];
    rmSync(dir, { recursive: true });
    log.write(`${"b".repeat(59)}\n`);
    log.flush();
    // The lowest free number: the one the log held until its rotation closed it.
    const other = path.join(tempDir(), "other");
    const otherFd = openSync(other, "w+");
    try {
      expect(otherFd).toBe(heldFd!);
      log.write("lost\n");
      log.flush();
      expect(readFileSync(other, "utf8")).toBe("");
      expect(messages).toHaveLength(1);
      expect(messages[0]).toContain(`cannot write ${file}`);
      expect(log.problem).toContain(`cannot write ${file}`);
      mkdirSync(dir);
      log.write("back\n");
      log.close();
      expect(readFileSync(file, "utf8")).toBe("back\n");
      expect(messages).toEqual([messages[0]!, `writing ${file} works again`]);
      expect(log.problem).toBeNull();
      expect(readFileSync(other, "utf8")).toBe("");
    } finally {
      closeSync(otherFd);
    }
  });

  test("a log moved away is not touched again: the rotation starts a new file at its path (one file kept, or three)", () => {
    for (const files of [1, 3]) {
      const dir = tempDir();
      const file = path.join(dir, "x.log");
      const messages: string[] = [];
      const log = new LogFile(file, (message) => messages.push(message), { maxBytes: 100, files });
      log.write(`${"a".repeat(79)}\n`);
      log.flush();
      renameSync(file, path.join(dir, "kept"));
      log.write(`${"b".repeat(39)}\n`);
      log.close();
      expect(readFileSync(path.join(dir, "kept"), "utf8")).toBe(`${"a".repeat(79)}\n`);
      expect(readFileSync(file, "utf8")).toBe(`${"b".repeat(39)}\n`);
      expect(existsSync(`${file}.1`)).toBe(false);
      expect(messages).toEqual([]);
    }
  });

  test("a log removed while it is written to: within a second the lines go to a new file at its path, and a missing directory is reported until it is back", async () => {
    const dir = path.join(tempDir(), "logs");
    mkdirSync(dir);
    const file = path.join(dir, "x.log");
    const messages: string[] = [];
    const log = new LogFile(file, (message) => messages.push(message));
    log.write("one\n");
    log.flush();
    rmSync(file);
    await Bun.sleep(1100);
    log.write("two\n");
    log.flush();
    expect(readFileSync(file, "utf8")).toBe("two\n");
    expect(messages).toEqual([]);
    rmSync(dir, { recursive: true });
    await Bun.sleep(1100);
    log.write("lost\n");
    log.flush();
    expect(log.problem).toContain(`cannot write ${file}`);
    expect(descriptorsOf(file)).toEqual([]);
    mkdirSync(dir);
    log.write("three\n");
    log.close();
    expect(readFileSync(file, "utf8")).toBe("three\n");
    expect(messages).toHaveLength(2);
    expect(messages[0]).toStartWith(`cannot write ${file}: `);
    expect(messages[0]).toEndWith("; dropping log lines until it works again");
    expect(messages[1]).toBe(`writing ${file} works again`);
  });

  test("a rotation that cannot move the files is reported once; the log grows on, and rotates once it can", () => {
    const dir = tempDir();
    const file = path.join(dir, "x.log");
    // A directory where the first rotated file goes: the current file cannot be moved there.
    mkdirSync(`${file}.1`);
    writeFileSync(path.join(`${file}.1`, "in-the-way"), "");
    const messages: string[] = [];
    const log = new LogFile(file, (message) => messages.push(message), { maxBytes: 100, files: 2 });
    const lines = Array.from({ length: 10 }, (_, index) => `${String(index).padStart(2, "0")} ${"x".repeat(46)}\n`);
    for (const line of lines) {
      log.write(line);
      log.flush();
    }
    expect(readFileSync(file, "utf8")).toBe(lines.join(""));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toStartWith(`cannot rotate ${file}: `);
    expect(messages[0]).toEndWith("; it grows past its size until it can");
    expect(log.problem).toBeNull();
    rmSync(`${file}.1`, { recursive: true });
    for (const line of ["10 after\n", "11 after\n", "12 after\n"]) {
      log.write(line);
      log.flush();
    }
    log.close();
    expect(messages).toEqual([messages[0]!, `rotating ${file} works again`]);
    expect(readFileSync(`${file}.1`, "utf8")).toStartWith(lines.join(""));
    expect(readFileSync(file, "utf8").length).toBeLessThanOrEqual(100);
  });

  test("writes after close are dropped, not reported", () => {
    const file = path.join(tempDir(), "x.log");
    const messages: string[] = [];
    const log = new LogFile(file, (message) => messages.push(message));
    log.write("kept\n");
    log.close();
    log.write("after\n");
    log.flush();
    expect(readFileSync(file, "utf8")).toBe("kept\n");
    expect(messages).toEqual([]);
  });
});

describe("LogFile gathers writes", () => {
  test("small writes reach the file together shortly after, and at once on close", async () => {
    const file = path.join(tempDir(), "x.log");
    const log = new LogFile(file);
    log.write("one\n");
    log.write("two\n");
    expect(readFileSync(file, "utf8")).toBe("");
    await Bun.sleep(50);
    expect(readFileSync(file, "utf8")).toBe("one\ntwo\n");
    log.write("three\n");
    log.close();
    expect(readFileSync(file, "utf8")).toBe("one\ntwo\nthree\n");
  });

  test("64 KiB waiting are written at once", () => {
    const file = path.join(tempDir(), "x.log");
    const log = new LogFile(file);
    for (let i = 0; i < 1024; i++) log.write(`${"z".repeat(63)}\n`);
    expect(statSync(file).size).toBe(64 * 1024);
    log.close();
  });

  test("a write of 16 KiB or more goes to the file at once, after what was waiting", () => {
    const file = path.join(tempDir(), "x.log");
    const log = new LogFile(file);
    log.write("waiting\n");
    log.write(Buffer.alloc(16 * 1024 - 1, 0x61));
    expect(statSync(file).size).toBe(0);
    log.write(Buffer.alloc(16 * 1024, 0x62));
    expect(statSync(file).size).toBe(8 + 16 * 1024 - 1 + 16 * 1024);
    log.close();
  });

  test("a write of 16 KiB or more that would take the file past its size goes to the next file, what waited to this one", () => {
    const dir = tempDir();
    const file = path.join(dir, "x.log");
    const log = new LogFile(file, () => {}, { maxBytes: 20 * 1024, files: 2 });
    log.write(Buffer.alloc(8 * 1024, 0x61));
    log.write(Buffer.alloc(16 * 1024, 0x62));
    log.close();
    expect(readFileSync(`${file}.1`).equals(Buffer.alloc(8 * 1024, 0x61))).toBe(true);
    expect(readFileSync(file).equals(Buffer.alloc(16 * 1024, 0x62))).toBe(true);
  });

  test("after a partial write, what is left starts at the first byte not written", () => {
    const parts = [Buffer.from("abc"), Buffer.from("defg"), Buffer.from("h")];
    const left = (written: number) => Buffer.concat(afterWritten(parts, written)).toString();
    expect(left(0)).toBe("abcdefgh");
    expect(left(2)).toBe("cdefgh");
    expect(left(3)).toBe("defgh");
    expect(left(5)).toBe("fgh");
    expect(left(7)).toBe("h");
    expect(afterWritten(parts, 8)).toEqual([]);
  });

  test("writes of every size, around and beyond the gathering buffer, arrive byte for byte and in order", () => {
    const file = path.join(tempDir(), "x.log");
    const log = new LogFile(file, () => {}, { maxBytes: 1024 * 1024 * 1024, files: 2 });
    const expected: Buffer[] = [];
    const sizes = [1, 100, 65_535, 1, 65_536, 3, 200_000, 65_535, 65_537, 7, 40_000, 40_000, 16_383, 16_384, 5, 16_385, 64_000, 64_000];
    sizes.forEach((size, index) => {
      const bytes = Buffer.alloc(size, 0x41 + index);
      log.write(bytes);
      expected.push(Buffer.from(bytes));
      // The caller may reuse its buffer at once: what was written must not change with it.
      bytes.fill(0x7a);
    });
    log.close();
    expect(readFileSync(file).equals(Buffer.concat(expected))).toBe(true);
  });
});

describe("lastLines", () => {
  test("the last lines, whatever the block boundaries", () => {
    const file = path.join(tempDir(), "x.log");
    const lastLinesOfFile = (name: string, count: number) => {
      const fd = openSync(name, "r");
      try {
        return lastLines(fd, count, "include");
      } finally {
        closeSync(fd);
      }
    };
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${"y".repeat(i % 97)}`);
    writeFileSync(file, `${lines.join("\n")}\n`);
    expect(lastLinesOfFile(file, 3).text).toBe(`${lines.slice(-3).join("\n")}\n`);
    expect(lastLinesOfFile(file, 2000).text.split("\n").length - 1).toBe(2000);
    expect(lastLinesOfFile(file, 0).text).toBe("");
    writeFileSync(file, "no newline at the end");
    expect(lastLinesOfFile(file, 5).text).toBe("no newline at the end\n");
  });
});

describe("state file", () => {
  const state = {
    version: "0.1.0",
    startedAt: "2026-01-01T00:00:00.000Z",
    supervisor: { pid: 10, startToken: "99" },
    controlSocket: "/x/run/control.sock",
    groups: { runner: { pid: 11, startToken: null } },
  };

  test("written atomically, 0600, and read back", () => {
    const file = path.join(tempDir(), "supervisor.json");
    writeStateFile(file, state);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readStateFile(file)).toEqual({ kind: "state", state });
  });

  test("empty, truncated or wrongly shaped files read as corrupt, not as a crash", () => {
    const file = path.join(tempDir(), "supervisor.json");
    writeFileSync(file, "");
    expect(readStateFile(file)).toEqual({ kind: "corrupt", reason: "empty file" });
    writeFileSync(file, JSON.stringify(state).slice(0, 40));
    expect(readStateFile(file)).toEqual({ kind: "corrupt", reason: "not JSON" });
    writeFileSync(file, JSON.stringify({ ...state, supervisor: { pid: "ten" } }));
    expect(readStateFile(file).kind).toBe("corrupt");
    expect(parseState([])).toBeNull();
    expect(parseState({ ...state, groups: { runner: { pid: -1, startToken: null } } })).toBeNull();
    expect(readStateFile(path.join(file, "missing"))).toEqual({ kind: "none" });
  });
});

describe("control socket", () => {
  const handle = async (request: ControlRequest) => ({ answered: request.op, ...(request.component ? { component: request.component } : {}) });

  test("answers requests, and a second listener is refused as already running", async () => {
    const layout = homeLayout(tempDir());
    const socket = controlSocketPath(layout);
    servers.push(await listenControl(socket, layout.home, handle));
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    expect(await controlRequest(socket, "status", 2000)).toEqual({ kind: "answer", result: { answered: "status" } });
    expect(await controlRequest(socket, { op: "restart", component: "temporal" }, 2000)).toEqual({
      kind: "answer",
      result: { answered: "restart", component: "temporal" },
    });
    const second = await listenControl(socket, layout.home, handle).catch((error) => error);
    expect(second).toBeInstanceOf(StigmerError);
    expect((second as StigmerError).message).toContain("already running");
  });

  test("two listeners racing for one path: exactly one wins", async () => {
    const layout = homeLayout(tempDir());
    const socket = controlSocketPath(layout);
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => listenControl(socket, layout.home, handle)));
    const won = results.filter((result) => result.status === "fulfilled") as PromiseFulfilledResult<LocalServer>[];
    servers.push(...won.map((result) => result.value));
    expect(won).toHaveLength(1);
  });

  test("a socket file left by a killed process is replaced", async () => {
    const layout = homeLayout(tempDir());
    const socket = controlSocketPath(layout);
    mkdirSync(path.dirname(socket), { recursive: true });
    const bind = "import socket, sys, time; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); print('bound', flush=True); time.sleep(60)";
    const holder = Bun.spawn(["python3", "-c", bind, socket], { stdout: "pipe" });
    await new Response(holder.stdout).body!.getReader().read();
    holder.kill("SIGKILL");
    await holder.exited;
    expect(statSync(socket).isSocket()).toBe(true);
    servers.push(await listenControl(socket, layout.home, handle));
    expect(await controlRequest(socket, "status", 2000)).toMatchObject({ kind: "answer" });
  });

  test("a file that is not a socket is refused and left alone", async () => {
    const layout = homeLayout(tempDir());
    const occupied = controlSocketPath(layout);
    mkdirSync(path.dirname(occupied), { recursive: true });
    writeFileSync(occupied, "not a socket");
    const error = await listenControl(occupied, layout.home, handle).catch((caught) => caught);
    expect(error).toBeInstanceOf(StigmerError);
    expect((error as StigmerError).message).toContain("is not a socket");
    expect(readFileSync(occupied, "utf8")).toBe("not a socket");
  });

  test("nothing listening reads as no supervisor", async () => {
    const layout = homeLayout(tempDir());
    expect(await controlRequest(controlSocketPath(layout), "status", 2000)).toEqual({ kind: "no-supervisor" });
  });

  test("a home too deep for a Unix socket path gets a short private path instead", () => {
    const deep = homeLayout(`/tmp/${"d".repeat(120)}`);
    const socket = controlSocketPath(deep, "linux");
    expect(Buffer.byteLength(socket)).toBeLessThan(100);
    expect(controlSocketPath(deep, "linux")).toBe(socket);
    expect(controlSocketPath(homeLayout("/home/u/.stigmer"), "linux")).toBe("/home/u/.stigmer/run/control.sock");
    expect(controlSocketPath(homeLayout("/home/u/.stigmer"), "win32")).toMatch(/^\\\\\.\\pipe\\stigmer-[0-9a-f]{16}$/);
  });
});
