// The supervisor's daemon watch and its health checker process, against real servers on
// 127.0.0.1: the development daemon, a plain TCP server that never speaks, a closed port. The
// checker is the compiled binary's `local __health-checks`, a real process.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { lookFirst } from "../../src/daemon/check.ts";
import { HealthChecker } from "../../src/daemon/checker.ts";
import { DaemonWatcher } from "../../src/daemon/watch.ts";
import type { DaemonCheck } from "../../src/daemon/check.ts";
import { freePort, processAlive, stigmerBin, waitFor } from "../helpers.ts";
import { testServers } from "./servers.ts";

setDefaultTimeout(60_000);

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const { devDaemon, silentServer } = testServers(cleanups);

function checker(idleMs?: number): HealthChecker {
  const instance = new HealthChecker({ command: { command: stigmerBin(), args: ["local", "__health-checks"] }, idleMs });
  cleanups.push(() => instance.close());
  return instance;
}

describe("HealthChecker: the gRPC calls in a process of their own", () => {
  test("answers serving, not-serving and reachable as the in-process check does, on one process", async () => {
    const serving = await devDaemon();
    const notServing = await devDaemon({ serving: false });
    const noHealth = await devDaemon({ health: false });
    const health = checker();
    expect(await health.check(serving.endpoint, "", 5_000)).toMatchObject({ endpoint: serving.endpoint, status: "serving", detail: null });
    const pid = health.pid;
    expect(pid).toBeGreaterThan(0);
    expect(await health.check(notServing.endpoint, "", 5_000)).toMatchObject({ status: "not-serving" });
    expect(await health.check(noHealth.endpoint, "", 5_000)).toMatchObject({ status: "reachable" });
    expect(health.pid).toBe(pid);
  });

  test("asks for a named service: Temporal's frontend answers for its workflow service", async () => {
    const service = "temporal.api.workflowservice.v1.WorkflowService";
    const daemon = await devDaemon({ services: [service] });
    const health = checker();
    expect((await health.check(daemon.endpoint, service, 5_000)).status).toBe("serving");
    expect((await health.check(daemon.endpoint, "some.other.Service", 5_000)).status).toBe("not-serving");
  });

  test("ends its process after the idle time, and starts another for the next call", async () => {
    const daemon = await devDaemon();
    const health = checker(300);
    await health.check(daemon.endpoint, "", 5_000);
    const first = health.pid!;
    await waitFor("the idle process to end", () => health.pid === null && !processAlive(first));
    expect((await health.check(daemon.endpoint, "", 5_000)).status).toBe("serving");
    expect(health.pid).not.toBe(first);
  });

  test("close ends the process at once", async () => {
    const health = checker();
    health.warm();
    const pid = health.pid!;
    await waitFor("the process to run", () => processAlive(pid));
    health.close();
    await waitFor("the process to end", () => !processAlive(pid));
  });

  test("an abort answers check cancelled at once, and the process stays for the next call", async () => {
    const health = checker();
    const abort = new AbortController();
    const pending = health.check(await silentServer(), "", 30_000, abort.signal);
    await Bun.sleep(300);
    abort.abort();
    expect(await pending).toMatchObject({ status: "unreachable", detail: "check cancelled" });
    const daemon = await devDaemon();
    expect((await health.check(daemon.endpoint, "", 5_000)).status).toBe("serving");
  });

  test("after close, a call is cancelled and starts no process: a readiness wait still under way while the supervisor stops", async () => {
    const daemon = await devDaemon();
    const health = checker();
    await health.check(daemon.endpoint, "", 5_000);
    const pid = health.pid!;
    health.close();
    expect(await health.check(daemon.endpoint, "", 5_000)).toMatchObject({ status: "unreachable", detail: "check cancelled" });
    expect(health.pid).toBeNull();
    await waitFor("the process to end", () => !processAlive(pid));
  });

  test("a checker that cannot start answers unreachable, saying so", async () => {
    const health = new HealthChecker({ command: { command: "/nonexistent/stigmer", args: [] } });
    cleanups.push(() => health.close());
    const check = await health.check("127.0.0.1:1", "", 2_000);
    expect(check.status).toBe("unreachable");
    expect(check.detail).toMatch(/health checker did not start|health checker exited/);
  });

  test("lookFirst: a closed port is unreachable without a call", async () => {
    const endpoint = `127.0.0.1:${await freePort()}`;
    let calls = 0;
    const look = lookFirst(endpoint, async () => {
      calls += 1;
      throw new Error("not called");
    });
    expect(await look(2_000)).toMatchObject({ status: "unreachable", detail: "connection refused" });
    expect(calls).toBe(0);
  });
});

describe("DaemonWatcher: a TCP look every interval, the call where it tells something new", () => {
  test("reports serving → unreachable → serving, once per change; a port that stays open costs no call", async () => {
    const first = await devDaemon();
    const health = checker();
    const watcher = new DaemonWatcher(first.endpoint, health.checkOnce(first.endpoint), { intervalMs: 100, deadlineMs: 5_000 });
    cleanups.push(() => watcher.stop());
    const changes: [DaemonCheck["status"], DaemonCheck["status"] | null][] = [];
    watcher.start((check, previous) => changes.push([check.status, previous?.status ?? null]));

    await waitFor("serving", () => changes.length === 1);
    expect(watcher.last?.status).toBe("serving");
    expect(watcher.calls).toBe(1);
    // Ten looks at an open port: no call, and the answer stands with the time it came.
    const answered = watcher.last!;
    await Bun.sleep(1_000);
    expect(watcher.calls).toBe(1);
    expect(watcher.last).toBe(answered);

    await first.stop();
    await waitFor("unreachable", () => changes.length === 2);
    expect(watcher.calls).toBe(1);

    await devDaemon({ port: first.port });
    await waitFor("serving again", () => changes.length === 3);
    expect(watcher.calls).toBe(2);
    expect(changes).toEqual([
      ["serving", null],
      ["unreachable", "serving"],
      ["serving", "unreachable"],
    ]);
  });

  test("the call is made again once the last answer is older than confirmEveryMs: a daemon that stops serving on an open port is seen", async () => {
    const daemon = await devDaemon();
    const health = checker();
    const watcher = new DaemonWatcher(daemon.endpoint, health.checkOnce(daemon.endpoint), { intervalMs: 50, confirmEveryMs: 400 });
    cleanups.push(() => watcher.stop());
    const statuses: DaemonCheck["status"][] = [];
    watcher.start((check) => statuses.push(check.status));
    await waitFor("serving", () => statuses.length === 1);
    daemon.setServing(false);
    await waitFor("not-serving", () => statuses.length === 2);
    expect(statuses).toEqual(["serving", "not-serving"]);
  });

  test("a not-serving answer does not stand: the daemon is asked at each look until it serves", async () => {
    const daemon = await devDaemon({ serving: false });
    const health = checker();
    const watcher = new DaemonWatcher(daemon.endpoint, health.checkOnce(daemon.endpoint), { intervalMs: 50 });
    cleanups.push(() => watcher.stop());
    const statuses: DaemonCheck["status"][] = [];
    watcher.start((check) => statuses.push(check.status));
    await waitFor("not-serving", () => statuses.length === 1);
    daemon.setServing(true);
    await waitFor("serving, long before the 5-minute confirmation", () => statuses.length === 2, 10_000);
    expect(statuses).toEqual(["not-serving", "serving"]);
  });

  test("after stop, no more looks and no more reports", async () => {
    const daemon = await devDaemon();
    const health = checker();
    const watcher = new DaemonWatcher(daemon.endpoint, health.checkOnce(daemon.endpoint), { intervalMs: 20, confirmEveryMs: 0 });
    let reports = 0;
    watcher.start(() => reports++);
    await waitFor("the first report", () => reports === 1);
    watcher.stop();
    const lastBeforeStop = watcher.last;
    const calls = watcher.calls;
    daemon.setServing(false);
    await Bun.sleep(400);
    expect(reports).toBe(1);
    expect(watcher.last).toBe(lastBeforeStop);
    expect(watcher.calls).toBe(calls);
  });

  test("stop cancels a call under way, whose outcome is then dropped", async () => {
    const endpoint = await silentServer();
    const health = checker();
    const watcher = new DaemonWatcher(endpoint, health.checkOnce(endpoint), { deadlineMs: 60_000 });
    const reports: DaemonCheck[] = [];
    watcher.start((check) => reports.push(check));
    await Bun.sleep(300);
    watcher.stop();
    await Bun.sleep(300);
    expect(reports).toEqual([]);
    expect(watcher.last).toBeNull();
  });

  test("starting twice is an error", () => {
    const watcher = new DaemonWatcher("127.0.0.1:1", async () => {
      throw new Error("not called");
    });
    cleanups.push(() => watcher.stop());
    watcher.start(() => {});
    expect(() => watcher.start(() => {})).toThrow(/already watching/);
  });
});
