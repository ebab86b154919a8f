import { defineCommand } from "../cli/command.ts";

export default defineCommand({
  meta: { name: "local", description: "Run and manage Stigmer's local mode" },
  subCommands: {
    start: () => import("./local/start.ts").then((module) => module.default),
    stop: () => import("./local/stop.ts").then((module) => module.default),
    restart: () => import("./local/restart.ts").then((module) => module.default),
    status: () => import("./local/status.ts").then((module) => module.default),
    logs: () => import("./local/logs.ts").then((module) => module.default),
    "install-service": () => import("./local/install-service.ts").then((module) => module.default),
    "uninstall-service": () => import("./local/uninstall-service.ts").then((module) => module.default),
    "__health-checks": () => import("./local/health-checks.ts").then((module) => module.default),
  },
});
