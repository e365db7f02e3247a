import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { generateSigningKey, verifyKeyFor } from "../../src/contract/signing.ts";
import { prettyJson, signTrace } from "../../src/gate/trace.ts";
import type { TraceRecord } from "../../src/gate/wire.ts";
import {
  exitCodeFor,
  parseReferenceLine,
  runWrapper,
  type WrapperMode,
  type WrapperRequest,
} from "../../src/wrapper/index.ts";
import { tempDir } from "../helpers/cli.ts";

const counts = (over: Partial<Record<"allow" | "block" | "dry_run" | "require_approval", number>> = {}) => ({
  allow: 0,
  block: 0,
  dry_run: 0,
  require_approval: 0,
  ...over,
});

/** A complete v1 trace record (signatures cover the record as the reference reads it). */
const trace = (verdict: string, id = verdict): TraceRecord =>
  ({
    schema_id: "gait.gate.trace",
    schema_version: "1.0.0",
    created_at: "2026-02-05T00:00:00Z",
    observed_at: "2026-02-05T00:00:01Z",
    producer_version: "0.0.0-test",
    trace_id: id,
    tool_name: "tool.write",
    args_digest: "2".repeat(64),
    intent_digest: "1".repeat(64),
    policy_digest: "3".repeat(64),
    verdict,
  }) as TraceRecord;

describe("wrapper contract (pure parts)", () => {
  it("reads trace_path= and runpack_path= lines only", () => {
    assert.deepEqual(parseReferenceLine("trace_path=gait-out/t.json"), {
      kind: "trace",
      path: "gait-out/t.json",
    });
    assert.deepEqual(parseReferenceLine("  runpack_path=/abs/r.zip  "), {
      kind: "runpack",
      path: "/abs/r.zip",
    });
    assert.equal(parseReferenceLine("trace=gait-out/t.json"), undefined);
    assert.equal(parseReferenceLine("my trace_path=x"), undefined);
    assert.equal(parseReferenceLine("trace_path="), undefined);
  });

  it("maps verdicts to exit codes per mode", () => {
    const table: Array<[WrapperMode, number, ReturnType<typeof counts>, number]> = [
      ["enforce", 0, counts({ allow: 2 }), 0],
      ["enforce", 0, counts({ allow: 1, block: 1 }), 3],
      ["enforce", 7, counts({ block: 1 }), 3],
      ["enforce", 0, counts({ require_approval: 1 }), 4],
      ["enforce", 9, counts({ require_approval: 1 }), 9],
      ["enforce", 0, counts({ dry_run: 1 }), 0],
      ["test", 5, counts({ block: 1 }), 5],
      ["trace", 0, counts({ block: 1, require_approval: 1 }), 0],
      ["trace", -1, counts(), 1],
    ];
    for (const [mode, child, verdicts, expected] of table) {
      assert.equal(
        exitCodeFor(mode, child, verdicts),
        expected,
        `${mode} child=${child} ${JSON.stringify(verdicts)}`,
      );
    }
  });
});

describe("runWrapper (child processes)", () => {
  let dir: string;
  let cleanup: () => void;
  const key = generateSigningKey();
  before(() => {
    ({ dir, cleanup } = tempDir());
    writeFileSync(join(dir, "allow.json"), prettyJson(signTrace(trace("allow"), key)));
    writeFileSync(join(dir, "block.json"), prettyJson(signTrace(trace("block"), key)));
    writeFileSync(join(dir, "unsigned.json"), prettyJson(trace("allow", "u")));
    writeFileSync(join(dir, "not-trace.json"), JSON.stringify({ schema_id: "gait.runpack.manifest" }));
  });
  after(() => cleanup());

  /** A node child that prints `lines` (stdout, or stderr for lines starting with "!") and exits with `code`. */
  const script = (lines: string[], code = 0, extra = "") => {
    const body = lines
      .map((l) =>
        l.startsWith("!")
          ? `console.error(${JSON.stringify(l.slice(1))});`
          : `console.log(${JSON.stringify(l)});`,
      )
      .join("\n");
    return ["node", "-e", `${body}\n${extra}\nprocess.exitCode = ${code};`];
  };
  const run = (mode: WrapperMode, command: string[], over: Partial<WrapperRequest> = {}) =>
    runWrapper({ mode, command, cwd: dir, env: process.env, timeoutMs: 20_000, ...over });

  it("collects references from stdout and stderr, counts verdicts, passes GAIT_WRAPPER_MODE", async () => {
    const lines = [
      "trace_path=allow.json",
      "!trace_path=block.json",
      "trace_path=allow.json",
      "runpack_path=r.zip",
    ];
    const result = await run(
      "trace",
      script(lines, 0, 'console.log("mode=" + process.env.GAIT_WRAPPER_MODE);'),
    );
    assert.equal(result.exit_code, 0);
    assert.equal(result.failure_reason, undefined);
    assert.deepEqual(result.trace_paths, ["allow.json", "block.json"]);
    assert.deepEqual(result.runpack_paths, ["r.zip"]);
    assert.deepEqual(result.verdict_counts, counts({ allow: 1, block: 1 }));
    assert.match(result.stdout, /mode=trace/);
    assert.match(result.stderr, /trace_path=block\.json/);
    assert.equal(result.boundary_contract, "explicit_trace_reference");
  });

  it("enforce: a block exits 3 even when the child succeeded; test keeps the child's code", async () => {
    const command = script(["trace_path=allow.json", "trace_path=block.json"], 0);
    assert.equal((await run("enforce", command)).exit_code, 3);
    const failing = script(["trace_path=allow.json", "trace_path=block.json"], 5);
    assert.equal((await run("test", failing)).exit_code, 5);
    assert.equal((await run("test", failing)).child_exit_code, 5);
  });

  it("no trace reference is missing_trace_reference (exit 6)", async () => {
    const result = await run("test", script(["hello"]));
    assert.equal(result.failure_reason, "missing_trace_reference");
    assert.equal(result.exit_code, 6);
    assert.match(result.error ?? "", /trace_path=<file>/);
  });

  it("an invalid trace fails enforce (exit 3) and only warns in test and trace modes", async () => {
    const command = script(["trace_path=not-trace.json", "trace_path=missing.json", "trace_path=allow.json"]);
    const enforced = await run("enforce", command);
    assert.equal(enforced.failure_reason, "invalid_trace_artifact");
    assert.equal(enforced.exit_code, 3);
    const tested = await run("test", command);
    assert.equal(tested.exit_code, 0);
    assert.equal(tested.warnings.length, 2);
    assert.match(tested.warnings[0]!, /not-trace\.json: schema_id is not gait\.gate\.trace/);
    assert.match(tested.warnings[1]!, /missing\.json/);
    assert.deepEqual(tested.verdict_counts, counts({ allow: 1 }));
  });

  it("verifies signatures when given a key", async () => {
    const verifyKey = verifyKeyFor(key);
    const good = await run("enforce", script(["trace_path=allow.json"]), { verifyKey });
    assert.equal(good.exit_code, 0);
    const unsigned = await run("enforce", script(["trace_path=unsigned.json"]), { verifyKey });
    assert.equal(unsigned.failure_reason, "invalid_trace_artifact");
    assert.match(unsigned.error ?? "", /signature missing/);
    const other = await run("enforce", script(["trace_path=allow.json"]), {
      verifyKey: verifyKeyFor(generateSigningKey()),
    });
    assert.equal(other.exit_code, 3);
  });

  it("times out (exit 1) and reports a child that cannot start (exit 1)", async () => {
    const slow = await run("test", ["node", "-e", "setTimeout(() => {}, 30000)"], { timeoutMs: 200 });
    assert.equal(slow.failure_reason, "child_timed_out");
    assert.equal(slow.timed_out, true);
    assert.equal(slow.exit_code, 1);
    const missing = await run("test", ["gait-no-such-binary-xyz"]);
    assert.equal(missing.failure_reason, "child_start_failed");
    assert.equal(missing.exit_code, 1);
  });

  it("caps captured output but still sees references printed after the cap", async () => {
    const extra = `process.stdout.write("x".repeat(5000) + "\\n"); console.log("trace_path=block.json");`;
    const result = await run("enforce", script(["trace_path=allow.json"], 0, extra), {
      outputCapBytes: 1000,
    });
    assert.equal(Buffer.byteLength(result.stdout), 1000);
    assert.match(result.warnings[0]!, /truncated/);
    assert.deepEqual(result.trace_paths, ["allow.json", "block.json"]);
    assert.equal(result.exit_code, 3);
  });

  it("hands every chunk to the live callbacks, past the cap, each stream to its own", async () => {
    const live = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    const extra = `process.stdout.write("y".repeat(5000) + "\\n"); console.error("err line");`;
    const result = await run("test", script(["trace_path=allow.json"], 0, extra), {
      outputCapBytes: 1000,
      onStdout: (chunk) => live.stdout.push(chunk),
      onStderr: (chunk) => live.stderr.push(chunk),
    });
    assert.equal(Buffer.byteLength(result.stdout), 1000);
    assert.equal(Buffer.concat(live.stdout).toString(), `trace_path=allow.json\n${"y".repeat(5000)}\n`);
    assert.equal(Buffer.concat(live.stderr).toString(), "err line\n");
    assert.equal(result.stderr, "err line\n");
  });
});
