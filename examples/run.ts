/**
 * `npm run example -- <ai-sdk|openai-agents|langchain|mcp>`: runs that adapter example from the
 * repository root (its fake model asks for an allowed and a blocked tool call), prints what the
 * gate decided, leaves the runpack in gait-out/, and turns it into a regress fixture
 * (gait-out/regress-<framework>/), as `gait regress bootstrap --from <runpack>` does.
 */
import { join, relative } from "node:path";
import { bootstrapRegress } from "../src/regress/index.ts";
import { type ExampleOptions, type ExampleReport, printReport } from "./adapter-workspace.ts";

const EXAMPLES: Record<
  string,
  () => Promise<{ runExample(options?: ExampleOptions): Promise<ExampleReport> }>
> = {
  "ai-sdk": () => import("./ai-sdk/agent.ts"),
  "openai-agents": () => import("./openai-agents/agent.ts"),
  langchain: () => import("./langchain/agent.ts"),
  mcp: () => import("./mcp/agent.ts"),
};

const framework = process.argv[2] ?? "";
const load = EXAMPLES[framework];
if (!load) {
  console.error(`usage: npm run example -- <${Object.keys(EXAMPLES).join("|")}>`);
  process.exit(6);
}
const cwd = process.cwd();
const report = await (await load()).runExample({ cwd });
printReport(report, cwd);

const config = join("gait-out", `regress-${framework}`, "gait.yaml");
const { run } = await bootstrapRegress({
  from: report.runpack.path,
  config,
  output: join("gait-out", `regress-${framework}`, "regress_result.json"),
  cwd,
  env: process.env,
});
console.log(`  regress fixture: ${relative(cwd, run.configPath)} -> ${run.result.status}`);
console.log(`  in CI: gait regress run --config ${config}  (exit 5 once a run drifts from this one)`);
if (run.result.status !== "pass") process.exit(5);
