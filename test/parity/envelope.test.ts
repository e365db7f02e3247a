/**
 * The JSON error envelope against the reference's (CONTRACTS.md §9, REFERENCE.md §1.5): for each
 * exit code, the exact line the reference prints when a command fails with nothing but an `error`
 * (every other member filled in by exit code), driven through the real writer; then our finer
 * codes (`detail_code`) on top of it; then one spawned CLI call per exit code a command produces.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { CommandOutcome } from "../../src/cli/command.ts";
import { type Streams, writeError, writeOutcome } from "../../src/cli/output.ts";
import { type ErrorCategory, errorEnvelope, GaitError } from "../../src/contract/errors.ts";
import { ExitCode } from "../../src/contract/exit.ts";
import { encodePrivateKey, encodePublicKey, generateSigningKey } from "../../src/contract/signing.ts";
import { runGait, tempDir } from "../helpers/cli.ts";

const CID = "0123456789abcdef01234567";

function capture(): Streams & { out: string; err: string } {
  const streams = {
    out: "",
    err: "",
    stdout: (text: string) => {
      streams.out += text;
    },
    stderr: (text: string) => {
      streams.err += text;
    },
  };
  return streams;
}

function outcomeLine(outcome: CommandOutcome): { line: string; exit: number } {
  const streams = capture();
  const exit = writeOutcome(outcome, { json: true, correlationId: CID, warnings: [] }, streams);
  assert.equal(streams.err, "");
  return { line: streams.out, exit };
}

function errorLine(error: unknown): { line: string; exit: number } {
  const streams = capture();
  const exit = writeError(error, { json: true, correlationId: CID, warnings: [] }, streams);
  assert.equal(streams.err, "");
  return { line: streams.out, exit };
}

/** The reference's envelope by exit code: error_code, error_category, hint (retryable is false). */
const REFERENCE: Record<number, { error_code: string; error_category: string; hint: string }> = {
  [ExitCode.internal]: {
    error_code: "internal_failure",
    error_category: "internal_failure",
    hint: "retry after checking local environment and logs",
  },
  [ExitCode.verificationFailed]: {
    error_code: "verification_failed",
    error_category: "verification_failed",
    hint: "re-run verify after checking artifact integrity",
  },
  [ExitCode.policyBlocked]: {
    error_code: "policy_blocked",
    error_category: "policy_blocked",
    hint: "inspect reason_codes and adjust policy or intent",
  },
  [ExitCode.approvalRequired]: {
    error_code: "approval_required",
    error_category: "approval_required",
    hint: "provide a valid approval token and retry",
  },
  [ExitCode.regressFailed]: {
    error_code: "regress_failed",
    error_category: "internal_failure",
    hint: "retry after checking local environment and logs",
  },
  [ExitCode.invalidInput]: {
    error_code: "invalid_input",
    error_category: "invalid_input",
    hint: "check command usage and input schema",
  },
  [ExitCode.dependencyMissing]: {
    error_code: "dependency_missing",
    error_category: "dependency_missing",
    hint: "install or configure the missing dependency and retry",
  },
  [ExitCode.unsafeOperation]: {
    error_code: "unsafe_operation",
    error_category: "internal_failure",
    hint: "pass explicit unsafe flags only for approved replay paths",
  },
};

/** The reference's line, byte for byte: keys sorted, Go-escaped, one line. */
function referenceLine(exit: number, error: string, extra: Record<string, string> = {}): string {
  const r = REFERENCE[exit]!;
  const members: Record<string, unknown> = {
    correlation_id: CID,
    ...extra,
    error,
    error_category: r.error_category,
    error_code: r.error_code,
    hint: r.hint,
    ok: false,
    retryable: false,
  };
  const sorted = Object.fromEntries(
    Object.keys(members)
      .sort()
      .map((key) => [key, members[key]]),
  );
  return `${JSON.stringify(sorted)}\n`;
}

/** The category each exit code's GaitError is raised with (ours: 5 and 8 have their own). */
const CATEGORY_BY_EXIT: Record<number, ErrorCategory> = {
  [ExitCode.internal]: "internal_failure",
  [ExitCode.verificationFailed]: "verification_failed",
  [ExitCode.policyBlocked]: "policy_blocked",
  [ExitCode.approvalRequired]: "approval_required",
  [ExitCode.regressFailed]: "regress_failed",
  [ExitCode.invalidInput]: "invalid_input",
  [ExitCode.dependencyMissing]: "dependency_missing",
  [ExitCode.unsafeOperation]: "unsafe_operation",
};

const EXITS = [2, 3, 4, 5, 6, 7, 8, 1];

describe("error envelope: the reference's literals through the real writer", () => {
  it("an outcome with only an error gets the reference's envelope for its exit, byte for byte", () => {
    for (const exit of EXITS) {
      const { line, exit: written } = outcomeLine({
        exitCode: exit,
        output: { ok: false, error: "it failed" },
      });
      assert.equal(written, exit);
      assert.equal(line, referenceLine(exit, "it failed"), `exit ${exit}`);
    }
  });

  it("spot checks of the table itself (CONTRACTS.md §9)", () => {
    assert.equal(
      referenceLine(6, "x"),
      '{"correlation_id":"0123456789abcdef01234567","error":"x","error_category":"invalid_input","error_code":"invalid_input","hint":"check command usage and input schema","ok":false,"retryable":false}\n',
    );
    assert.equal(
      referenceLine(8, "x"),
      '{"correlation_id":"0123456789abcdef01234567","error":"x","error_category":"internal_failure","error_code":"unsafe_operation","hint":"pass explicit unsafe flags only for approved replay paths","ok":false,"retryable":false}\n',
    );
    assert.equal(
      referenceLine(5, "x"),
      '{"correlation_id":"0123456789abcdef01234567","error":"x","error_category":"internal_failure","error_code":"regress_failed","hint":"retry after checking local environment and logs","ok":false,"retryable":false}\n',
    );
  });

  it("a thrown error whose code is its exit's code is exactly the reference's envelope (no detail_code)", () => {
    for (const exit of EXITS) {
      const error = new GaitError(CATEGORY_BY_EXIT[exit]!, REFERENCE[exit]!.error_code, "it failed");
      const { line, exit: written } = errorLine(error);
      assert.equal(written, exit);
      assert.equal(line, referenceLine(exit, "it failed"), `exit ${exit}`);
    }
  });

  it("a thrown error with a finer code adds detail_code; error_code is the exit's for 6, 5 and 8, the fine code otherwise", () => {
    for (const exit of EXITS) {
      const error = new GaitError(CATEGORY_BY_EXIT[exit]!, "some_fine_code", "it failed");
      const { line, exit: written } = errorLine(error);
      assert.equal(written, exit);
      const fixed = exit === 6 || exit === 5 || exit === 8;
      const expected = JSON.parse(referenceLine(exit, "it failed", { detail_code: "some_fine_code" }));
      if (!fixed) expected.error_code = "some_fine_code";
      assert.deepEqual(JSON.parse(line), expected, `exit ${exit}`);
      assert.deepEqual(Object.keys(JSON.parse(line)), Object.keys(expected).sort(), "keys sorted");
    }
  });

  it("exit 6: the old codes (usage, intent_invalid, policy_too_large) are detail_code under error_code invalid_input", () => {
    for (const code of ["usage", "intent_invalid", "policy_too_large"]) {
      const { line, exit } = errorLine(new GaitError("invalid_input", code, "bad"));
      assert.equal(exit, 6);
      assert.equal(line, referenceLine(6, "bad", { detail_code: code }));
    }
  });

  it("an error's own hint replaces the exit's; details are merged and never override the fixed members", () => {
    const error = new GaitError("unsafe_operation", "real_replay_env_not_set", "needs the env", {
      hint: "export it",
      details: { error_code: "spoofed", ok: true, path: "p" },
    });
    assert.deepEqual(JSON.parse(errorLine(error).line), {
      correlation_id: CID,
      detail_code: "real_replay_env_not_set",
      error: "needs the env",
      error_category: "internal_failure",
      error_code: "unsafe_operation",
      hint: "export it",
      ok: false,
      path: "p",
      retryable: false,
    });
  });

  it("exit 1 keeps our categories: state_contention is retryable; io_error says which failure it was", () => {
    assert.deepEqual(
      JSON.parse(errorLine(new GaitError("state_contention", "state_contention", "locked")).line),
      {
        correlation_id: CID,
        error: "locked",
        error_category: "state_contention",
        error_code: "state_contention",
        hint: "retry after checking local environment and logs",
        ok: false,
        retryable: true,
      },
    );
    const io = JSON.parse(errorLine(new GaitError("io_failure", "io_error", "disk")).line);
    assert.equal(io.error_code, "io_error");
    assert.equal(io.detail_code, "io_error");
    assert.equal(io.error_category, "io_failure");
  });

  it("a non-GaitError is internal_failure, exit 1, with the reference's fields", () => {
    const { line, exit } = errorLine(new Error("boom"));
    assert.equal(exit, 1);
    const envelope = JSON.parse(line);
    assert.equal(envelope.error_code, "internal_failure");
    assert.equal(envelope.error_category, "internal_failure");
    assert.equal(envelope.detail_code, undefined);
  });

  it("an outcome's own code: kept with detail_code on exit 2, moved to detail_code on exit 6", () => {
    const failed = JSON.parse(
      outcomeLine({
        exitCode: 2,
        output: {
          ok: false,
          error: "1 of 2 fixtures failed",
          error_code: "policy_test_failed",
          hint: "compare",
        },
      }).line,
    );
    assert.equal(failed.error_code, "policy_test_failed");
    assert.equal(failed.detail_code, "policy_test_failed");
    assert.equal(failed.error_category, "verification_failed");
    assert.equal(failed.hint, "compare");
    const invalid = JSON.parse(
      outcomeLine({ exitCode: 6, output: { ok: false, error: "bad", error_code: "missing_trace_reference" } })
        .line,
    );
    assert.equal(invalid.error_code, "invalid_input");
    assert.equal(invalid.detail_code, "missing_trace_reference");
    assert.equal(invalid.hint, REFERENCE[6]!.hint);
  });

  it("the sidecar's error body is the same envelope (one builder): writeError's minus correlation_id", () => {
    const error = new GaitError("invalid_input", "unauthorized", "missing or wrong bearer token", {
      hint: "send Authorization: Bearer <token>",
    });
    const { correlation_id: _cid, ...cli } = JSON.parse(errorLine(error).line);
    assert.deepEqual(JSON.parse(JSON.stringify(errorEnvelope(error))), cli);
    assert.equal(cli.error_code, "invalid_input");
    assert.equal(cli.detail_code, "unauthorized");
  });
});

describe("error envelope: one spawned CLI call per exit code a command produces", () => {
  let dir = "";
  let cleanup = () => {};
  before(() => {
    ({ dir, cleanup } = tempDir("gait-envelope-"));
  });
  after(() => cleanup());

  /** The envelope's members a consumer matches on. */
  const fixed = (json: Record<string, unknown> | undefined) => ({
    ok: json?.ok,
    error_code: json?.error_code,
    detail_code: json?.detail_code,
    error_category: json?.error_category,
    retryable: json?.retryable,
  });

  it("exit 2: keys verify with a private and a public key of different pairs", async () => {
    const r = await runGait(
      ["keys", "verify", "--private-key-env", "PRIV", "--public-key-env", "PUB", "--json"],
      {
        cwd: dir,
        env: {
          PRIV: encodePrivateKey(generateSigningKey()),
          PUB: encodePublicKey(generateSigningKey()),
        },
      },
    );
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.deepEqual(fixed(r.json), {
      ok: false,
      error_code: "key_pair_mismatch",
      detail_code: "key_pair_mismatch",
      error_category: "verification_failed",
      retryable: false,
    });
  });

  it("exit 3: enforce when the child's trace artifact is unreadable is the reference's exit-3 envelope", async () => {
    const r = await runGait(
      ["enforce", "--json", "--", "node", "-e", "console.log('trace_path=missing.json')"],
      {
        cwd: dir,
      },
    );
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.deepEqual(fixed(r.json), {
      ok: false,
      error_code: "policy_blocked",
      detail_code: undefined,
      error_category: "policy_blocked",
      retryable: false,
    });
    assert.equal(r.json?.hint, REFERENCE[3]!.hint);
  });

  it("exit 4 from gate eval is a verdict, not an error: ok true, no envelope members (as in the reference)", async () => {
    writeFileSync(join(dir, "approval.yaml"), "default_verdict: require_approval\n");
    writeFileSync(
      join(dir, "intent.json"),
      JSON.stringify({
        schema_id: "gait.gate.intent_request",
        schema_version: "1.0.0",
        created_at: "2026-03-01T12:00:00Z",
        producer_version: "test",
        tool_name: "tool.write",
        args: { path: "/tmp/x" },
        targets: [{ kind: "path", value: "/tmp/x", operation: "write" }],
        context: { identity: "alice", workspace: "/tmp", risk_class: "high" },
      }),
    );
    const r = await runGait(
      ["gate", "eval", "--policy", "approval.yaml", "--intent", "intent.json", "--json", "--no-config"],
      { cwd: dir },
    );
    assert.equal(r.code, 4, r.stdout + r.stderr);
    assert.equal(r.json?.ok, true);
    assert.equal(r.json?.verdict, "require_approval");
    assert.equal(r.json?.error_code, undefined);
    assert.equal(r.json?.error, undefined);
  });

  it("exit 6: a usage error is error_code invalid_input with detail_code usage and the reference's hint", async () => {
    const r = await runGait(["gate", "eval", "--no-config", "--json"], { cwd: dir });
    assert.equal(r.code, 6, r.stdout + r.stderr);
    assert.deepEqual(Object.keys(r.json ?? {}), [
      "correlation_id",
      "detail_code",
      "error",
      "error_category",
      "error_code",
      "hint",
      "ok",
      "retryable",
    ]);
    assert.deepEqual(fixed(r.json), {
      ok: false,
      error_code: "invalid_input",
      detail_code: "usage",
      error_category: "invalid_input",
      retryable: false,
    });
    assert.equal(r.json?.hint, REFERENCE[6]!.hint);
  });

  it("exit 6: usage messages scripts match on use the reference's words", async () => {
    const unknown = await runGait(["frobnicate", "--json"], { cwd: dir });
    assert.equal(unknown.code, 6);
    assert.equal(unknown.json?.error, "unknown command: frobnicate");
    const extra = await runGait(["verify", "a.zip", "b.zip", "--json"], { cwd: dir });
    assert.equal(extra.code, 6);
    assert.match(String(extra.json?.error), /^unexpected positional arguments/);
  });

  it("exit 6 from an outcome: enforce without a trace reference is the reference's exit-6 envelope", async () => {
    const r = await runGait(["enforce", "--json", "--", "node", "-e", "console.log('no gate here')"], {
      cwd: dir,
    });
    assert.equal(r.code, 6, r.stdout + r.stderr);
    assert.deepEqual(fixed(r.json), {
      ok: false,
      error_code: "invalid_input",
      detail_code: undefined,
      error_category: "invalid_input",
      retryable: false,
    });
    assert.equal(r.json?.hint, REFERENCE[6]!.hint);
  });

  it("exit 8: real-tool replay without --unsafe-real-tools", async () => {
    const r = await runGait(["run", "replay", "run_none", "--real-tools", "--json"], { cwd: dir });
    assert.equal(r.code, 8, r.stdout + r.stderr);
    assert.deepEqual(fixed(r.json), {
      ok: false,
      error_code: "unsafe_operation",
      detail_code: "real_replay_unsafe_flag_missing",
      error_category: "internal_failure",
      retryable: false,
    });
  });

  // Exit 5 (regress run/bootstrap) reports its failures without an `error`, and exit 7 (doctor with
  // a non-fixable check, e.g. too old a Node.js) cannot be provoked here: the writer vectors above
  // cover their envelopes.
});
