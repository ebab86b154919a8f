import { defineCommand } from "citty";

export default defineCommand({
  meta: { name: "local", description: "Run and manage Stigmer's local mode" },
  subCommands: {
    start: () => import("./local/start.ts").then((module) => module.default),
  },
});
