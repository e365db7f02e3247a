/**
 * Reference parity (issue 13; see README.md here): one literal per contract detail that used to differ from the Go
 * reference. Each digest literal is checked two ways: our code reproduces it, and so does the
 * digest of the normalized object written out by hand from CONTRACTS.md §5.2–5.3, so a literal
 * cannot drift with the code that produced it.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { digestJcs } from "../../src/contract/canonical.ts";
import { GaitError } from "../../src/contract/errors.ts";
import { generateSigningKey, signJson, verifyKeyFor } from "../../src/contract/signing.ts";
import { lowerCase, trimSpace } from "../../src/contract/text.ts";
import { prepareIntent, verifyTrace } from "../../src/gate/index.ts";
import { runGait } from "../helpers/cli.ts";
import { conformanceSkip, vectorPath } from "../helpers/conformance.ts";

const work = mkdtempSync(join(tmpdir(), "gait-parity-"));
after(() => rmSync(work, { recursive: true, force: true }));

function intent(over: Record<string, unknown> = {}, context: Record<string, unknown> = {}) {
  return {
    schema_id: "gait.gate.intent_request",
    schema_version: "1.0.0",
    created_at: "2026-02-05T00:00:00Z",
    producer_version: "0.0.0-vector",
    tool_name: "tool.write",
    args: { path: "/repo/out.txt" },
    targets: [{ kind: "path", value: "/repo/out.txt", operation: "write" }],
    context: { identity: "agent.vector", workspace: "/repo", risk_class: "high", ...context },
    ...over,
  };
}

/** The normalized digest input of `intent()` per CONTRACTS §5.3, written out by hand. */
function normalized(args: Record<string, unknown>, context: Record<string, unknown> = {}) {
  return {
    tool_name: "tool.write",
    args,
    targets: [
      {
        kind: "path",
        value: "/repo/out.txt",
        operation: "write",
        endpoint_class: "fs.write",
        discovery_method: "unknown",
      },
    ],
    context: { identity: "agent.vector", workspace: "/repo", risk_class: "high", phase: "apply", ...context },
  };
}

const ZERO = "0001-01-01T00:00:00Z";

function assertIntentDigest(raw: unknown, byHand: unknown, literal: string): void {
  assert.equal(digestJcs(byHand), literal, "the hand-written normalized intent digests to the literal");
  assert.equal(prepareIntent(raw).intentDigest, literal);
}

function rejectsIntent(raw: unknown, message: RegExp): void {
  assert.throws(
    () => prepareIntent(raw),
    (error: unknown) =>
      error instanceof GaitError &&
      error.code === "intent_invalid" &&
      error.exitCode === 6 &&
      message.test(error.message),
  );
}

describe("1. intent normalization", () => {
  it("agent_identity.source is lower-cased (digest, trace id and token bindings follow)", () => {
    const literal = "7ebaeef8d9f532833a3a9e9fd256165605285ae18be05e19e186121468ea7acb";
    const byHand = normalized(
      { path: "/repo/out.txt" },
      {
        agent_identity: {
          issued_at: ZERO,
          approved_at: ZERO,
          expires_at: ZERO,
          owner: "team-a",
          source: "registry",
        },
      },
    );
    for (const source of ["Registry", "REGISTRY", " registry "]) {
      assertIntentDigest(intent({}, { agent_identity: { source, owner: "team-a" } }), byHand, literal);
    }
  });

  it("white space is trimmed as Go's strings.TrimSpace: NEL (U+0085) goes, the BOM (U+FEFF) stays", () => {
    const plain = "31f5770dab19220ba2d4f8016c44ba745498560f16de9bd75b0c60434c7744d2";
    assertIntentDigest(
      intent({ tool_name: "\u0085tool.write\u0085", args: { path: "\u0085/repo/out.txt\u3000" } }),
      normalized({ path: "/repo/out.txt" }),
      plain,
    );
    assertIntentDigest(
      intent({ args: { path: "\ufeff/repo/out.txt" } }),
      normalized({ path: "\ufeff/repo/out.txt" }),
      "8a31e23e38d46f1110a51dffe00ea83eec97553c6d0509720eef17138e0d6a2a",
    );
    const goSpaces =
      "\t\n\v\f\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";
    assert.equal(trimSpace(`${goSpaces}x${goSpaces}`), "x");
    for (const kept of ["\ufeff", "\u200b", "\u180e"])
      assert.equal(trimSpace(`${kept}x${kept}`), `${kept}x${kept}`);
  });

  it("lower-casing is Go's strings.ToLower: no final sigma, dotted capital I to i", () => {
    assert.equal(lowerCase("ΟΔΟΣ"), "οδοσ");
    assert.equal(lowerCase("İSTANBUL"), "istanbul");
    assert.equal(lowerCase("Tool.Write"), "tool.write");
  });

  it("raw credentials in sandbox fields are refused, references are not", () => {
    const sandbox = (fields: Record<string, unknown>) =>
      intent({}, { sandbox: { network_mode: "disabled", ...fields } });
    rejectsIntent(
      sandbox({ writable_paths: ["/tmp/work", "API_TOKEN=ghs1234567890abcdefgh"] }),
      /sandbox\.writable_paths must not contain raw credential material/,
    );
    rejectsIntent(
      sandbox({ read_only_roots: ["/secrets/ghp_abcdefghijklmnopqrstuvwxyz0123"] }),
      /sandbox\.read_only_roots must not contain raw credential material/,
    );
    rejectsIntent(
      sandbox({ evidence_ref: "s3://bucket/run.json?password=hunter2hunter2" }),
      /sandbox\.evidence_ref must not contain raw credential material/,
    );
    const fine = prepareIntent(
      sandbox({
        writable_paths: ["/tmp/API_TOKEN=env:GAIT_TOKEN", "/tmp/tokens"],
        evidence_ref: "s3://bucket/run.json",
      }),
    );
    assert.deepEqual(fine.intent.context.sandbox?.writable_paths, [
      "/tmp/API_TOKEN=env:GAIT_TOKEN",
      "/tmp/tokens",
    ]);
  });
});

describe("2. trace verify", () => {
  it("rejects the signing-compat trace as the reference does (no observed_at) and says why", {
    skip: conformanceSkip,
  }, async () => {
    const hex = readFileSync(vectorPath("signing-compat", "public_key.hex"), "utf8").trim();
    writeFileSync(join(work, "compat_public.key"), Buffer.from(hex, "hex").toString("base64"));
    const trace = vectorPath("signing-compat", "trace_signed.json");
    const run = await runGait(["trace", "verify", trace, "--public-key", "compat_public.key", "--json"], {
      cwd: work,
    });
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.json?.ok, false);
    assert.equal(run.json?.signature_status, "failed");
    assert.match(String(run.json?.error), /observed_at is missing \(read as 0001-01-01T00:00:00Z\)/);
  });

  it("re-renders nested Go times too: a freeze_window without its zero bounds does not verify", () => {
    const key = generateSigningKey();
    const body = {
      schema_id: "gait.gate.trace",
      schema_version: "1.0.0",
      created_at: "2026-02-05T00:00:00Z",
      observed_at: "2026-02-05T00:00:01Z",
      producer_version: "0.0.0-vector",
      trace_id: "trace_vector",
      tool_name: "tool.write",
      args_digest: "2".repeat(64),
      intent_digest: "1".repeat(64),
      policy_digest: "3".repeat(64),
      verdict: "allow",
      freeze_window: { status: "inactive", timezone: "UTC", evaluated_at: "2026-02-05T00:00:00Z" },
    };
    const signedAsWritten = { ...body, signature: signJson(key, body) };
    const result = verifyTrace(signedAsWritten, verifyKeyFor(key));
    assert.equal(result.ok, false);
    assert.match(
      result.reason ?? "",
      /freeze_window\.window_start is missing \(read as 0001-01-01T00:00:00Z\)/,
    );
    const complete = {
      ...body,
      freeze_window: { ...body.freeze_window, window_start: ZERO, window_end: ZERO },
    };
    assert.equal(
      verifyTrace({ ...complete, signature: signJson(key, complete) }, verifyKeyFor(key)).ok,
      true,
    );
    const extra = { ...complete, note: "added later" };
    const tampered = verifyTrace({ ...extra, signature: signJson(key, extra) }, verifyKeyFor(key));
    assert.match(tampered.reason ?? "", /members outside the v1 record \(note\)/);
  });
});
