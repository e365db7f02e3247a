/**
 * Pack benchmarks (issue 15): build and verify a run pack around a ~50 MB runpack (raw capture,
 * one incompressible result payload), in MB/s of runpack content, each beside its floor measured
 * in the same interleaved rounds:
 * - verify's floor is the zip read floor: zlib inflateRaw + sha256 of every entry verify reads
 *   (the pack's entries, and its source runpack's, whose records verify re-derives the payload from);
 * - build's floor is every byte operation building must do: read the source runpack (inflate +
 *   sha256), deflate (level 5, the writer's) its entries again and then the pack's entries, and
 *   read the written pack as verify does (build re-verifies what it wrote).
 * Prints nothing; `npm run bench` renders the rows.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { fixedClock } from "../src/contract/time.ts";
import { readZip } from "../src/contract/zip.ts";
import { buildRunPack, verifyPack } from "../src/pack/index.ts";
import { buildRunpack, runpackZip } from "../src/runpack/index.ts";
import { type BenchRow, percentile } from "./lib.ts";
import { bigPayloadInput } from "./runpack.ts";

const PAYLOAD_BYTES = 50_000_000;
const ROUNDS = 3;

const inflateAndHash = (compressed: readonly Buffer[]) => {
  for (const data of compressed) createHash("sha256").update(inflateRawSync(data)).digest();
};
const deflateAll = (entries: readonly Buffer[]) => entries.map((data) => deflateRawSync(data, { level: 5 }));

async function timed(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export async function benchPack(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "gait-bench-pack-"));
  try {
    const built = buildRunpack(bigPayloadInput(PAYLOAD_BYTES, "run_bench_pack"), {
      clock: fixedClock("2026-02-05T00:00:00Z"),
      environment: { os: "linux", arch: "amd64", runtime: "node" },
    });
    const runpackPath = join(dir, "runpack_run_bench_pack.zip");
    writeFileSync(runpackPath, await runpackZip(built.entries));
    const megabytes = built.entries.reduce((sum, entry) => sum + entry.data.length, 0) / 1e6;
    const options = { cwd: dir, env: {}, out: "pack.zip" };
    const packPath = (await buildRunPack(runpackPath, options)).path;
    // The bytes each floor works on, compressed once up front as the writer compresses them.
    const runpackEntries = built.entries.map((entry) => entry.data);
    const packEntries = (await readZip(packPath)).entries.map((entry) => entry.data);
    const runpackCompressed = deflateAll(runpackEntries);
    const readCompressed = [...deflateAll(packEntries), ...runpackCompressed];
    const times = {
      build: [] as number[],
      verify: [] as number[],
      read: [] as number[],
      write: [] as number[],
    };
    for (let round = -1; round < ROUNDS; round++) {
      const build = await timed(() => buildRunPack(runpackPath, options));
      const verify = await timed(async () => {
        if (!(await verifyPack(packPath)).ok) throw new Error("bench pack failed verification");
      });
      const read = await timed(() => inflateAndHash(readCompressed));
      const write = await timed(() => {
        inflateAndHash(runpackCompressed); // read the source runpack
        deflateAll(runpackEntries); // re-zip it
        deflateAll(packEntries); // zip the pack
        inflateAndHash(readCompressed); // re-verify what was written
      });
      if (round < 0) continue; // warm-up
      times.build.push(build);
      times.verify.push(verify);
      times.read.push(read);
      times.write.push(write);
    }
    const rate = (samples: number[]) => megabytes / (percentile(samples, 50) / 1000);
    const readFloor = { name: "zip read floor", value: rate(times.read) };
    const buildFloor = { name: "read+write floor", value: rate(times.write) };
    const packMb = readFileSync(packPath).length / 1e6;
    return [
      {
        name: `pack verify (${megabytes.toFixed(0)} MB runpack, ${packMb.toFixed(0)} MB zip)`,
        value: rate(times.verify),
        unit: "MB/s",
        floor: { ...readFloor, higherIsBetter: true },
        note: "also parses the source runpack's records, which the floor does not",
      },
      {
        name: "  floor: inflateRaw + sha256 of the pack's and its runpack's entries",
        value: readFloor.value,
        unit: "MB/s",
      },
      {
        name: `pack build (same runpack)`,
        value: rate(times.build),
        unit: "MB/s",
        floor: { ...buildFloor, higherIsBetter: true },
        note: "reads the runpack, re-zips it, zips the pack, re-verifies it",
      },
      {
        name: "  floor: the same inflates, deflates (level 5) and sha256s",
        value: buildFloor.value,
        unit: "MB/s",
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
