/**
 * `gait doctor --production-readiness` and `gait gate eval --profile oss-prod` share one rule: for
 * each project setup, doctor fails (exit 2) exactly when gate eval refuses (exit 6).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runGait, tempDir } from "../helpers/cli.ts";

const intent = JSON.stringify({
  tool_name: "tool.read",
  args: {},
  targets: [{ kind: "path", value: "/w/a", operation: "read" }],
  context: { identity: "a", workspace: "/w", risk_class: "low" },
});

const setups: Array<{ name: string; keyMode: string; defaultVerdict: string }> = [
  { name: "dev key, block default", keyMode: "dev", defaultVerdict: "block" },
  { name: "prod key, allow default", keyMode: "prod", defaultVerdict: "allow" },
  { name: "prod key, block default", keyMode: "prod", defaultVerdict: "block" },
  { name: "dev key, allow default", keyMode: "dev", defaultVerdict: "allow" },
];

describe("doctor --production-readiness fails exactly when gate eval under oss-prod refuses", () => {
  for (const setup of setups) {
    it(setup.name, async () => {
      const { dir, cleanup } = tempDir("gait-doctor-parity-");
      try {
        assert.equal((await runGait(["keys", "init"], { cwd: dir })).code, 0);
        assert.equal((await runGait(["init", "--profile", "oss-prod"], { cwd: dir })).code, 0);
        writeFileSync(
          join(dir, ".gait/config.yaml"),
          `gate:\n  policy: .gait.yaml\n  profile: oss-prod\n  key_mode: ${setup.keyMode}\n${
            setup.keyMode === "prod" ? "  private_key: gait-out/keys/gait_private.key\n" : ""
          }`,
        );
        writeFileSync(
          join(dir, ".gait.yaml"),
          `default_verdict: ${setup.defaultVerdict}\nfail_closed:\n  enabled: true\nrules:\n  - name: reads\n    effect: allow\n    match: { tool_names: [tool.read] }\n`,
        );
        writeFileSync(join(dir, "i.json"), intent);
        const doctor = await runGait(["doctor", "--production-readiness", "--json"], { cwd: dir });
        const evaluated = await runGait(["gate", "eval", "--intent", "i.json", "--json"], { cwd: dir });
        const doctorFails = doctor.code === 2;
        const gateRefuses = evaluated.code === 6;
        assert.equal(doctorFails, gateRefuses, `${doctor.stdout}\n${evaluated.stdout}`);
        assert.equal(gateRefuses, setup.keyMode === "dev" || setup.defaultVerdict === "allow");
      } finally {
        cleanup();
      }
    });
  }
});
