/**
 * Guard evidence packs built and verified in-process: what the pack holds and how its entries
 * tie together, deterministic bytes, the verifier's contract (declared entries present and
 * hashed, duplicates refused, undeclared files reported but accepted, signature statuses), the
 * pack module's dispatch, and the build edge's refusals.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { canonicalize, type JsonObject, sha256Hex } from "../../src/contract/canonical.ts";
import { GaitError } from "../../src/contract/errors.ts";
import { verifyKeyFor } from "../../src/contract/signing.ts";
import { readZip } from "../../src/contract/zip.ts";
import {
  assembleEvidencePack,
  buildEvidencePack,
  guardPackIdOf,
  parseGuardManifest,
  verifyEvidencePack,
} from "../../src/guard/index.ts";
import { packZip, verifyPack } from "../../src/pack/index.ts";
import { craftZip } from "../contract/zip-craft.ts";
import { tempDir } from "../helpers/cli.ts";
import { assertPublicValid, publicSchemasSkip } from "../helpers/public-schemas.ts";
import { assertPublishedValid } from "../helpers/published-schemas.ts";
import {
  approvalAudit,
  fullSources,
  OTHER_KEY,
  PACK_KEY,
  PRODUCER,
  regressResult,
  sampleRunpack,
  snapshot,
  TRACE_KEY,
  trace,
} from "./fixtures.ts";

async function rejects(promise: Promise<unknown>, code: string, exit: number): Promise<GaitError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof GaitError, `expected ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.exitCode, exit);
  return caught;
}

async function packOf(key = PACK_KEY) {
  const assembled = assembleEvidencePack(await fullSources(), key);
  return { ...assembled, zip: await packZip(assembled.files) };
}

async function entriesOf(zip: Buffer): Promise<Map<string, Buffer>> {
  return new Map((await readZip(zip)).entries.map((e) => [e.path, e.data]));
}

async function rezip(zip: Buffer, changes: Record<string, string | Buffer | null>): Promise<Buffer> {
  const entries = await entriesOf(zip);
  for (const [path, data] of Object.entries(changes)) {
    if (data === null) entries.delete(path);
    else entries.set(path, Buffer.from(data));
  }
  return packZip([...entries].map(([path, data]) => ({ path, data })));
}

describe("guard pack: assembly", () => {
  it("holds the summaries, the copied evidence, the control index and the pointers, tied to the manifest", async () => {
    const { manifest, files, documents } = await packOf();
    assert.deepEqual(files.map((f) => f.path).sort(), [
      "approval_audit_01.json",
      "control_index.json",
      "evidence_pointers.json",
      "inventory_coverage.json",
      "inventory_snapshot_01.json",
      "pack_manifest.json",
      "regress_summary.json",
      "runpack_summary.json",
      "trace_summary.json",
    ]);
    assert.equal(manifest.run_id, "run_sample");
    assert.equal(manifest.case_id, "INC-7");
    assert.equal(manifest.created_at, "2026-02-05T00:00:00Z", "the run's created_at");
    assert.equal(manifest.generated_at, manifest.created_at);
    assert.equal(manifest.pack_id, guardPackIdOf("run_sample", manifest.contents));
    const byPath = new Map(files.map((f) => [f.path, f.data]));
    for (const entry of manifest.contents)
      assert.equal(sha256Hex(byPath.get(entry.path)!), entry.sha256, entry.path);
    // The copies are the inputs' bytes; the documents are JCS.
    const sources = await fullSources();
    assert.deepEqual(byPath.get("approval_audit_01.json"), sources.approvalAudits[0]!.data);
    assert.deepEqual(byPath.get("inventory_snapshot_01.json"), sources.inventories[0]!.data);
    assert.equal(byPath.get("trace_summary.json")!.toString(), canonicalize(documents.traces));
    assert.equal(byPath.get("pack_manifest.json")!.toString(), canonicalize(manifest));
    // Pointers: every entry but the pointer file itself, in the manifest and in the file alike.
    const pointers = JSON.parse(byPath.get("evidence_pointers.json")!.toString()) as JsonObject;
    assert.deepEqual(pointers.pointers, manifest.evidence_pointers);
    assert.deepEqual(
      manifest.evidence_pointers?.map((p) => [p.pointer_id, p.path]),
      manifest.contents
        .filter((c) => c.path !== "evidence_pointers.json")
        .map((c, i) => [`ev_00${i + 1}`, c.path]),
    );
    const controls = JSON.parse(byPath.get("control_index.json")!.toString()) as JsonObject;
    assert.deepEqual(controls.controls, manifest.control_index);
    assert.deepEqual(
      manifest.control_index?.map((c) => [c.control_id, c.evidence_paths]),
      [
        ["gait.run.integrity", ["runpack_summary.json"]],
        ["gait.gate.decisions", ["trace_summary.json"]],
        ["gait.gate.approvals", ["approval_audit_01.json", "trace_summary.json"]],
        ["gait.regress", ["regress_summary.json"]],
        ["gait.scout.inventory", ["inventory_snapshot_01.json", "inventory_coverage.json"]],
      ],
    );
    // Coverage: the run's and the traces' tools against the snapshot.
    assert.deepEqual(documents.coverage?.tools_listed, ["tool.search"]);
    assert.deepEqual(documents.coverage?.tools_missing, ["db.query", "http.fetch", "tool.delete"]);
    assert.equal(documents.coverage?.coverage_percent, 25);
  });

  it("every document validates against the schema we publish; the manifest against the public one", {
    skip: publicSchemasSkip,
  }, async () => {
    const { files } = await packOf();
    const schemaFor: Record<string, string> = {
      "runpack_summary.json": "guard/runpack_summary.schema.json",
      "trace_summary.json": "guard/trace_summary.schema.json",
      "regress_summary.json": "guard/regress_summary.schema.json",
      "inventory_coverage.json": "guard/inventory_coverage.schema.json",
      "evidence_pointers.json": "guard/evidence_pointers.schema.json",
      "control_index.json": "guard/control_index.schema.json",
      "pack_manifest.json": "guard/pack_manifest.schema.json",
    };
    for (const file of files) {
      const doc = JSON.parse(file.data.toString());
      const schema = schemaFor[file.path];
      if (schema) assertPublishedValid(doc, schema, file.path);
      else assertPublicValid(doc, file.path);
    }
    assertPublicValid(
      JSON.parse(files.find((f) => f.path === "pack_manifest.json")!.data.toString()),
      "manifest",
    );
  });

  it("gives the same bytes for the same inputs and key, whatever the order the traces came in", async () => {
    const a = await packOf();
    const b = await packOf();
    assert.deepEqual(a.zip, b.zip);
    const sources = await fullSources();
    const reversed = await packZip(
      assembleEvidencePack({ ...sources, traces: [...sources.traces].reverse() }, PACK_KEY).files,
    );
    assert.deepEqual(reversed, a.zip);
  });

  it("with only a runpack still says what was and was not given: empty trace and regress summaries", async () => {
    const { sources: runpack } = await sampleRunpack();
    const { manifest, documents } = assembleEvidencePack({
      runpack,
      traces: [],
      regress: [],
      inventories: [],
      approvalAudits: [],
    });
    assert.deepEqual(
      manifest.contents.map((c) => c.path),
      [
        "control_index.json",
        "evidence_pointers.json",
        "regress_summary.json",
        "runpack_summary.json",
        "trace_summary.json",
      ],
    );
    assert.equal(documents.traces.traces_total, 0);
    assert.equal(documents.regress.status, "none");
    assert.equal(manifest.signatures, undefined);
  });
});

describe("guard pack: verify", () => {
  it("a signed pack verifies with its key, is skipped without one, fails with another", async () => {
    const { zip, manifest } = await packOf();
    const withKey = await verifyEvidencePack(zip, {
      verifyKey: verifyKeyFor(PACK_KEY),
      requireSignature: true,
    });
    assert.equal(withKey.ok, true);
    assert.equal(withKey.signature_status, "verified");
    assert.equal(withKey.pack_id, manifest.pack_id);
    assert.equal(withKey.run_id, "run_sample");
    assert.equal(withKey.case_id, "INC-7");
    assert.equal(withKey.files_checked, manifest.contents.length);
    assert.deepEqual(withKey.warnings, []);
    const without = await verifyEvidencePack(zip);
    assert.equal(without.ok, true);
    assert.equal(without.signature_status, "skipped");
    const other = await verifyEvidencePack(zip, { verifyKey: verifyKeyFor(OTHER_KEY) });
    assert.equal(other.ok, false);
    assert.equal(other.signature_status, "failed");
    // The project's dev key is used only for signatures it made.
    const found = await verifyEvidencePack(zip, { defaultKey: verifyKeyFor(OTHER_KEY) });
    assert.equal(found.signature_status, "skipped");
    assert.equal(
      (await verifyEvidencePack(zip, { defaultKey: verifyKeyFor(PACK_KEY) })).signature_status,
      "verified",
    );
  });

  it("an unsigned pack verifies with status missing, and fails when a signature is required", async () => {
    const assembled = assembleEvidencePack(await fullSources());
    const zip = await packZip(assembled.files);
    const result = await verifyEvidencePack(zip);
    assert.equal(result.ok, true);
    assert.equal(result.signature_status, "missing");
    const strict = await verifyEvidencePack(zip, {
      verifyKey: verifyKeyFor(PACK_KEY),
      requireSignature: true,
    });
    assert.equal(strict.ok, false);
    assert.deepEqual(strict.signature_errors, ["manifest has no signatures"]);
    await rejects(verifyEvidencePack(zip, { requireSignature: true }), "guard_verify_key_required", 6);
  });

  it("names a modified and a missing entry (exit 2 material), whatever the signature says", async () => {
    const { zip } = await packOf();
    const modified = await verifyEvidencePack(await rezip(zip, { "trace_summary.json": "{}" }), {
      verifyKey: verifyKeyFor(PACK_KEY),
    });
    assert.equal(modified.ok, false);
    assert.deepEqual(
      modified.hash_mismatches.map((m) => m.path),
      ["trace_summary.json"],
    );
    assert.equal(modified.signature_status, "verified");
    const missing = await verifyEvidencePack(await rezip(zip, { "regress_summary.json": null }));
    assert.equal(missing.ok, false);
    assert.deepEqual(missing.missing_files, ["regress_summary.json"]);
  });

  it("accepts a file the manifest does not declare (the contract), and reports it", async () => {
    const { zip } = await packOf();
    const result = await verifyEvidencePack(await rezip(zip, { "notes/extra.txt": "slipped in" }), {
      verifyKey: verifyKeyFor(PACK_KEY),
      requireSignature: true,
    });
    assert.equal(result.ok, true);
    assert.deepEqual(result.undeclared_files, ["notes/extra.txt"]);
    assert.match(result.warnings[0]!, /notes\/extra\.txt is in the zip but not declared/);
  });

  it("a manifest changed after signing fails its signature; a pack_id off the rule is only a warning", async () => {
    const { zip, manifest } = await packOf();
    const edited = await rezip(zip, {
      "pack_manifest.json": canonicalize({ ...manifest, case_id: "INC-8" }),
    });
    const result = await verifyEvidencePack(edited, { verifyKey: verifyKeyFor(PACK_KEY) });
    assert.equal(result.signature_status, "failed");
    assert.equal(result.ok, false);
    const unsigned = assembleEvidencePack(await fullSources());
    const { signatures: _none, ...rest } = unsigned.manifest;
    const offRule = await rezip(await packZip(unsigned.files), {
      "pack_manifest.json": canonicalize({ ...rest, pack_id: "pack_0000000000000000" }),
    });
    const warned = await verifyEvidencePack(offRule);
    assert.equal(warned.ok, true);
    assert.match(warned.warnings.join("\n"), /pack_id pack_0000000000000000 does not follow the guard rule/);
  });

  it("refuses duplicate entries and other zip damage through the strict reader (exit 2)", async () => {
    const manifest = (await packOf()).files.find((f) => f.path === "pack_manifest.json")!.data;
    const duplicate = craftZip([
      { name: "pack_manifest.json", data: manifest },
      { name: "trace_summary.json", data: Buffer.from("{}") },
      { name: "trace_summary.json", data: Buffer.from("{}") },
    ]);
    await assert.rejects(verifyEvidencePack(duplicate), (error: unknown) => {
      assert.ok(error instanceof GaitError);
      assert.equal(error.exitCode, 2, error.code);
      return true;
    });
    await rejects(verifyEvidencePack(Buffer.from("not a zip")), "pack_not_zip", 6);
    await rejects(
      verifyEvidencePack(await packZip([{ path: "a.json", data: Buffer.from("{}") }])),
      "guard_manifest_missing",
      2,
    );
  });

  it("gait's pack verifier hands guard packs to it and reports them as evidence packs", async () => {
    const { zip } = await packOf();
    const result = await verifyPack(zip, {
      verifyKey: verifyKeyFor(PACK_KEY),
      guardVerifier: verifyEvidencePack,
    });
    assert.equal(result.ok, true);
    assert.equal(result.legacy_type, "evidence_pack");
    assert.equal(result.pack_type, "evidence");
    assert.equal(result.source_ref, "run_sample");
    assert.equal(result.signature_status, "verified");
    const extra = await verifyPack(await rezip(zip, { "x.txt": "x" }), { guardVerifier: verifyEvidencePack });
    assert.equal(extra.ok, true, "undeclared files do not fail a guard pack there either");
  });
});

describe("guard pack: build edge", () => {
  const temp = tempDir("gait-guard-build-");
  after(() => temp.cleanup());
  const dir = temp.dir;
  const write = (name: string, value: unknown) => {
    writeFileSync(
      join(dir, name),
      typeof value === "string" || Buffer.isBuffer(value) ? value : JSON.stringify(value, null, 2),
    );
    return name;
  };
  const base = { cwd: dir, env: {} };

  it("reads, checks, writes beside the runpack and re-verifies; inputs given twice count once", async () => {
    write("runpack_run_sample.zip", (await sampleRunpack()).zip);
    const traceFile = write("trace_1.json", trace({}, TRACE_KEY));
    write("trace_copy.json", readFileSync(join(dir, traceFile)));
    const warnings: string[] = [];
    const built = await buildEvidencePack({
      ...base,
      run: "runpack_run_sample.zip",
      traces: [traceFile, "trace_copy.json"],
      regress: [write("regress_result.json", regressResult([["run_sample/diff", "pass"]]))],
      approvalAudits: [write("audit.json", approvalAudit())],
      inventories: [write("snap.json", snapshot([{ id: "t", kind: "tool", name: "tool.search" }]))],
      traceKeys: { verifyKey: verifyKeyFor(TRACE_KEY) },
      signing: { mode: "dev" },
      warn: (m) => warnings.push(m),
    });
    assert.equal(built.path, join(dir, `evidence_pack_${built.manifest.pack_id}.zip`));
    assert.equal(built.signatureStatus, "signed");
    assert.match(warnings.join("\n"), /trace_copy\.json has the same content as trace_1\.json/);
    assert.match(warnings.join("\n"), /dev mode/);
    assert.deepEqual(built.warnings, warnings);
    assert.equal(built.documents.traces.traces_total, 1);
    assert.equal(built.documents.traces.traces[0]!.signature_status, "verified");
    assert.equal(built.documents.traces.traces[0]!.source.file, "trace_1.json");
    const stored = parseGuardManifest((await entriesOf(readFileSync(built.path))).get("pack_manifest.json")!);
    assert.deepEqual(stored, built.manifest);
    assert.equal(
      built.documents.runpack.source.sha256,
      sha256Hex(readFileSync(join(dir, "runpack_run_sample.zip"))),
    );
  });

  /** A record with only the fields bound to a trace, none of its own kind's. */
  const traceBound = (schemaId: string) => ({
    schema_id: schemaId,
    schema_version: "1.0.0",
    created_at: "2026-02-01T10:00:00Z",
    producer_version: PRODUCER,
    trace_id: "trace_1",
    tool_name: "tool.write",
  });

  it("refuses inputs that are not what they claim, naming the file (exit 6), and a trace whose signature fails (exit 2)", async () => {
    write("runpack_run_sample.zip", (await sampleRunpack()).zip);
    const run = "runpack_run_sample.zip";
    const cases: Array<[Partial<Parameters<typeof buildEvidencePack>[0]>, string]> = [
      [{ traces: [write("bad_trace.json", { ...trace(), verdict: "maybe" })] }, "guard_trace_invalid"],
      [{ traces: [write("not_json.json", "{")] }, "guard_trace_invalid"],
      [{ regress: [write("bad_regress.json", trace())] }, "guard_regress_invalid"],
      [
        { approvalAudits: [write("bad_audit.json", { ...approvalAudit(), approved: "yes" })] },
        "guard_approval_audit_invalid",
      ],
      [
        { inventories: [write("bad_snap.json", { ...snapshot([]), items: [{ id: "x" }] })] },
        "guard_inventory_invalid",
      ],
      // The fields a pack reads are not enough: these records are checked against their full schemas.
      [
        {
          credentialEvidence: [
            write("bad_credential.json", traceBound("gait.gate.broker_credential_record")),
          ],
        },
        "guard_credential_evidence_invalid",
      ],
      [
        { delegationAudits: [write("bad_delegation.json", traceBound("gait.gate.delegation_audit_record"))] },
        "guard_delegation_audit_invalid",
      ],
      [{ traces: ["no_such_trace.json"] }, "file_not_found"],
    ];
    for (const [request, code] of cases) {
      const error = await rejects(buildEvidencePack({ ...base, run, ...request }), code, 6);
      if (code !== "file_not_found") assert.match(error.message, /bad_|not_json/);
    }
    const forged = write("forged_trace.json", { ...trace(), verdict: "block" });
    const error = await rejects(
      buildEvidencePack({
        ...base,
        run,
        traces: [forged],
        traceKeys: { verifyKey: verifyKeyFor(TRACE_KEY) },
      }),
      "guard_trace_signature_failed",
      2,
    );
    assert.match(error.message, /forged_trace\.json/);
    // Another signer's trace is skipped, not refused, when only the project's key was found.
    const skipped = await buildEvidencePack({
      ...base,
      run,
      traces: [forged],
      traceKeys: { defaultKey: verifyKeyFor(OTHER_KEY) },
      out: "skipped.zip",
    });
    assert.equal(skipped.documents.traces.traces[0]!.signature_status, "skipped");
    await rejects(buildEvidencePack({ ...base, run, out: run }), "guard_output_is_input", 6);
  });
});

describe("guard pack: gait pack diff", () => {
  const diffOf = async (left: Buffer, right: Buffer) => {
    const { diffPacks } = await import("../../src/pack/index.ts");
    return diffPacks(left, right, { guardVerifier: verifyEvidencePack });
  };

  it("compares a guard pack's declared files and its manifest, not only its pack_id", async () => {
    const sources = await fullSources();
    const base = await packZip(assembleEvidencePack(sources, PACK_KEY).files);
    const same = await diffOf(base, base);
    assert.equal(same.summary.changed, false);
    assert.equal(same.summary.manifest_delta, false);

    // A case id changes the manifest only (the pack_id covers run_id and contents).
    const withCase = await packZip(assembleEvidencePack({ ...sources, caseId: "case-42" }, PACK_KEY).files);
    const caseDiff = await diffOf(base, withCase);
    assert.equal(caseDiff.left_pack_id, caseDiff.right_pack_id);
    assert.equal(caseDiff.summary.changed, true);
    assert.equal(caseDiff.summary.manifest_delta, true);
    assert.deepEqual(caseDiff.summary.changed_files, ["pack_manifest.json"]);

    // One fewer trace: the trace summary (and what points at it) changes, file by file.
    const fewer = await packZip(
      assembleEvidencePack({ ...sources, traces: sources.traces.slice(1) }, PACK_KEY).files,
    );
    const traceDiff = await diffOf(base, fewer);
    assert.equal(traceDiff.summary.changed, true);
    assert.ok(
      traceDiff.summary.changed_files?.includes("trace_summary.json"),
      JSON.stringify(traceDiff.summary),
    );
  });
});
