/** PolicySource keeps a bounded set of Gates across many reloads, and its trace counts add up. */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fixedClock } from "../../src/contract/time.ts";
import type { Gate, LoadedPolicy } from "../../src/sdk/index.ts";
import { PolicySource } from "../../src/sidecar/index.ts";
import { tempDir } from "../helpers/cli.ts";

/** A Gate stand-in that counts one written trace and closes on demand. */
function fakeGate(loaded: LoadedPolicy): Gate {
  const stats = { written: 1, failed: 0, pending: 0 };
  return {
    policyDigest: loaded.policyDigest,
    traceStats: () => stats,
    close: async () => stats,
  } as unknown as Gate;
}

describe("PolicySource", () => {
  it("holds at most 16 policy versions' Gates however often the policy changes", async () => {
    const { dir, cleanup } = tempDir();
    const path = join(dir, "policy.yaml");
    const policy = (n: number) =>
      `default_verdict: block\nrules:\n  - name: r${n}\n    effect: allow\n    match: { tool_names: [t${n}] }\n`;
    writeFileSync(path, policy(0));
    const source = await PolicySource.open({
      path,
      display: "policy.yaml",
      makeGate: async (loaded) => fakeGate(loaded),
      clock: fixedClock("2026-03-01T12:00:00Z"),
      log: () => {},
      pollMs: 60_000,
    });
    try {
      for (let n = 1; n <= 60; n++) {
        writeFileSync(path, policy(n));
        await source.reload();
      }
      await new Promise((resolve) => setImmediate(resolve));
      assert.ok(source.gates().length <= 16, `${source.gates().length} Gates kept`);
      assert.equal(source.traceCounts().written, 61, "the evicted Gates' traces still count");
    } finally {
      await source.close();
      cleanup();
    }
  });
});
