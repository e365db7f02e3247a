/**
 * The byte-flip test (issue 15 acceptance): every byte position of a small run pack is flipped —
 * each of its 8 bits alone, and all 8 at once — and the pack verified. Each variant must exit 2
 * (verification failed), or else verify exactly as before (exit 0) with every reader seeing the
 * same content: our strict zip reader and Python's `zipfile` must list the original entries with
 * the original bytes. Exit 6 (not a zip) is never acceptable for a damaged pack. Python reads all
 * accepted variants in one batched call; without python3 that half is skipped visibly (a failure
 * under CI=true).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GaitError } from "../../src/contract/errors.ts";
import { exitForCheck } from "../../src/contract/exit.ts";
import { readZip } from "../../src/contract/zip.ts";
import { verifyPack } from "../../src/pack/index.ts";
import { pythonOrSkip, pythonRead } from "../helpers/python-zipfile.ts";
import { runPackOf } from "./fixtures.ts";

const FLIPS = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff];

interface Variant {
  position: number;
  mask: number;
  zip: Buffer;
}

/** The CLI's exit code for a verification: the result's, or the thrown error's. */
async function verifyExit(zip: Buffer): Promise<{ exit: number; detail: string }> {
  try {
    const result = await verifyPack(zip);
    return { exit: exitForCheck(result.ok), detail: result.ok ? "ok" : "failed" };
  } catch (error) {
    if (!(error instanceof GaitError)) throw error;
    return { exit: error.exitCode, detail: `${error.code}: ${error.message}` };
  }
}

/** `[name, sha256]` of every file entry, in central-directory order. */
async function ourView(zip: Buffer): Promise<[string, string][]> {
  const { entries } = await readZip(zip);
  return entries.map((entry) => [entry.path, entry.sha256]);
}

describe("pack byte flips", async () => {
  const { zip: original } = await runPackOf();
  const originalView = await ourView(original);
  const accepted: Variant[] = [];

  it(`every single-bit and whole-byte flip of a ${original.length}-byte pack exits 2 or changes nothing anyone reads`, async () => {
    assert.equal((await verifyExit(original)).exit, 0);
    const wrong: string[] = [];
    for (let position = 0; position < original.length; position++) {
      for (const mask of FLIPS) {
        const zip = Buffer.from(original);
        zip[position]! ^= mask;
        const { exit, detail } = await verifyExit(zip);
        if (exit === 2) continue;
        if (exit !== 0) {
          wrong.push(`byte ${position} ^0x${mask.toString(16)}: exit ${exit} (${detail})`);
          continue;
        }
        assert.deepEqual(
          await ourView(zip),
          originalView,
          `byte ${position} ^0x${mask.toString(16)} verified with other content`,
        );
        accepted.push({ position, mask, zip });
      }
    }
    assert.deepEqual(wrong, []);
    // Some flips land in bytes no reader interprets (DOS times, permission bits, unused deflate
    // padding): they verify, and the next test shows no reader sees a difference.
    assert.ok(accepted.length < original.length, `${accepted.length} accepted variants`);
  });

  it("Python's zipfile reads every accepted variant exactly as the original", (t) => {
    if (!pythonOrSkip(t, "the byte-flip comparison with Python's zipfile")) return;
    const [expected, ...views] = pythonRead([original, ...accepted.map((v) => v.zip)]);
    assert.deepEqual(expected, { ok: true, files: originalView });
    const differing = views
      .map((view, i) => ({ view, variant: accepted[i]! }))
      .filter(({ view }) => JSON.stringify(view) !== JSON.stringify(expected))
      .map(
        ({ view, variant }) =>
          `byte ${variant.position} ^0x${variant.mask.toString(16)}: ${JSON.stringify(view)}`,
      );
    assert.deepEqual(differing, []);
  });
});
