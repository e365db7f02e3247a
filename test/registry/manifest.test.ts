/** The registry's pure core: artifact path rules, version order, pack and index digests and signatures. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { digestJcs } from "../../src/contract/canonical.ts";
import { generateSigningKey, verifyKeyFor } from "../../src/contract/signing.ts";
import {
  artifactPathProblem,
  compareVersions,
  parseRegistryIndex,
  parseRegistryPack,
  registryIndexDigest,
  registryPackDigest,
  signRegistryIndex,
  signRegistryPack,
  verifyRegistryIndex,
  verifyRegistryPack,
} from "../../src/registry/manifest.ts";
import type { RegistryIndex, RegistryPack } from "../../src/registry/types.ts";

const pack: RegistryPack = {
  schema_id: "gait.registry.pack",
  schema_version: "1.0.0",
  created_at: "2026-01-01T00:00:00Z",
  producer_version: "0.1.0",
  pack_name: "baseline",
  pack_version: "1.0.0",
  pack_type: "policy",
  publisher: "acme",
  artifacts: [{ path: "policy.yaml", sha256: "a".repeat(64) }],
};

describe("registry core", () => {
  it("accepts plain relative artifact paths only", () => {
    for (const ok of ["policy.yaml", "docs/a.md", ".hidden/x"])
      assert.equal(artifactPathProblem(ok), undefined, ok);
    for (const bad of [
      "",
      "/etc/passwd",
      "../x",
      "a/../../x",
      "a//b",
      "./a",
      "a\\b",
      "C:/x",
      "a\u0000b",
      "registry_pack.json",
    ]) {
      assert.notEqual(artifactPathProblem(bad), undefined, JSON.stringify(bad));
    }
  });

  it("orders semantic versions, a pre-release below its release", () => {
    const sorted = ["1.10.0", "1.2.0", "1.2.0-rc.1", "1.2.0-rc.10", "1.2.0-rc.2", "0.9.9", "1.2.0-beta"].sort(
      compareVersions,
    );
    assert.deepEqual(sorted, [
      "0.9.9",
      "1.2.0-beta",
      "1.2.0-rc.1",
      "1.2.0-rc.2",
      "1.2.0-rc.10",
      "1.2.0",
      "1.10.0",
    ]);
  });

  it("digests the pack without signatures and verifies its signature over the 32 raw digest bytes", () => {
    const key = generateSigningKey();
    const signed = signRegistryPack(pack, key);
    assert.equal(registryPackDigest(signed), digestJcs(pack));
    assert.equal(signed.signatures?.[0]?.signed_digest, digestJcs(pack));
    const reread = parseRegistryPack(JSON.stringify(signed));
    assert.equal(verifyRegistryPack(reread, verifyKeyFor(key), "pack"), digestJcs(pack));
    assert.throws(() => verifyRegistryPack(reread, verifyKeyFor(generateSigningKey()), "pack"), {
      code: "registry_signature_invalid",
    });
    assert.throws(() => verifyRegistryPack(pack, verifyKeyFor(key), "pack"), { code: "registry_unsigned" });
    const tampered = parseRegistryPack(JSON.stringify({ ...signed, risk_class: "low" }));
    assert.throws(() => verifyRegistryPack(tampered, verifyKeyFor(key), "pack"), {
      code: "registry_signature_invalid",
    });
  });

  it("normalizes as the reference does and rejects what the schema does not allow", () => {
    const read = parseRegistryPack(JSON.stringify({ ...pack, publisher: " ACME ", pack_type: "Policy" }));
    assert.equal(read.publisher, "acme");
    assert.equal(read.pack_type, "policy");
    assert.throws(() => parseRegistryPack(JSON.stringify({ ...pack, extra: 1 })), {
      code: "registry_manifest_invalid",
    });
    assert.throws(
      () => parseRegistryPack(JSON.stringify({ ...pack, pack_type: "skill", source: undefined })),
      {
        code: "registry_manifest_invalid",
      },
    );
    assert.throws(
      () =>
        parseRegistryPack(JSON.stringify({ ...pack, artifacts: [{ path: "../x", sha256: "a".repeat(64) }] })),
      { code: "registry_artifact_path_invalid" },
    );
    assert.throws(() => parseRegistryPack(JSON.stringify({ ...pack, schema_version: "2.0.0" })), {
      code: "registry_manifest_invalid",
    });
  });

  it("signs and verifies the index", () => {
    const key = generateSigningKey();
    const index: RegistryIndex = {
      schema_id: "gait.registry.index",
      schema_version: "1.0.0",
      updated_at: "2026-01-01T00:00:00Z",
      producer_version: "0.1.0",
      packs: [
        {
          pack_name: "baseline",
          pack_version: "1.0.0",
          digest: digestJcs(pack),
          metadata_path: "packs/baseline/1.0.0/registry_pack.json",
        },
      ],
    };
    const signed = parseRegistryIndex(JSON.stringify(signRegistryIndex(index, key)));
    assert.equal(registryIndexDigest(signed), digestJcs(index));
    verifyRegistryIndex(signed, verifyKeyFor(key));
    assert.throws(() => verifyRegistryIndex(index, verifyKeyFor(key)), { code: "registry_index_unsigned" });
    assert.throws(() => verifyRegistryIndex(signed, verifyKeyFor(generateSigningKey())), {
      code: "registry_index_signature_invalid",
    });
    const moved = { ...signed, packs: [{ ...signed.packs[0]!, digest: "b".repeat(64) }] };
    assert.throws(() => verifyRegistryIndex(moved, verifyKeyFor(key)), {
      code: "registry_index_signature_invalid",
    });
  });
});
