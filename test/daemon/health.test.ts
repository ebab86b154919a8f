// The daemon check against real servers on 127.0.0.1: the development daemon (in this
// process and as a child process), a plain TCP server that never speaks, an HTTP/2 server
// that is not gRPC, a closed port, and a name that cannot resolve.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { DevDaemon } from "../../examples/dev-daemon.ts";
import { checkDaemon, waitForDaemon, type DaemonCheck } from "../../src/daemon/health.ts";
import { FIXTURES, freePort, spawnDevDaemon, waitFor, type DaemonProcess } from "../helpers.ts";
import { testServers } from "./servers.ts";

// Room for the slowest waits below (20 s); passing runs take well under a second each.
setDefaultTimeout(60_000);

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const { devDaemon, silentServer } = testServers(cleanups);

/** The development daemon as a child process, stopped after the test. */
async function daemonProcess(options: Parameters<typeof spawnDevDaemon>[0] = {}): Promise<DaemonProcess> {
  const daemon = await spawnDevDaemon(options);
  cleanups.push(() => daemon.stop());
  return daemon;
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const startedAt = performance.now();
  const value = await work();
  return { value, ms: performance.now() - startedAt };
}

describe("checkDaemon", () => {
  test("a daemon answering SERVING is serving", async () => {
    const daemon = await devDaemon();
    const check = await checkDaemon(daemon.endpoint);
    expect(check).toMatchObject({ endpoint: daemon.endpoint, status: "serving", detail: null });
    expect(Date.parse(check.checkedAt)).not.toBeNaN();
  });

  test("a daemon answering NOT_SERVING is not-serving, and says so", async () => {
    const daemon = await devDaemon({ serving: false });
    const check = await checkDaemon(daemon.endpoint);
    expect(check.status).toBe("not-serving");
    expect(check.detail).toContain("NOT_SERVING");
  });

  test("a gRPC server without the health service (UNIMPLEMENTED) is reachable", async () => {
    const daemon = await devDaemon({ health: false });
    const check = await checkDaemon(daemon.endpoint);
    expect(check.status).toBe("reachable");
    expect(check.detail).toContain("no health service");
  });

  test("a closed port is unreachable, answered well before the deadline", async () => {
    const endpoint = `127.0.0.1:${await freePort()}`;
    const { value: check, ms } = await timed(() => checkDaemon(endpoint, { deadlineMs: 10_000 }));
    expect(check).toMatchObject({ endpoint, status: "unreachable", detail: "connection refused" });
    expect(ms).toBeLessThan(5_000);
  });

  test("without the TCP look first (a look ahead), the answers are the same: gRPC itself finds the port closed", async () => {
    const daemon = await devDaemon();
    expect((await checkDaemon(daemon.endpoint, { tcpLookFirst: false })).status).toBe("serving");
    const closed = `127.0.0.1:${await freePort()}`;
    const { value: check, ms } = await timed(() => checkDaemon(closed, { deadlineMs: 10_000, tcpLookFirst: false }));
    expect(check).toMatchObject({ endpoint: closed, status: "unreachable", detail: "connection refused" });
    expect(ms).toBeLessThan(5_000);
  });

  test("a port that accepts TCP but never speaks HTTP/2 is unreachable once the deadline passes", async () => {
    const endpoint = await silentServer();
    const { value: check, ms } = await timed(() => checkDaemon(endpoint, { deadlineMs: 500 }));
    expect(check).toMatchObject({ status: "unreachable", detail: "no answer within 0.5s" });
    // Timers may fire a little early or late; this only shows the deadline was waited for.
    expect(ms).toBeGreaterThanOrEqual(400);
  });

  test("a name that cannot resolve is unreachable, naming the host", async () => {
    const check = await checkDaemon("stigmer-test.invalid:50051", { deadlineMs: 10_000 });
    expect(check.status).toBe("unreachable");
    expect(check.detail).toBe("cannot resolve host stigmer-test.invalid");
  });

  test("an HTTP/2 server that is not gRPC is unreachable, not passed off as a daemon", async () => {
    const server = http2.createServer((_request, response) => {
      response.statusCode = 404;
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => server.close());
    const check = await checkDaemon(`127.0.0.1:${(server.address() as AddressInfo).port}`);
    expect(check).toMatchObject({ status: "unreachable", detail: "the port answers HTTP 404, not gRPC" });
  });

  // grpc-js unrefs its sockets, so an unclosed channel would not stop a process from
  // exiting; counting this process's file descriptors shows whether it was closed.
  test.skipIf(!existsSync("/proc/self/fd"))("checks close their connections", async () => {
    const daemon = await devDaemon();
    const closed = `127.0.0.1:${await freePort()}`;
    const openFiles = () => readdirSync("/proc/self/fd").length;
    const before = openFiles();
    for (let round = 0; round < 5; round++) {
      expect((await checkDaemon(daemon.endpoint)).status).toBe("serving");
      expect((await checkDaemon(closed)).status).toBe("unreachable");
    }
    await waitFor("the connections to close", () => openFiles() <= before, 10_000);
  });

  test("a process exits on its own right after checks: no socket or timer is left holding it", async () => {
    const daemon = await devDaemon();
    const closed = `127.0.0.1:${await freePort()}`;
    const silent = await silentServer();
    const child = spawn(process.execPath, [path.join(FIXTURES, "daemon-check-once.ts"), daemon.endpoint, closed, silent], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    cleanups.push(() => child.kill("SIGKILL"));
    let stdout = "";
    child.stdout!.on("data", (chunk) => (stdout += chunk));
    // Generous: the three checks take about half a second; a held event loop never ends.
    const exit = await Promise.race([
      new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code))),
      Bun.sleep(20_000).then(() => "still running" as const),
    ]);
    expect(exit).toBe(0);
    const statuses = stdout.trim().split("\n").map((line) => (JSON.parse(line) as DaemonCheck).status);
    expect(statuses).toEqual(["serving", "unreachable", "unreachable"]);
  });
});

describe("examples/dev-daemon.ts as a process", () => {
  test("serves SERVING, switches on SIGUSR1, exits 0 on SIGTERM", async () => {
    const daemon = await daemonProcess();
    expect(daemon.endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
    expect((await checkDaemon(daemon.endpoint)).status).toBe("serving");

    daemon.child.kill("SIGUSR1");
    await waitFor("the switch to NOT_SERVING", () => daemon.output().includes("status NOT_SERVING"));
    expect((await checkDaemon(daemon.endpoint)).status).toBe("not-serving");

    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
    expect((await checkDaemon(daemon.endpoint)).status).toBe("unreachable");
  });

  test("--status not-serving starts NOT_SERVING; --no-health answers UNIMPLEMENTED", async () => {
    const notServing = await daemonProcess({ serving: false });
    const withoutHealth = await daemonProcess({ health: false });
    expect((await checkDaemon(notServing.endpoint)).status).toBe("not-serving");
    expect((await checkDaemon(withoutHealth.endpoint)).status).toBe("reachable");
  });

  test("exits 0 on SIGINT", async () => {
    const daemon = await daemonProcess();
    daemon.child.kill("SIGINT");
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
  });
});

describe("waitForDaemon", () => {
  test("returns serving once the daemon comes up during the wait", async () => {
    const port = await freePort();
    const progress: DaemonCheck["status"][] = [];
    let daemon: Promise<DevDaemon> | null = null;
    const check = await waitForDaemon(`127.0.0.1:${port}`, {
      timeoutMs: 30_000,
      intervalMs: 100,
      onProgress(progressCheck) {
        progress.push(progressCheck.status);
        daemon ??= devDaemon({ port });
      },
    });
    expect(check.status).toBe("serving");
    expect(progress[0]).toBe("unreachable");
    expect(progress.at(-1)).toBe("serving");
  });

  test("returns the last check, unreachable, once the timeout has passed", async () => {
    const endpoint = `127.0.0.1:${await freePort()}`;
    const elapsed: number[] = [];
    const { value: check, ms } = await timed(() =>
      waitForDaemon(endpoint, { timeoutMs: 600, intervalMs: 100, onProgress: (_check, elapsedMs) => elapsed.push(elapsedMs) }),
    );
    expect(check).toMatchObject({ status: "unreachable", detail: "connection refused" });
    expect(elapsed.length).toBeGreaterThan(1);
    expect(ms).toBeGreaterThanOrEqual(600);
  });

  test("a name that cannot resolve is unreachable, naming the host (as gRPC reports it)", async () => {
    const check = await waitForDaemon("stigmer-test.invalid:50051", { timeoutMs: 300, intervalMs: 100 });
    expect(check).toMatchObject({ status: "unreachable", detail: "cannot resolve host stigmer-test.invalid" });
  });

  test("a server without the health service ends the wait: reachable is good enough", async () => {
    const daemon = await devDaemon({ health: false });
    const check = await waitForDaemon(daemon.endpoint, { timeoutMs: 30_000 });
    expect(check.status).toBe("reachable");
  });

  test("a not-serving daemon does not end the wait", async () => {
    const daemon = await devDaemon({ serving: false });
    const check = await waitForDaemon(daemon.endpoint, { timeoutMs: 500, intervalMs: 100 });
    expect(check.status).toBe("not-serving");
  });

  test("aborting ends the wait at once, with the check cancelled", async () => {
    const endpoint = await silentServer();
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 200);
    const { value: check, ms } = await timed(() =>
      waitForDaemon(endpoint, { timeoutMs: 60_000, deadlineMs: 30_000, signal: abort.signal }),
    );
    expect(check).toMatchObject({ status: "unreachable", detail: "check cancelled" });
    expect(ms).toBeLessThan(15_000);
  });
});
