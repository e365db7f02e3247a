/** Echo: returns its args as the result. Side-effect free; useful to try the real-replay path. */
import type { JsonObject } from "../../contract/canonical.ts";
import type { RealExecutor } from "./executor.ts";

export const echoExecutor: RealExecutor = {
  name: "echo",
  tools: ["echo", "tool.echo"],
  execute: async (args) => ({ status: "ok", result: { echo: args as JsonObject } }),
};
