/**
 * Evidence verifiable by default (issue 12): in a project made by `gait init`, dev-mode
 * signatures use the project's persistent dev key and verifiers find its public half by
 * themselves — no key flags anywhere.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { encodePrivateKey, generateSigningKey } from "../../src/contract/signing.ts";
import { readZip, writeZip } from "../../src/contract/zip.ts";
import { runGait, tempDir } from "../helpers/cli.ts";

const intent = {
  schema_id: "gait.gate.intent_request",
  schema_version: "1.0.0",
  created_at: "2026-03-01T12:00:00Z",
  producer_version: "test/1.0.0",
  tool_name: "tool.write",
  args: { path: "/work/a.txt" },
  targets: [{ kind: "path", value: "/work/a.txt", operation: "write" }],
  context: { identity: "agent.a", workspace: "/work", risk_class: "low" },
};

describe("the project dev key (gait init)", () => {
  let dir: string;
  let cleanup: () => void;
  let keyId: string;
  const gait = (args: string[]) => runGait([...args, "--json"], { cwd: dir });

  before(async () => {
    ({ dir, cleanup } = tempDir("gait-project-key-"));
    const init = await gait(["init"]);
    assert.equal(init.code, 0, init.stdout + init.stderr);
    keyId = String(init.json?.dev_key_id);
    writeFileSync(join(dir, "intent.json"), JSON.stringify(intent));
    writeFileSync(join(dir, "bad.json"), JSON.stringify({ tool_name: "x" }));
  });
  after(() => cleanup());

  it("init writes a 0600 private key that git ignores, and its public half", () => {
    assert.match(keyId, /^[0-9a-f]{64}$/);
    const privatePath = join(dir, ".gait/keys/dev_private.key");
    assert.ok(existsSync(join(dir, ".gait/keys/dev_public.key")));
    if (process.platform !== "win32") assert.equal(statSync(privatePath).mode & 0o777, 0o600);
    assert.match(readFileSync(join(dir, ".gait/.gitignore"), "utf8"), /^keys\/\*_private\.key$/m);
  });

  it("two gate evals leave two traces, both verify with no key flags, and the warning names the key", async () => {
    const first = await gait([
      "gate",
      "eval",
      "--policy",
      ".gait.yaml",
      "--intent",
      "intent.json",
      "--simulate",
    ]);
    const second = await gait([
      "gate",
      "eval",
      "--policy",
      ".gait.yaml",
      "--intent",
      "intent.json",
      "--simulate",
    ]);
    assert.equal(first.code, 0, first.stdout);
    assert.notEqual(first.json?.trace_path, second.json?.trace_path);
    assert.match(
      String((first.json?.warnings as string[] | undefined)?.[0]),
      new RegExp(`dev key .*${keyId}`),
    );
    for (const run of [first, second]) {
      const verified = await gait(["trace", "verify", String(run.json?.trace_path)]);
      assert.equal(verified.code, 0, verified.stdout);
      assert.equal(verified.json?.key_id, keyId);
    }
  });

  it("an approval minted here approves here, with no key flags", async () => {
    const pending = await gait(["gate", "eval", "--policy", ".gait.yaml", "--intent", "intent.json"]);
    const request = pending.json?.approval_request as
      | { intent_digest: string; policy_digest: string }
      | undefined;
    if (!request) return; // the starter policy may not ask for approval for this intent
    const approve = await gait([
      ...["approve", "--intent-digest", request.intent_digest, "--policy-digest", request.policy_digest],
      ...["--scope", "tool:tool.write", "--approver", "alice", "--reason-code", "r1", "--out", "token.json"],
    ]);
    assert.equal(approve.json?.key_id, keyId);
    const granted = await gait([
      ...[
        "gate",
        "eval",
        "--policy",
        ".gait.yaml",
        "--intent",
        "intent.json",
        "--approval-token",
        "token.json",
      ],
    ]);
    assert.ok(
      ((granted.json?.reason_codes as string[] | undefined) ?? []).includes("approval_granted"),
      granted.stdout,
    );
  });

  it("run record signs with the project key and verify checks it by itself", async () => {
    writeFileSync(
      join(dir, "run.json"),
      JSON.stringify({
        run: { run_id: "run_project", created_at: "2026-03-01T12:00:00Z" },
        intents: [{ intent_id: "i1", tool_name: "t", args: {} }],
        results: [{ intent_id: "i1", status: "ok", result: {} }],
        refs: { receipts: [] },
      }),
    );
    const recorded = await gait(["run", "record", "--input", "run.json"]);
    assert.equal(recorded.code, 0, recorded.stdout);
    assert.equal(recorded.json?.signature_key_id, keyId);
    const verified = await gait(["verify", "run_project"]);
    assert.equal(verified.code, 0, verified.stdout);
    assert.equal(verified.json?.signature_status, "verified");
  });

  it("a trace signed elsewhere is not judged by the project key", async () => {
    const foreign = generateSigningKey();
    writeFileSync(join(dir, "foreign.key"), `${encodePrivateKey(foreign)}\n`, { mode: 0o600 });
    const signed = await gait([
      ...["gate", "eval", "--policy", ".gait.yaml", "--intent", "intent.json", "--simulate"],
      ...["--private-key", "foreign.key", "--trace-out", "foreign_trace.json"],
    ]);
    assert.equal(signed.code, 0, signed.stdout);
    const verified = await gait(["trace", "verify", "foreign_trace.json"]);
    assert.equal(verified.code, 6, verified.stdout);
    assert.match(String(verified.json?.error), /not by this project's dev key/);
  });

  it("no dev-key warning when nothing was signed", async () => {
    const refused = await gait(["gate", "eval", "--policy", ".gait.yaml", "--intent", "bad.json"]);
    assert.equal(refused.code, 6, refused.stdout);
    assert.equal(refused.json?.warnings, undefined);
  });
});

describe("outside a project", () => {
  it("dev mode still signs with a throwaway key and the warning names it", async () => {
    const { dir, cleanup } = tempDir("gait-no-project-");
    try {
      writeFileSync(join(dir, "p.yaml"), "default_verdict: allow\n");
      writeFileSync(join(dir, "i.json"), JSON.stringify(intent));
      const r = await runGait(["gate", "eval", "--policy", "p.yaml", "--intent", "i.json", "--json"], {
        cwd: dir,
      });
      assert.equal(r.code, 0, r.stdout);
      assert.match(
        String((r.json?.warnings as string[] | undefined)?.[0]),
        /ephemeral keypair generated.*key_id [0-9a-f]{64}/,
      );
      assert.equal(existsSync(join(dir, ".gait")), false, "no project is created behind the user's back");
    } finally {
      cleanup();
    }
  });
});

describe("hints that point the right way", () => {
  it("gait check in an empty folder suggests gait init", async () => {
    const { dir, cleanup } = tempDir("gait-empty-");
    try {
      const r = await runGait(["check", "--json"], { cwd: dir });
      assert.equal(r.code, 6, r.stdout);
      assert.equal(r.json?.error_code, "invalid_input");
      assert.equal(r.json?.detail_code, "project_not_initialized");
      assert.match(String(r.json?.hint), /gait init/);
    } finally {
      cleanup();
    }
  });

  it("a failed verify names the file it checked in its hint", async () => {
    const { dir, cleanup } = tempDir("gait-verify-hint-");
    try {
      assert.equal((await runGait(["demo"], { cwd: dir })).code, 0);
      // The same runpack with run.json changed after the manifest was made: a hash mismatch.
      const { entries } = await readZip(join(dir, "gait-out/runpack_run_demo.zip"));
      const tampered = entries.map((e) => ({
        path: e.path,
        data:
          e.path === "run.json"
            ? Buffer.from(e.data.toString("utf8").replace("run_demo", "run_dem0"))
            : e.data,
      }));
      writeFileSync(join(dir, "broken.zip"), await writeZip(tampered));
      const r = await runGait(["verify", "broken.zip", "--json"], { cwd: dir });
      assert.equal(r.code, 2, r.stdout);
      assert.match(String(r.json?.hint), /broken\.zip/);
    } finally {
      cleanup();
    }
  });
});
