/** `gait demo`: record and verify a deterministic three-tool-call runpack, offline and without keys. */
import { performance } from "node:perf_hooks";
import { runDemo } from "../../runpack/index.ts";
import { command } from "../command.ts";

export const demoCommand = command({
  name: "demo",
  explain:
    "Record a deterministic demo run (run_demo) into ./gait-out, verify it and print its ticket footer.",
  examples: ["gait demo", "gait verify run_demo"],
  run: async (_args, _options, ctx) => {
    const started = performance.now();
    const demo = await runDemo(ctx);
    return {
      output: { ...demo, duration_ms: Math.round(performance.now() - started) },
      human: [
        `run_id=${demo.run_id}`,
        `bundle=${demo.bundle}`,
        `verify=${demo.verify}`,
        demo.ticket_footer,
        "next:",
        ...demo.next_commands.map((c) => `  ${c}`),
      ],
    };
  },
});
