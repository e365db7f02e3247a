import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { parsePolicyYaml } from "/work/main/src/gate/policy.ts";
const text = readFileSync("/tmp/gb/p100.yaml", "utf8");
for (let i = 0; i < 8; i++) {
  let t0 = performance.now(); parseDocument(text, { uniqueKeys: true }); const a = performance.now() - t0;
  t0 = performance.now(); parsePolicyYaml(text, "p"); const b = performance.now() - t0;
  console.log(i, a.toFixed(1), b.toFixed(1));
}
