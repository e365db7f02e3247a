import { createGate, guardTool, isToolRefused, verifyTrace } from "../src/sdk/index.ts";
import { readFileSync } from "node:fs";
const gate = await createGate({ policy: "templates/policy/baseline-mediumrisk.yaml", traceDir: "/tmp/gb/traces", onWarning: (m) => console.log("warn:", m) });
const intent = JSON.parse(readFileSync("examples/policy/intents/write.json", "utf8"));
const d = gate.evaluate(intent);
console.log(d.verdict, d.reasonCodes, d.traceId, d.tracePath, d.approvalRequest?.command);
const del = gate.evaluate(JSON.parse(readFileSync("examples/policy/intents/delete.json", "utf8")));
console.log(del.verdict, del.reasonCodes);
const bad = gate.evaluate({ tool_name: "x" } as never);
console.log(bad);
const write = guardTool(async (path: string, content: string) => `wrote ${content.length} to ${path}`, (path, content) => ({ tool_name: "tool.write", args: { path, content }, targets: [{ kind: "path", value: path, operation: "write" }], context: { identity: "a", workspace: "/w", risk_class: "low" } }), { gate });
try { await write("/w/x", "hi"); } catch (e) { console.log(isToolRefused(e), (e as Error).message); console.log(JSON.stringify(e)); }
console.log(await gate.flush());
const t = JSON.parse(readFileSync(d.tracePath!, "utf8"));
console.log(verifyTrace(t, gate.verifyKey));
