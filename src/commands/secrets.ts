import { defineCommand } from "../cli/command.ts";

export default defineCommand({
  meta: { name: "secrets", description: "Store LLM API keys in the system keyring (never in a file)" },
  subCommands: {
    set: () => import("./secrets/set.ts").then((module) => module.default),
    get: () => import("./secrets/get.ts").then((module) => module.default),
    delete: () => import("./secrets/delete.ts").then((module) => module.default),
    list: () => import("./secrets/list.ts").then((module) => module.default),
  },
});
