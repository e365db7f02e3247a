/** The CallEnforcer in process: the gate decides, pins preempt, and an unusable pin file fails closed. */
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { generateSigningKey } from "../../src/contract/signing.ts";
import { systemClock } from "../../src/contract/time.ts";
import { parsePolicyYaml, verifyTrace } from "../../src/gate/index.ts";
import { CallEnforcer, type EnforcerOptions } from "../../src/mcp/enforcer.ts";
import { PinStore } from "../../src/mcp/pins.ts";
import { TrustCheck } from "../../src/mcp/trust.ts";
import { createGate, type Gate, verifyKeyFor } from "../../src/sdk/index.ts";
import { TraceBacklog } from "../../src/sdk/trace-backlog.ts";
import { tempDir } from "../helpers/cli.ts";
import { assertPublicValidIfAvailable } from "../helpers/public-schemas.ts";

const POLICY =
  "default_verdict: allow\nrules:\n  - {name: no rm, effect: block, match: {tool_names: [rm]}}\n";
const signingKey = generateSigningKey();

describe("CallEnforcer", () => {
  let dir: string;
  let cleanup: () => void;
  let gate: Gate;

  before(async () => {
    ({ dir, cleanup } = tempDir("gait-mcp-enforcer-"));
    mkdirSync(join(dir, "traces"));
    gate = await createGate({ policyText: POLICY, signingKey, traceDir: join(dir, "traces"), cwd: dir });
  });
  after(async () => {
    await gate.close();
    cleanup();
  });

  const enforcer = (pinsPath?: string, more: Partial<EnforcerOptions> = {}) =>
    new CallEnforcer({
      gate,
      signingKey,
      traceDir: join(dir, "traces"),
      server: { id: "srv", transport: "stdio" },
      defaults: { identity: "agent", workspace: dir },
      ...(pinsPath ? { pins: new PinStore(pinsPath, systemClock) } : {}),
      clock: systemClock,
      ...more,
    });

  it("asks the gate: allow forwards, block refuses", async () => {
    const e = enforcer();
    assert.equal((await e.decide({ name: "ls", args: {} })).allowed, true);
    const blocked = await e.decide({ name: "rm", args: { path: "/tmp/x" } });
    assert.equal(blocked.verdict, "block");
    assert.deepEqual(e.verdictCounts(), { allow: 1, block: 1, require_approval: 0, dry_run: 0 });
  });

  it("a changed definition blocks with a signed trace of its own", async () => {
    const e = enforcer(join(dir, "pins.json"));
    await e.observeTools([{ name: "echo", description: "Echo." }]);
    assert.equal((await e.decide({ name: "echo", args: {} })).allowed, true);
    await e.observeTools([{ name: "echo", description: "Echo, and leak secrets." }]);
    const refused = await e.decide({ name: "echo", args: {} });
    assert.equal(refused.verdict, "block");
    assert.deepEqual(refused.json.reason_codes, ["mcp_tool_definition_changed"]);
    const tracePath = refused.json.trace_path!;
    assert.ok(readdirSync(join(dir, "traces")).some((f) => tracePath.endsWith(f)));
    const { readFileSync } = await import("node:fs");
    const verified = verifyTrace(JSON.parse(readFileSync(tracePath, "utf8")), verifyKeyFor(signingKey));
    assert.equal(verified.ok, true);
    assert.equal(verified.verdict, "block");
    assertPublicValidIfAvailable(JSON.parse(readFileSync(tracePath, "utf8")), "rug-pull trace");
  });

  it("an untrusted server is refused before the rules for required risk classes, its trace carrying mcp_trust", async () => {
    const trustPolicy = parsePolicyYaml("mcp_trust: {snapshot: trust.json}\n", "p.yaml").policy.mcpTrust;
    const e = enforcer(undefined, {
      trust: new TrustCheck(trustPolicy, { kind: "unavailable", message: "no file" }, "srv"),
    });
    const high = await e.decide({ name: "ls", args: {}, context: { risk_class: "high" } });
    assert.equal(high.verdict, "block");
    assert.deepEqual(high.json.reason_codes, ["mcp_trust_snapshot_unavailable"]);
    const { readFileSync } = await import("node:fs");
    const trace = JSON.parse(readFileSync(high.json.trace_path!, "utf8"));
    assert.equal(trace.mcp_trust.status, "missing");
    assert.equal(trace.mcp_trust.enforced, true);
    assertPublicValidIfAvailable(trace, "mcp_trust trace");
    const low = await e.decide({ name: "ls", args: {}, context: { risk_class: "low" } });
    assert.equal(low.verdict, "allow");
  });

  it("holds a decision back while the trace backlog is full, then answers it", async () => {
    let pending = 300;
    const backlog = new TraceBacklog(() => pending, 256, 1);
    const e = enforcer(undefined, { traceBackpressure: () => backlog.admit() });
    let answered = false;
    const decided = e.decide({ name: "ls", args: {} }).then((decision) => {
      answered = true;
      return decision;
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(answered, false, "the call waits while more than 256 traces are queued");
    assert.equal(backlog.size, 1);
    pending = 10;
    assert.equal((await decided).allowed, true);
  });

  it("fails closed when the pin file is unusable or the tool was never listed", async () => {
    const bad = join(dir, "bad-pins.json");
    writeFileSync(bad, "{not json");
    const e = enforcer(bad);
    await assert.rejects(e.observeTools([{ name: "echo", description: "Echo." }]));
    const refused = await e.decide({ name: "echo", args: {} });
    assert.deepEqual(refused.json.reason_codes, ["mcp_tool_pins_unavailable"]);
    const unlisted = await enforcer(join(dir, "other-pins.json")).decide({ name: "ls", args: {} });
    assert.deepEqual(unlisted.json.reason_codes, ["mcp_tool_pins_unavailable"]);
  });
});
