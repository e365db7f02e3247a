/**
 * The page's verifier against `gait pack verify`'s (src/pack): on packs Gait itself assembles
 * (run and job packs with hash-chained proof records, signed), both must give the same verdict,
 * for the pack as built, for content-level tampering (an entry changed, added, removed, the
 * manifest edited and re-hashed) and for every single-byte change of the zip.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { canonicalize, digestJcs } from "../../src/contract/canonical.ts";
import { GaitError } from "../../src/contract/errors.ts";
import { verifyKeyFor } from "../../src/contract/signing.ts";
import { readZip, writeZip } from "../../src/contract/zip.ts";
import { assembleEvidencePack, verifyEvidencePack } from "../../src/guard/index.ts";
import { assemblePack, jobPackFiles, runPackFiles, verifyPack } from "../../src/pack/index.ts";
import { createPackVerifier } from "../../src/pack/view/verifier.ts";
import { runpackZip } from "../../src/runpack/index.ts";
import { fullSources } from "../guard/fixtures.ts";
import { build } from "../runpack/fixtures.ts";
import { TEST_KEY } from "./view-fixtures.ts";

const verifier = createPackVerifier();
const verifyKey = verifyKeyFor(TEST_KEY);
const publicKey = TEST_KEY.publicRaw.toString("base64");

async function gaitRunPack(editPayload?: (payload: Record<string, unknown>) => void): Promise<Buffer> {
  const built = build();
  const payload = runPackFiles(built.runpack, await runpackZip(built.entries));
  if (editPayload) {
    const value = JSON.parse(payload[0]!.data.toString());
    editPayload(value);
    payload[0] = { ...payload[0]!, data: Buffer.from(canonicalize(value)) };
  }
  const { files } = assemblePack({ packType: "run", sourceRef: built.runpack.run.run_id }, payload, TEST_KEY);
  return writeZip(files.map((f) => ({ path: f.path, data: f.data })));
}

const JOB_STATE = {
  job_id: "job_view",
  status: "completed",
  stop_reason: "completed",
  status_reason_code: "job_completed",
  environment_fingerprint: "env:1f2e",
  created_at: "2026-02-05T00:00:00.500Z",
  checkpoints: [{ checkpoint_id: "cp_1" }, { checkpoint_id: "cp_2" }],
  approvals: [{ approver: "alice" }],
};

async function gaitJobPack(state: Record<string, unknown> = JOB_STATE): Promise<Buffer> {
  const payload = jobPackFiles({
    job_id: "job_view",
    state: JOB_STATE,
    events: [{ type: "submitted" }, { type: "completed" }],
  });
  // The state shipped may differ from the one the payload was derived from (a forged state).
  payload[1] = { ...payload[1]!, data: Buffer.from(canonicalize(state)) };
  const { files } = assemblePack({ packType: "job", sourceRef: "job_view" }, payload, TEST_KEY);
  return writeZip(files.map((f) => ({ path: f.path, data: f.data })));
}

/** `gait pack verify`'s verdict: ok, or not (a GaitError is a failure too). */
async function theirs(zip: Buffer): Promise<boolean> {
  try {
    return (await verifyPack(zip, { verifyKey })).ok;
  } catch (error) {
    if (error instanceof GaitError) return false;
    throw error;
  }
}

async function ours(zip: Buffer): Promise<boolean> {
  const report = await verifier.verifyPack(new Uint8Array(zip), { publicKey });
  return report.status === "verified";
}

async function rezip(zip: Buffer, change: (files: Map<string, Buffer>) => void): Promise<Buffer> {
  const files = new Map((await readZip(zip)).entries.map((e) => [e.path, e.data]));
  change(files);
  return writeZip([...files].map(([path, data]) => ({ path, data })));
}

describe("pack view verifier agrees with gait pack verify", () => {
  it("verifies a signed run pack Gait assembled, proof records included", async () => {
    const zip = await gaitRunPack();
    assert.equal(await theirs(zip), true);
    const report = await verifier.verifyPack(new Uint8Array(zip), { publicKey });
    assert.equal(report.status, "verified", JSON.stringify(report.problems));
    assert.deepEqual(report.proof, { records: 2, ok: true, problems: [] });
    assert.equal(report.signature?.status, "verified");
  });

  it("fails, as pack verify does, every content-level change", async () => {
    const zip = await gaitRunPack();
    const manifestOf = (files: Map<string, Buffer>) =>
      JSON.parse(files.get("pack_manifest.json")!.toString());
    const cases: Record<string, (files: Map<string, Buffer>) => void> = {
      "payload changed": (f) => f.set("run_payload.json", Buffer.from(canonicalize({ run_id: "x" }))),
      "proof records changed": (f) => f.set("proof_records.jsonl", Buffer.from("{}")),
      "file added": (f) => f.set("notes.txt", Buffer.from("later")),
      "file removed": (f) => f.delete("source/runpack.zip"),
      "manifest edited, pack_id redone, old signature kept": (f) => {
        const m = manifestOf(f);
        m.producer_version = "6.6.6";
        m.pack_id = digestJcs({ ...m, pack_id: "", signatures: undefined });
        f.set("pack_manifest.json", Buffer.from(canonicalize(m)));
      },
      "signature dropped": (f) => {
        const m = manifestOf(f);
        m.signatures = [{ ...m.signatures[0], sig: Buffer.alloc(64).toString("base64") }];
        f.set("pack_manifest.json", Buffer.from(canonicalize(m)));
      },
    };
    const lying = await gaitRunPack((p) => {
      p.results_count = 7;
    });
    assert.deepEqual(
      [await theirs(lying), await ours(lying)],
      [false, false],
      "payload not derived from its source",
    );
    for (const [label, change] of Object.entries(cases)) {
      const changed = await rezip(zip, change);
      assert.deepEqual([await theirs(changed), await ours(changed)], [false, false], label);
    }
  });

  it("verifies a signed job pack Gait assembled, and fails one whose state says otherwise", async () => {
    const zip = await gaitJobPack();
    assert.equal(await theirs(zip), true);
    const report = await verifier.verifyPack(new Uint8Array(zip), { publicKey });
    assert.equal(report.status, "verified", JSON.stringify(report.problems));
    const forged = await gaitJobPack({ ...JOB_STATE, status: "blocked" });
    assert.deepEqual([await theirs(forged), await ours(forged)], [false, false]);
    const problems = (await verifier.verifyPack(new Uint8Array(forged), { publicKey })).problems;
    assert.deepEqual(
      problems.map((p) => [p.code, p.path, p.message]),
      [["payload_mismatch", "job_payload.json", "does not describe job_state.json (status differ)"]],
    );
  });

  it("gives the same verdict for every single-byte change of the zip", { timeout: 300_000 }, async () => {
    const zip = await gaitRunPack();
    const disagreements: string[] = [];
    let unnoticed = 0;
    for (let i = 0; i < zip.length; i++) {
      const mutated = Buffer.from(zip);
      mutated[i] = mutated[i]! ^ 0x20;
      const [a, b] = [await theirs(mutated), await ours(mutated)];
      if (a !== b) disagreements.push(`byte ${i}: pack verify ${a}, page ${b}`);
      if (b) unnoticed++;
    }
    assert.deepEqual(disagreements, []);
    // What neither notices are bytes no reader uses (DOS time fields, the extra field's flags...).
    assert.ok(unnoticed < zip.length / 10, `${unnoticed} of ${zip.length}`);
  });

  it("gives the same verdict for single-byte changes of a job pack (every third byte)", {
    timeout: 300_000,
  }, async () => {
    const zip = await gaitJobPack();
    const disagreements: string[] = [];
    for (let i = 0; i < zip.length; i += 3) {
      const mutated = Buffer.from(zip);
      mutated[i] = mutated[i]! ^ 0x01;
      const [a, b] = [await theirs(mutated), await ours(mutated)];
      if (a !== b) disagreements.push(`byte ${i}: pack verify ${a}, page ${b}`);
    }
    assert.deepEqual(disagreements, []);
  });
});

describe("pack view verifier agrees with gait guard verify", () => {
  async function gaitEvidencePack(): Promise<Buffer> {
    const { files } = assembleEvidencePack(await fullSources(), TEST_KEY);
    return writeZip(files.map((f) => ({ path: f.path, data: f.data })));
  }

  async function guardVerdict(zip: Buffer): Promise<boolean> {
    try {
      return (await verifyEvidencePack(zip, { verifyKey })).ok;
    } catch (error) {
      if (error instanceof GaitError) return false;
      throw error;
    }
  }

  it("verifies a signed evidence pack Gait assembled, with its control index", async () => {
    const zip = await gaitEvidencePack();
    assert.equal(await guardVerdict(zip), true);
    const report = await verifier.verifyPack(new Uint8Array(zip), { publicKey });
    assert.equal(report.status, "verified", JSON.stringify(report.problems));
    assert.equal(report.kind, "guard");
    assert.equal(report.pack_id?.matches, true);
    assert.equal(report.signature?.status, "verified");
    assert.ok(report.control_index.length > 0);
    for (const control of report.control_index) {
      for (const path of control.evidence_paths) {
        assert.equal(
          report.entries.find((e) => e.path === path)?.state,
          "ok",
          `${control.control_id}: ${path}`,
        );
      }
    }
  });

  it("agrees on content changes: modified, missing, undeclared (accepted), manifest edited after signing", async () => {
    const zip = await gaitEvidencePack();
    const cases: Record<string, [(files: Map<string, Buffer>) => void, boolean]> = {
      modified: [(f) => f.set("trace_summary.json", Buffer.from("{}")), false],
      missing: [(f) => f.delete("regress_summary.json"), false],
      undeclared: [(f) => f.set("notes.txt", Buffer.from("added")), true],
      "manifest edited": [
        (f) => {
          const m = JSON.parse(f.get("pack_manifest.json")!.toString());
          m.case_id = "INC-8";
          f.set("pack_manifest.json", Buffer.from(canonicalize(m)));
        },
        false,
      ],
    };
    for (const [label, [change, ok]] of Object.entries(cases)) {
      const changed = await rezip(zip, change);
      assert.deepEqual([await guardVerdict(changed), await ours(changed)], [ok, ok], label);
    }
  });

  it("gives the same verdict for single-byte changes (every seventh byte)", {
    timeout: 300_000,
  }, async () => {
    const zip = await gaitEvidencePack();
    const disagreements: string[] = [];
    for (let i = 0; i < zip.length; i += 7) {
      const mutated = Buffer.from(zip);
      mutated[i] = mutated[i]! ^ 0x08;
      const [a, b] = [await guardVerdict(mutated), await ours(mutated)];
      if (a !== b) disagreements.push(`byte ${i}: guard verify ${a}, page ${b}`);
    }
    assert.deepEqual(disagreements, []);
  });
});
