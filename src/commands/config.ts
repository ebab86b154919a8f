import { defineCommand } from "../cli/command.ts";

export default defineCommand({
  meta: { name: "config", description: "Settings that stick, in $STIGMER_HOME/config.toml (flag > environment > file > default)" },
  subCommands: {
    list: () => import("./config/list.ts").then((module) => module.default),
    get: () => import("./config/get.ts").then((module) => module.default),
    set: () => import("./config/set.ts").then((module) => module.default),
    unset: () => import("./config/unset.ts").then((module) => module.default),
    path: () => import("./config/path.ts").then((module) => module.default),
  },
});
