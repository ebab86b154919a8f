import { defineCommand } from "../cli/command.ts";
import { VERSION } from "../version.ts";

export const rootCommand = defineCommand({
  meta: {
    name: "stigmer",
    version: VERSION,
    description: "Run Stigmer's local mode: supervise the Agent Runner with your LLM key.",
  },
  args: {
    debug: { type: "boolean", description: "Show stack traces on errors (or STIGMER_DEBUG=1)" },
  },
  subCommands: {
    local: () => import("./local.ts").then((module) => module.default),
    secrets: () => import("./secrets.ts").then((module) => module.default),
    doctor: () => import("./doctor.ts").then((module) => module.default),
    config: () => import("./config.ts").then((module) => module.default),
    completion: () => import("./completion.ts").then((module) => module.default),
    complete: () => import("./complete.ts").then((module) => module.default),
    version: () => import("./version.ts").then((module) => module.default),
  },
});
