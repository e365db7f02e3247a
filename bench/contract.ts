/**
 * Foundation benchmarks: canonical JSON + digest, Ed25519, zip write and verified read, each
 * beside the raw floor on the same machine (node:crypto sha256, zlib inflate alone).
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { canonicalize, digestJcs } from "../src/contract/canonical.ts";
import { generateSigningKey, signJson, verifyJson, verifyKeyFor } from "../src/contract/signing.ts";
import { readZip, writeZip } from "../src/contract/zip.ts";
import { type BenchRow, medianMs, opsPerSecond, percentile } from "./lib.ts";

/** A realistic ~2 KB intent request. */
export function sampleIntent(): Record<string, unknown> {
  return {
    schema_id: "gait.gate.intent_request",
    schema_version: "1.0.0",
    created_at: "2026-02-18T00:00:00Z",
    producer_version: "0.1.0",
    tool_name: "tool.write",
    args: {
      path: "/srv/app/config/settings.yaml",
      content: "x".repeat(900),
      mode: "0644",
      options: { create_dirs: true, backup: false, encoding: "utf-8", tags: ["deploy", "config", "prod"] },
    },
    targets: [
      { kind: "path", value: "/srv/app/config/settings.yaml", operation: "write", sensitivity: "internal" },
      { kind: "host", value: "https://api.example.com/v1/notify", operation: "post" },
    ],
    arg_provenance: [
      { arg_path: "$.path", source: "user" },
      { arg_path: "$.content", source: "tool_output", source_ref: "tool.fetch#3" },
    ],
    context: {
      identity: "agent.deployer",
      workspace: "/srv/app",
      risk_class: "high",
      session_id: "sess-0001",
      run_id: "run_bench",
      environment: "prod",
      credential_scopes: ["deploy:write", "config:read"],
    },
  };
}

function floorSha256(bytes: Buffer): number {
  return opsPerSecond(() => createHash("sha256").update(bytes).digest());
}

export async function benchContract(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const intent = sampleIntent();
  const size = Buffer.byteLength(canonicalize(intent));
  rows.push({
    name: "canonicalize+digest (2 KB intent)",
    value: opsPerSecond(() => digestJcs(intent)),
    unit: "ops/s",
    note: `${size} B canonical; target >= 50,000`,
  });
  rows.push({
    name: "  floor: sha256 of the same bytes",
    value: floorSha256(Buffer.from(canonicalize(intent))),
    unit: "ops/s",
  });

  const key = generateSigningKey();
  const verifyKey = verifyKeyFor(key);
  const signable = { trace_id: "abc", verdict: "allow", intent_digest: "1".repeat(64) };
  const envelope = signJson(key, signable);
  rows.push({ name: "ed25519 signJson", value: opsPerSecond(() => signJson(key, signable)), unit: "ops/s" });
  rows.push({
    name: "ed25519 verifyJson",
    value: opsPerSecond(() => verifyJson(verifyKey, signable, envelope)),
    unit: "ops/s",
  });

  rows.push(...(await benchZip()));
  return rows;
}

async function benchZip(): Promise<BenchRow[]> {
  const mb = 100;
  // Compressible but not trivial: JSON-like lines with random ids (about 3:1 with deflate).
  const line = () =>
    `{"id":"${randomBytes(8).toString("hex")}","status":"ok","payload":"${"abcdefgh".repeat(6)}"}\n`;
  const chunks: string[] = [];
  let total = 0;
  while (total < mb * 1024 * 1024) {
    const l = line();
    chunks.push(l);
    total += l.length;
  }
  const data = Buffer.from(chunks.join(""));
  const megabytes = data.length / (1024 * 1024);
  const dir = mkdtempSync(join(tmpdir(), "gait-bench-"));
  try {
    let archive: Buffer = Buffer.alloc(0);
    const writeMs = await medianMs(async () => {
      archive = await writeZip([{ path: "results.jsonl", data }]);
    }, 3);
    const zipPath = join(dir, "big.zip");
    writeFileSync(zipPath, archive);
    const compressed = deflateRawSync(data, { level: 5 });
    // Interleave the two measurements so both see the same machine state (page cache, GC, noise).
    const readTimes: number[] = [];
    const floorTimes: number[] = [];
    for (let round = 0; round < 7; round++) {
      let t0 = performance.now();
      await readZip(zipPath, { maxEntryBytes: 200 * 1024 * 1024 });
      readTimes.push(performance.now() - t0);
      t0 = performance.now();
      createHash("sha256").update(inflateRawSync(compressed)).digest();
      floorTimes.push(performance.now() - t0);
    }
    const readMs = percentile(readTimes, 50);
    const floorMs = percentile(floorTimes, 50);
    const readRate = megabytes / (readMs / 1000);
    const floorRate = megabytes / (floorMs / 1000);
    return [
      {
        name: `zip write (${megabytes.toFixed(0)} MB entry)`,
        value: megabytes / (writeMs / 1000),
        unit: "MB/s",
      },
      {
        name: "zip verified read (inflate+sha256)",
        value: readRate,
        unit: "MB/s",
        note: `${((readRate / floorRate) * 100).toFixed(0)}% of floor; target >= 50%`,
      },
      { name: "  floor: zlib inflateRaw + sha256", value: floorRate, unit: "MB/s" },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
