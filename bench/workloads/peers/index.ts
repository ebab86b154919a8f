// `bun bench/run.ts --peers [--quick]` (issue 9): the same Python workloads under pm2, supervisord, stigmer and a
// bash `while` loop (the floor), alternated within one run; one table, a column per contender. See bench/README.md.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "../../harness/contenders/fixtures.ts";
import { formatMs } from "../../harness/report/format.ts";
import { allContenders, hasSupervisord, PM2_BIN } from "../../harness/contenders/peers.ts";
import type { Setup } from "../../harness/contenders/setup.ts";
import { benchCrashLoop } from "./crash-loop.ts";
import { benchLogFlood } from "./flood.ts";
import { benchIdleAndStatus } from "./idle-and-status.ts";
import { renderPeers, type PeerResult } from "./result.ts";
import { benchSigkill } from "./sigkill.ts";
import { benchStubbornStop } from "./stubborn-stop.ts";

function firstLineOf(command: string, args: string[], env: Record<string, string>): string {
  const result = spawnSync(command, args, { env, encoding: "utf8" });
  return `${result.stdout ?? ""}${result.stderr ?? ""}`.trim().split("\n")[0] ?? "?";
}

export async function runPeers(setup: Setup, quick: boolean): Promise<void> {
  if (!existsSync(PM2_BIN)) throw new Error("pm2 is missing: npm install (it is a dev dependency).");
  if (!hasSupervisord()) throw new Error("supervisord is missing: apt-get install supervisor.");
  const pm2Version = JSON.parse(readFileSync(path.join(ROOT, "node_modules", "pm2", "package.json"), "utf8")).version as string;
  const env = setup.baseEnv;
  console.log(
    `peers (${quick ? "--quick" : "full"}): pm2 ${pm2Version} (node ${firstLineOf("node", ["--version"], env)}), ` +
      `supervisord ${firstLineOf("supervisord", ["--version"], env)}, ${firstLineOf(setup.python, ["--version"], env)}, stigmer ${firstLineOf(setup.stigmer, ["--version"], env)}`,
  );
  const list = allContenders(setup);
  const began = performance.now();
  const results: PeerResult[] = [];
  const step = async (name: string, run: () => Promise<PeerResult[]>) => {
    const stepBegan = performance.now();
    results.push(...(await run()));
    console.log(`  ${name}: ${formatMs(performance.now() - stepBegan)}`);
  };
  await step("idle + CLI latency", () => benchIdleAndStatus(quick, list));
  await step("SIGKILL", () => benchSigkill(list));
  await step("crash loop", () => benchCrashLoop(quick, list));
  await step("stubborn stop", () => benchStubbornStop(quick, list));
  await step("log flood", () => benchLogFlood(quick, list));
  console.log();
  console.log(renderPeers(results, list.map((contender) => contender.name)));
  console.log();
  console.log(`Peers finished in ${formatMs(performance.now() - began)}.`);
}
