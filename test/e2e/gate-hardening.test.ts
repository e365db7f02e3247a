/**
 * The enforcement path under hostile input (issue 10): each case here allowed, approved or
 * crashed where it must refuse. Every test spawns the built CLI as an attacker would drive it.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  encodePrivateKey,
  encodePublicKey,
  generateSigningKey,
  type SigningKey,
} from "../../src/contract/signing.ts";
import { parseGoDuration, Timestamp } from "../../src/contract/time.ts";
import { mintApprovalToken, parsePolicyYaml, prepareIntent } from "../../src/gate/index.ts";
import { type CliResult, runGait, tempDir } from "../helpers/cli.ts";

const intent = (overrides: Record<string, unknown> = {}, context: Record<string, unknown> = {}) => ({
  schema_id: "gait.gate.intent_request",
  schema_version: "1.0.0",
  created_at: "2026-02-18T00:00:00Z",
  producer_version: "0.0.0-dev",
  tool_name: "tool.write",
  args: { path: "/tmp/out.txt" },
  targets: [{ kind: "path", value: "/tmp/out.txt", operation: "write" }],
  context: { identity: "agent.a", workspace: "/repo", risk_class: "low", ...context },
  ...overrides,
});

const policies = {
  "block-delete.yaml": `default_verdict: allow
rules:
  - name: no-delete
    effect: block
    match:
      tool_names: [tool.delete]
`,
  "approve-write.yaml": `default_verdict: block
rules:
  - name: approve-write
    effect: require_approval
    match:
      tool_names: [tool.write]
`,
  "two-approvers.yaml": `default_verdict: block
rules:
  - name: approve-write
    effect: require_approval
    min_approvals: 2
    match:
      tool_names: [tool.write]
`,
  "limited.yaml": `default_verdict: block
rules:
  - name: limited-search
    effect: allow
    match:
      tool_names: [tool.search]
    rate_limit:
      requests: 2
      window: hour
      scope: tool
`,
  "fail-closed.yaml": `default_verdict: allow
fail_closed:
  enabled: true
  risk_classes: [high]
`,
};

const reasons = (r: CliResult): string[] => (r.json?.reason_codes as string[] | undefined) ?? [];

function writeKey(dir: string, name: string): SigningKey {
  const key = generateSigningKey();
  writeFileSync(join(dir, `${name}_private.key`), `${encodePrivateKey(key)}\n`, { mode: 0o600 });
  writeFileSync(join(dir, `${name}_public.key`), `${encodePublicKey(key)}\n`);
  return key;
}

function hoursFromNow(hours: number): Timestamp {
  return Timestamp.fromEpochMs(Date.now() + hours * 3_600_000);
}

describe("gate eval under hostile input (e2e)", () => {
  let dir: string;
  let cleanup: () => void;
  let approver: SigningKey;
  const eval_ = (args: string[], input?: string) =>
    runGait(["gate", "eval", "--json", "--no-config", ...args], { cwd: dir, ...(input ? { input } : {}) });
  const write = (name: string, value: unknown) =>
    writeFileSync(join(dir, name), typeof value === "string" ? value : JSON.stringify(value));
  const digestsOf = (policyFile: string, request: unknown) => ({
    intentDigest: prepareIntent(request).intentDigest,
    policyDigest: parsePolicyYaml(policies[policyFile as keyof typeof policies], policyFile).policyDigest,
  });
  const token = (
    key: SigningKey,
    policyFile: string,
    request: unknown,
    opts: { approver?: string; now?: Timestamp; ttl?: string } = {},
  ) =>
    mintApprovalToken(
      {
        ...digestsOf(policyFile, request),
        approver: opts.approver ?? "alice",
        reasonCode: "change_1",
        scope: ["tool:tool.write"],
        ttlNanos: parseGoDuration(opts.ttl ?? "1h"),
        now: opts.now ?? hoursFromNow(0),
      },
      key,
    );

  before(() => {
    ({ dir, cleanup } = tempDir());
    for (const [name, text] of Object.entries(policies)) write(name, text);
    approver = writeKey(dir, "approver");
    writeKey(dir, "gait");
    write("write.json", intent());
    write("delete.json", intent({ tool_name: "tool.delete" }));
    write("search.json", intent({ tool_name: "tool.search", targets: [] }));
  });
  after(() => cleanup());

  describe("1. only the public IntentRequest is accepted; digests are never read from input", () => {
    const forged = () => {
      const prepared = prepareIntent(intent({ tool_name: "tool.delete" }));
      return { ...prepared, intentDigest: "0".repeat(64) };
    };

    it("a pre-normalized {intent, intentDigest} file is refused, not allowed past a block rule", async () => {
      write("forged.json", forged());
      const r = await eval_(["--policy", "block-delete.yaml", "--intent", "forged.json"]);
      assert.equal(r.code, 6, r.stdout + r.stderr);
      assert.equal(r.json?.error_code, "invalid_input");
      assert.equal(r.json?.detail_code, "intent_invalid");
      assert.match(String(r.json?.error), /unknown intent request field/);
    });

    it("the same through stdin and under oss-prod", async () => {
      const viaStdin = await eval_(
        ["--policy", "block-delete.yaml", "--intent", "-"],
        JSON.stringify(forged()),
      );
      assert.equal(viaStdin.code, 6, viaStdin.stdout);
      write(
        "prod-policy.yaml",
        policies["block-delete.yaml"].replace("default_verdict: allow", "default_verdict: block"),
      );
      write("forged.json", forged());
      const prod = await eval_([
        ...["--policy", "prod-policy.yaml", "--intent", "forged.json", "--profile", "oss-prod"],
        ...["--key-mode", "prod", "--private-key", "gait_private.key"],
      ]);
      assert.equal(prod.code, 6, prod.stdout);
    });

    it("an approval token for one intent cannot approve another by copying its digest", async () => {
      const approved = intent();
      const other = intent({
        args: { path: "/etc/passwd" },
        targets: [{ kind: "path", value: "/etc/passwd" }],
      });
      write("token.json", token(approver, "approve-write.yaml", approved));
      const prepared = prepareIntent(other);
      write("swap.json", {
        ...prepared,
        intentDigest: digestsOf("approve-write.yaml", approved).intentDigest,
      });
      const args = ["--policy", "approve-write.yaml", "--approval-token", "token.json"];
      const r = await eval_([
        ...args,
        "--approval-public-key",
        "approver_public.key",
        "--intent",
        "swap.json",
      ]);
      assert.notEqual(r.code, 0, r.stdout);
      assert.notEqual(r.json?.verdict, "allow");
      // The honest request for the other intent is not approved by that token either.
      write("other.json", other);
      const honest = await eval_([
        ...args,
        "--approval-public-key",
        "approver_public.key",
        "--intent",
        "other.json",
      ]);
      assert.equal(honest.code, 4, honest.stdout);
      assert.ok(reasons(honest).includes("approval_token_intent_mismatch"));
    });

    it("a supplied intent_digest is ignored: the trace carries the computed one", async () => {
      write("claimed.json", intent({ tool_name: "tool.delete", intent_digest: "0".repeat(64) }));
      const r = await eval_(["--policy", "block-delete.yaml", "--intent", "claimed.json"]);
      assert.equal(r.code, 3, r.stdout);
      assert.notEqual(r.json?.intent_digest, "0".repeat(64));
    });
  });

  describe("2. --evaluation-time is for replay: it cannot undo expiry or limits", () => {
    const approvalArgs = ["--policy", "approve-write.yaml", "--intent", "write.json"];
    const withToken = ["--approval-token", "t.json", "--approval-public-key", "approver_public.key"];

    it("an expired token stays expired at an earlier evaluation time", async () => {
      write("t.json", token(approver, "approve-write.yaml", intent(), { now: hoursFromNow(-2), ttl: "1h" }));
      const r = await eval_([
        ...approvalArgs,
        ...withToken,
        "--evaluation-time",
        hoursFromNow(-1.5).toString(),
      ]);
      assert.equal(r.code, 4, r.stdout);
      assert.ok(reasons(r).includes("approval_token_expired"));
    });

    it("a token is not accepted at an evaluation time before its creation", async () => {
      write("t.json", token(approver, "approve-write.yaml", intent(), { ttl: "2h" }));
      const r = await eval_([
        ...approvalArgs,
        ...withToken,
        "--evaluation-time",
        hoursFromNow(-1).toString(),
      ]);
      assert.equal(r.code, 4, r.stdout);
      assert.ok(reasons(r).includes("approval_token_not_yet_valid"));
      const live = await eval_([...approvalArgs, ...withToken]);
      assert.equal(live.code, 0, live.stdout);
    });

    it("evaluations at other times neither count nor reset the live rate-limit bucket", async () => {
      const state = "limits.json";
      const search = ["--policy", "limited.yaml", "--intent", "search.json", "--rate-limit-state", state];
      for (const hours of [-5, -4, -3]) {
        const r = await eval_([...search, "--evaluation-time", hoursFromNow(hours).toString()]);
        assert.equal(r.code, 0, r.stdout);
      }
      assert.equal(existsSync(join(dir, state)), false, "a replay must not write rate-limit state");
      for (let i = 0; i < 2; i++) assert.equal((await eval_(search)).code, 0);
      const before = readFileSync(join(dir, state), "utf8");
      const past = await eval_([...search, "--evaluation-time", hoursFromNow(-2).toString()]);
      assert.equal(past.code, 0, past.stdout);
      assert.equal(
        readFileSync(join(dir, state), "utf8"),
        before,
        "a past-time call must not wipe the live bucket",
      );
      const third = await eval_(search);
      assert.equal(third.code, 3, third.stdout);
      assert.ok(reasons(third).includes("rate_limit_exceeded"));
    });

    it("the trace's observed_at is the real time, and oss-prod refuses the flag", async () => {
      const at = "2020-01-01T00:00:00Z";
      const r = await eval_([
        "--policy",
        "block-delete.yaml",
        "--intent",
        "write.json",
        "--evaluation-time",
        at,
      ]);
      assert.equal(r.code, 0, r.stdout);
      const trace = JSON.parse(readFileSync(join(dir, String(r.json?.trace_path)), "utf8"));
      assert.ok(Timestamp.parse(trace.observed_at).compare(hoursFromNow(-1)) > 0, trace.observed_at);
      write("prod.yaml", policies["approve-write.yaml"]);
      const prod = await eval_([
        ...[
          "--policy",
          "prod.yaml",
          "--intent",
          "write.json",
          "--profile",
          "oss-prod",
          "--evaluation-time",
          at,
        ],
        ...["--key-mode", "prod", "--private-key", "gait_private.key"],
      ]);
      assert.equal(prod.code, 6, prod.stdout);
      assert.match(String(prod.json?.error), /evaluation-time/);
    });
  });

  describe("4. evidence is never overwritten by gate eval", () => {
    it("a repeated decision keeps both traces; an existing --trace-out is refused", async () => {
      const { dir: traces, cleanup: done } = tempDir();
      try {
        const args = ["--policy", "block-delete.yaml", "--intent", "delete.json", "--trace-dir", traces];
        const first = await eval_(args);
        const again = await eval_(args);
        assert.equal(again.json?.trace_id, first.json?.trace_id);
        assert.notEqual(again.json?.trace_path, first.json?.trace_path);
        const id = String(first.json?.trace_id);
        assert.ok(existsSync(join(traces, `trace_${id}.json`)));
        assert.ok(existsSync(join(traces, `trace_${id}.2.json`)));
        const kept = JSON.parse(readFileSync(join(traces, `trace_${id}.json`), "utf8"));
        assert.equal(kept.verdict, "block");
        const taken = await eval_([...args, "--trace-out", join(traces, `trace_${id}.json`)]);
        assert.equal(taken.code, 6, taken.stdout);
        assert.equal(taken.json?.error_code, "invalid_input");
        assert.equal(taken.json?.detail_code, "file_exists");
      } finally {
        done();
      }
    });
  });

  describe("5. oversized and hostile documents are coded errors, checked before work", () => {
    it("a policy that aliases one large list many times is refused quickly (exit 6)", async () => {
      const list = Array.from({ length: 2000 }, (_, i) => `t${i}`).join(", ");
      let text = `default_verdict: block\nrules:\n  - name: r0\n    effect: block\n    match:\n      tool_names: &L [${list}]\n`;
      for (let i = 1; i < 3000; i++)
        text += `  - name: r${i}\n    effect: block\n    match:\n      tool_names: *L\n`;
      write("bomb.yaml", text);
      const r = await eval_(["--policy", "bomb.yaml", "--intent", "write.json"]);
      assert.equal(r.code, 6, r.stdout + r.stderr.slice(0, 500));
      assert.equal(r.json?.error_code, "invalid_input");
      assert.equal(r.json?.detail_code, "policy_too_large");
    });

    it("policies and intents above the byte limits are refused", async () => {
      write("huge.yaml", `default_verdict: block\n# ${"x".repeat(1024 * 1024)}\n`);
      const policy = await eval_(["--policy", "huge.yaml", "--intent", "write.json"]);
      assert.equal(policy.code, 6, policy.stdout);
      assert.equal(policy.json?.error_code, "invalid_input");
      assert.equal(policy.json?.detail_code, "policy_too_large");
      write("huge.json", intent({ args: { blob: "x".repeat(1024 * 1024) } }));
      const big = await eval_(["--policy", "block-delete.yaml", "--intent", "huge.json"]);
      assert.equal(big.code, 6, big.stdout);
      assert.equal(big.json?.error_code, "invalid_input");
      assert.equal(big.json?.detail_code, "input_too_large");
    });

    it("an intent nested thousands of levels deep is a coded error, even under fail-closed", async () => {
      const deep = `${'{"a":'.repeat(5000)}1${"}".repeat(5000)}`;
      const text = JSON.stringify(intent({}, { risk_class: "high" })).replace(
        '"/tmp/out.txt"}',
        `"/tmp/out.txt","deep":${deep}}`,
      );
      write("deep.json", text);
      for (const policy of ["block-delete.yaml", "fail-closed.yaml"]) {
        const r = await eval_(["--policy", policy, "--intent", "deep.json"]);
        assert.equal(r.code, 6, r.stdout + r.stderr.slice(0, 300));
        assert.equal(r.json?.error_code, "invalid_input");
        assert.equal(r.json?.detail_code, "invalid_json");
        assert.match(String(r.json?.error), /nesting deeper than/);
      }
    });
  });

  describe("7. names with invisible characters are invalid, never matched as something else", () => {
    const invisible = ["\u0000", "\u200b", "\u202e", "\ufeff", "\u00a0", "\ud800"];

    for (const char of invisible) {
      const code = char.codePointAt(0)!.toString(16).padStart(4, "0");
      it(`tool name with U+${code} does not slip past a block rule (exit 6)`, async () => {
        write("sneaky.json", intent({ tool_name: `tool.del${char}ete` }));
        const r = await eval_(["--policy", "block-delete.yaml", "--intent", "sneaky.json"]);
        assert.equal(r.code, 6, r.stdout);
        assert.equal(r.json?.error_code, "invalid_input");
        assert.equal(r.json?.detail_code, "intent_invalid");
      });
    }

    it("an identity with a zero-width space is invalid", async () => {
      write("who.json", intent({}, { identity: "agent\u200b.a" }));
      const r = await eval_(["--policy", "block-delete.yaml", "--intent", "who.json"]);
      assert.equal(r.code, 6, r.stdout);
    });

    it("risk class high plus an invisible character blocks under fail_closed", async () => {
      write("risky.json", intent({}, { risk_class: "high\u200b" }));
      const r = await eval_(["--policy", "fail-closed.yaml", "--intent", "risky.json"]);
      assert.equal(r.code, 3, r.stdout);
      assert.deepEqual(r.json?.reason_codes, ["fail_closed_intent_invalid"]);
    });

    it("a policy naming a tool with an invisible character is refused", async () => {
      write("bad-policy.yaml", policies["block-delete.yaml"].replace("tool.delete", "tool.del\u200bete"));
      const r = await eval_(["--policy", "bad-policy.yaml", "--intent", "write.json"]);
      assert.equal(r.code, 6, r.stdout);
      assert.match(String(r.json?.error), /invisible/);
    });
  });

  describe("8. multi-party approvals count keys, and single-use tokens cannot be replayed", () => {
    const twoParty = ["--policy", "two-approvers.yaml", "--intent", "write.json"];

    it("two names signed with one key are one approver", async () => {
      write("a.json", token(approver, "two-approvers.yaml", intent(), { approver: "alice" }));
      write("b.json", token(approver, "two-approvers.yaml", intent(), { approver: "bob" }));
      const r = await eval_([
        ...twoParty,
        ...["--approval-token-chain", "a.json,b.json", "--approval-public-key", "approver_public.key"],
      ]);
      assert.equal(r.code, 4, r.stdout);
      assert.ok(reasons(r).includes("approval_distinct_approvers_required"));
    });

    it("with an approver key list, each approver's own key counts; a borrowed name does not", async () => {
      const alice = writeKey(dir, "alice");
      const bob = writeKey(dir, "bob");
      write(
        "approvers.yaml",
        `schema_id: gait.gate.approver_keys
schema_version: 1.0.0
approvers:
  - identity: alice
    public_key_file: alice_public.key
  - identity: bob
    public_key: ${encodePublicKey(bob)}
`,
      );
      write("a.json", token(alice, "two-approvers.yaml", intent(), { approver: "alice" }));
      write("b.json", token(bob, "two-approvers.yaml", intent(), { approver: "bob" }));
      write("forged.json", token(bob, "two-approvers.yaml", intent(), { approver: "alice" }));
      const granted = await eval_([
        ...twoParty,
        "--approval-token-chain",
        "a.json,b.json",
        "--approver-keys",
        "approvers.yaml",
      ]);
      assert.equal(granted.code, 0, granted.stdout);
      assert.ok(reasons(granted).includes("approval_granted"));
      const borrowed = await eval_([
        ...twoParty,
        ...["--approval-token-chain", "forged.json,b.json", "--approver-keys", "approvers.yaml"],
      ]);
      assert.equal(borrowed.code, 4, borrowed.stdout);
      assert.ok(reasons(borrowed).includes("approval_token_approver_key_mismatch"));
      write("stranger.json", token(approver, "two-approvers.yaml", intent(), { approver: "carol" }));
      const stranger = await eval_([
        ...twoParty,
        ...["--approval-token-chain", "a.json,stranger.json", "--approver-keys", "approvers.yaml"],
      ]);
      assert.ok(reasons(stranger).includes("approval_token_approver_unknown"));
    });

    it("a single-use token grants once; its replay is refused with approval_token_consumed", async () => {
      write("once.json", token(approver, "approve-write.yaml", intent()));
      const args = [
        ...["--policy", "approve-write.yaml", "--intent", "write.json", "--approval-token", "once.json"],
        ...[
          "--approval-public-key",
          "approver_public.key",
          "--approval-single-use",
          "--approval-ledger",
          "spent.json",
        ],
      ];
      const first = await eval_(args);
      assert.equal(first.code, 0, first.stdout);
      const replay = await eval_(args);
      assert.equal(replay.code, 4, replay.stdout);
      assert.ok(reasons(replay).includes("approval_token_consumed"));
      const ledger = JSON.parse(readFileSync(join(dir, "spent.json"), "utf8"));
      assert.equal(ledger.schema_id, "gait.gate.approval_ledger");
      assert.equal(ledger.spent.length, 1);
    });

    it("single use and the approver key list also come from .gait/config.yaml", async () => {
      const { dir: project, cleanup: done } = tempDir();
      try {
        const carol = writeKey(project, "carol");
        mkdirSync(join(project, ".gait"));
        writeFileSync(join(project, "policy.yaml"), policies["approve-write.yaml"]);
        writeFileSync(join(project, "write.json"), JSON.stringify(intent()));
        writeFileSync(
          join(project, ".gait/approvers.yaml"),
          `approvers:\n  - identity: carol\n    public_key: ${encodePublicKey(carol)}\n`,
        );
        writeFileSync(
          join(project, ".gait/config.yaml"),
          "gate:\n  policy: policy.yaml\n  approvers: .gait/approvers.yaml\n  approvals:\n    single_use: true\n",
        );
        writeFileSync(
          join(project, "t.json"),
          JSON.stringify(token(carol, "approve-write.yaml", intent(), { approver: "carol" })),
        );
        const args = ["gate", "eval", "--intent", "write.json", "--approval-token", "t.json", "--json"];
        const first = await runGait(args, { cwd: project });
        assert.equal(first.code, 0, first.stdout);
        const replay = await runGait(args, { cwd: project });
        assert.equal(replay.code, 4, replay.stdout);
        assert.ok(reasons(replay).includes("approval_token_consumed"));
        assert.ok(existsSync(join(project, ".gait-out/gate_approvals_spent.json")));
      } finally {
        done();
      }
    });
  });
});
