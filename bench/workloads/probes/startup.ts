// Probes, start-up: where `stigmer --version`'s start-up goes. The wall time, spawn to exit, of a hello-world
// compiled three ways: bare `bun build --compile` (the floor, as in the main run's start-up row); with build.ts's
// settings (minify, bytecode, no .env or bunfig.toml read at start); and the same with stigmer's commands
// (src/cli/run.ts, bundled with build.ts's keyring plugin) behind a dynamic import on a path never taken, so that
// their bytecode is in the program's one module but never runs. Beside them `stigmer --version` itself, when the
// binary is there; and what `local start`'s daemon check costs before its first byte goes out: the hello that loads
// node:http2 first, and the one that loads @grpc/grpc-js (the project's gRPC client, which loads node:http2). That
// is the part of start → the runner's first statement that the 2× target cannot absorb (bench/RESULTS.md); and the
// hello printed only once a grpc-js Health/Check of the serving dev daemon has answered SERVING (load, channel, call):
// the least a program that checks the daemon with grpc-js before it spawns anything takes, as `local start` must.
// 30 runs each (10 with --quick), the order rotated, after one untimed run each. No target.
import { existsSync } from "node:fs";
import path from "node:path";
import { keyringAddonPath, keyringAddonPlugin } from "../../../build/keyring-addon.ts";
import { hostTarget } from "../../../build/targets.ts";
import { compileProgram } from "../../harness/contenders/compile.ts";
import { ROOT } from "../../harness/contenders/fixtures.ts";
import { formatMs, formatRange, markdownTable } from "../../harness/report/format.ts";
import { freshDir, timedRunPrinting } from "../../harness/processes/processes.ts";
import { cleanEnv, stigmerBinary } from "../../harness/contenders/setup.ts";
import { alternate, summarize } from "../../harness/report/stats.ts";

const RUNS = { full: 30, quick: 10 };
const HELLO = 'console.log("hello");\n';
/** The hello, once `specifier` is loaded; in a function, since bytecode builds take no top-level await. */
const loadingFirst = (specifier: string) => `(async () => {\n  await import(${specifier});\n  ${HELLO}})();\n`;

/** The size of stigmer's commands as one minified bundle: what the third program carries unused. */
async function commandsBundleBytes(entry: string, plugin: ReturnType<typeof keyringAddonPlugin>): Promise<number> {
  const result = await Bun.build({ entrypoints: [entry], target: "bun", minify: true, plugins: [plugin] });
  if (!result.success) throw new Error(`${entry} did not bundle:\n${result.logs.join("\n")}`);
  return result.outputs.filter((output) => output.kind === "entry-point").reduce((sum, output) => sum + output.size, 0);
}

/** The hello, printed once one grpc.health.v1 Health/Check of `endpoint` answers SERVING (the bytes 08 01); else exit 1. */
function afterHealthCheck(grpcModule: string, endpoint: string): string {
  return `(async () => {
  const grpc = await import(${grpcModule});
  const client = new grpc.Client(${JSON.stringify(endpoint)}, grpc.credentials.createInsecure());
  client.makeUnaryRequest("/grpc.health.v1.Health/Check", () => Buffer.alloc(0), (bytes) => bytes, {}, { deadline: Date.now() + 2000 }, (error, response) => {
    if (error || !response || !Buffer.from([8, 1]).equals(response)) process.exit(1);
    client.close();
    ${HELLO}  });
})();
`;
}

export async function probeStartUp(quick: boolean, daemonEndpoint: string): Promise<string> {
  const dir = freshDir("probes-startup");
  const commands = path.join(ROOT, "src", "cli", "run.ts");
  const plugin = keyringAddonPlugin(keyringAddonPath(hostTarget()));
  const bundleKb = Math.round((await commandsBundleBytes(commands, plugin)) / 1000);
  // In a function, so that nothing is awaited at the top level; argv never has 100 entries here.
  const unusedImport = `async function never() { await import(${JSON.stringify(commands)}); }\nif (process.argv.length > 100) void never();\n`;
  const grpcModule = JSON.stringify(path.join(ROOT, "node_modules", "@grpc", "grpc-js"));
  const programs = [
    { name: "hello, bare `bun build --compile` (floor)", binary: await compileProgram(dir, "hello-bare", HELLO, "bare"), expect: "hello" },
    { name: "hello, build.ts's settings (minify, bytecode, no .env / bunfig)", binary: await compileProgram(dir, "hello-stigmer", HELLO, "stigmer"), expect: "hello" },
    {
      name: `the same + stigmer's commands (src/cli/run.ts, ${bundleKb} KB minified) imported on a path never taken`,
      binary: await compileProgram(dir, "hello-unused-commands", `${unusedImport}${HELLO}`, "stigmer", [plugin]),
      expect: "hello",
    },
    {
      name: "hello, build.ts's settings, loading node:http2 first",
      binary: await compileProgram(dir, "hello-http2", loadingFirst('"node:http2"'), "stigmer"),
      expect: "hello",
    },
    {
      name: "hello, build.ts's settings, loading @grpc/grpc-js first",
      binary: await compileProgram(dir, "hello-grpc", loadingFirst(grpcModule), "stigmer"),
      expect: "hello",
    },
    {
      name: `hello, build.ts's settings, once a grpc-js Health/Check of the serving dev daemon (${daemonEndpoint}) has answered`,
      binary: await compileProgram(dir, "hello-after-check", afterHealthCheck(grpcModule, daemonEndpoint), "stigmer"),
      expect: "hello",
    },
  ];
  const stigmer = stigmerBinary();
  const shownPath = path.relative(ROOT, stigmer).startsWith("..") ? stigmer : path.relative(ROOT, stigmer);
  if (existsSync(stigmer)) programs.push({ name: `\`stigmer --version\` (${shownPath})`, binary: stigmer, expect: "stigmer " });
  const env = cleanEnv();
  const times = await alternate(
    programs.map((program) => () => timedRunPrinting(program.binary, program.binary === stigmer ? ["--version"] : [], env, program.expect)),
    quick ? RUNS.quick : RUNS.full,
  );
  const floor = summarize(times[0]!).median;
  const rows = programs.map((program, index) => {
    const summary = summarize(times[index]!);
    const delta = summary.median - floor;
    const versus = index === 0 ? "floor" : `${delta >= 0 ? "+" : "−"}${formatMs(Math.abs(delta))}`;
    return [program.name, formatMs(summary.median), formatRange(summary, formatMs), `${summary.count}`, versus];
  });
  return markdownTable(["program (compiled; spawn to exit)", "median", "min – max", "runs", "vs floor"], rows);
}
