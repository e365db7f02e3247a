/**
 * The Guard evidence pack manifest (CONTRACTS.md §7.2): the pack_id rule, the signature over the
 * manifest without signatures, the public schema, and the strict parser's refusals.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { canonicalize, digestJcs } from "../../src/contract/canonical.ts";
import { GaitError } from "../../src/contract/errors.ts";
import { signJson, verifyJson, verifyKeyFor } from "../../src/contract/signing.ts";
import {
  buildGuardManifest,
  evidencePointersFor,
  type GuardPackManifest,
  guardContents,
  guardEntryType,
  guardPackIdOf,
  parseGuardManifest,
  signableGuardManifest,
} from "../../src/guard/index.ts";
import { conformanceDir } from "../helpers/conformance.ts";
import { assertPublicValid, publicSchemasSkip } from "../helpers/public-schemas.ts";
import { assertPublishedValid } from "../helpers/published-schemas.ts";
import { PACK_KEY } from "./fixtures.ts";

const files = [
  { path: "trace_summary.json", data: Buffer.from("{}") },
  { path: "runpack_summary.json", data: Buffer.from('{"a":1}') },
  { path: "approval_audit_01.json", data: Buffer.from("[]") },
  { path: "regress_summary.json", data: Buffer.from("{}") },
];
const fields = {
  runId: "run_demo",
  createdAt: "2026-02-05T00:00:00Z",
  producerVersion: "0.0.0-test",
  controls: [{ control_id: "c1", title: "Control", evidence_paths: ["trace_summary.json"] }],
  pointers: evidencePointersFor(guardContents(files)),
  files,
};

function manifestError(fn: () => unknown, code = "guard_manifest_invalid"): GaitError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof GaitError, `not a GaitError: ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.equal(error.exitCode, 2);
    return error;
  }
  assert.fail(`expected ${code}`);
}

const text = (value: unknown) => canonicalize(value);

describe("guard manifest", () => {
  it("lists every entry in byte order, typed by the reference's rule, dated by the run", () => {
    const manifest = buildGuardManifest(fields);
    assert.deepEqual(
      manifest.contents.map((e) => [e.path, e.type]),
      [
        ["approval_audit_01.json", "evidence"],
        ["regress_summary.json", "report"],
        ["runpack_summary.json", "runpack"],
        ["trace_summary.json", "trace"],
      ],
    );
    assert.equal(manifest.created_at, fields.createdAt);
    assert.equal(manifest.generated_at, fields.createdAt);
    assert.deepEqual(
      [
        "control_index.json",
        "evidence_pointers.json",
        "inventory_coverage.json",
        "inventory_snapshot_01.json",
      ].map(guardEntryType),
      ["report", "report", "report", "evidence"],
    );
  });

  it('pack_id is "pack_" + the first 16 hex of DigestJCS({run_id, contents}), nothing else', () => {
    const manifest = buildGuardManifest(fields);
    const expected = `pack_${digestJcs({ run_id: "run_demo", contents: manifest.contents }).slice(0, 16)}`;
    assert.equal(manifest.pack_id, expected);
    assert.equal(guardPackIdOf(manifest.run_id, manifest.contents), expected);
    // case_id, controls, pointers and signatures do not enter it.
    const other = buildGuardManifest({ ...fields, caseId: "INC-1", controls: [], pointers: [] }, (s) =>
      signJson(PACK_KEY, s),
    );
    assert.equal(other.pack_id, expected);
    assert.notEqual(buildGuardManifest({ ...fields, runId: "run_other" }).pack_id, expected);
  });

  it("is signed over the manifest without signatures (pack_id included), and verifies so", () => {
    const manifest = buildGuardManifest(fields, (signable) => signJson(PACK_KEY, signable));
    const signature = manifest.signatures?.[0];
    assert.ok(signature);
    assert.equal(signature.signed_digest, digestJcs(signableGuardManifest(manifest)));
    assert.deepEqual(verifyJson(verifyKeyFor(PACK_KEY), signableGuardManifest(manifest), signature), {
      ok: true,
    });
    assert.equal(
      verifyJson(verifyKeyFor(PACK_KEY), { ...signableGuardManifest(manifest), case_id: "x" }, signature).ok,
      false,
    );
  });

  it("validates against the public v1 schema and the one we publish", { skip: publicSchemasSkip }, () => {
    const unsigned = JSON.parse(text(buildGuardManifest({ ...fields, caseId: "INC-1" })));
    const signed = JSON.parse(text(buildGuardManifest(fields, (s) => signJson(PACK_KEY, s))));
    for (const manifest of [unsigned, signed]) {
      assertPublicValid(manifest, "guard manifest");
      assertPublishedValid(manifest, "guard/pack_manifest.schema.json");
    }
  });

  it("parses what it builds back to the same manifest, and the public sample too", {
    skip: publicSchemasSkip,
  }, () => {
    const manifest = buildGuardManifest({ ...fields, caseId: "INC-1" }, (s) => signJson(PACK_KEY, s));
    assert.deepEqual(parseGuardManifest(text(manifest)), manifest);
    const sample = readFileSync(join(conformanceDir, "testdata", "guard_pack_manifest_valid.json"));
    const parsed = parseGuardManifest(sample);
    assert.equal(parsed.run_id, "run_demo");
    assert.equal(parsed.incident_window?.window_seconds, 1800);
    assert.deepEqual(parsed.rendered_artifacts?.[0]?.format, "pdf");
  });

  it("reads the manifest as Go's struct does: empty optional members dropped, times in Go's rendering", () => {
    const manifest = JSON.parse(text(buildGuardManifest(fields)));
    const parsed = parseGuardManifest(
      text({
        ...manifest,
        created_at: "2026-02-05T01:00:00.500000+01:00",
        case_id: "",
        template_id: null,
        evidence_pointers: [],
        rendered_artifacts: null,
        signatures: [],
      }),
    );
    assert.equal(parsed.created_at, "2026-02-05T01:00:00.5+01:00");
    for (const key of ["case_id", "template_id", "evidence_pointers", "rendered_artifacts", "signatures"])
      assert.equal(key in parsed, false, key);
  });

  it("refuses what no signature would cover or no verifier could read (exit 2, guard_manifest_invalid)", () => {
    const good = JSON.parse(text(buildGuardManifest(fields))) as GuardPackManifest & Record<string, unknown>;
    const entry = good.contents[0]!;
    const cases: Array<[string, unknown]> = [
      ["not json", "{"],
      ["not an object", "[]"],
      ["unknown member", { ...good, extra: 1 }],
      ["wrong schema_id", { ...good, schema_id: "gait.other" }],
      ["wrong version", { ...good, schema_version: "2.0.0" }],
      ["no run_id", { ...good, run_id: "" }],
      ["bad time", { ...good, generated_at: "yesterday" }],
      ["contents not a list", { ...good, contents: {} }],
      ["entry with extra member", { ...good, contents: [{ ...entry, size: 1 }] }],
      ["bad sha256", { ...good, contents: [{ ...entry, sha256: "abc" }] }],
      ["bad type", { ...good, contents: [{ ...entry, type: "json" }] }],
      ["declared twice", { ...good, contents: [entry, entry] }],
      ["declares the manifest", { ...good, contents: [{ ...entry, path: "pack_manifest.json" }] }],
      [
        "pointer with bad type",
        { ...good, evidence_pointers: [{ ...good.evidence_pointers![0]!, type: "blob" }] },
      ],
      ["control without paths", { ...good, control_index: [{ control_id: "c", title: "t" }] }],
      [
        "signature with extra member",
        { ...good, signatures: [{ alg: "ed25519", key_id: "k", sig: "s", x: 1 }] },
      ],
      [
        "window with negative seconds",
        { ...good, incident_window: { from: good.created_at, to: good.created_at, window_seconds: -1 } },
      ],
    ];
    for (const [what, value] of cases) {
      const error = manifestError(() => parseGuardManifest(typeof value === "string" ? value : text(value)));
      assert.match(error.message, /pack_manifest\.json is invalid/, what);
    }
  });

  it("names a PackSpec manifest as such", () => {
    const error = manifestError(() => parseGuardManifest(text({ schema_id: "gait.pack.manifest" })));
    assert.match(error.message, /PackSpec pack/);
    assert.match(error.hint, /gait pack verify/);
  });
});
