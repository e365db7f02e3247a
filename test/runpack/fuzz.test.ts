/** Random and mutated inputs: every outcome is a result or a coded GaitError, never a crash. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { GaitError } from "../../src/contract/errors.ts";
import { runpackZip, verifyRunpack, verifyRunpackEntries } from "../../src/runpack/index.ts";
import { build, sampleInput } from "./fixtures.ts";

function expectCoded(error: unknown): void {
  assert.ok(
    error instanceof GaitError,
    `uncoded failure: ${error instanceof Error ? error.stack : String(error)}`,
  );
}

const jsonValue = fc.jsonValue({ maxDepth: 3 });
const fieldPaths = [
  ["run", "run_id"],
  ["run", "created_at"],
  ["run", "timeline"],
  ["run", "env"],
  ["intents"],
  ["intents", 0, "args"],
  ["intents", 0, "args_digest"],
  ["intents", 1, "intent_id"],
  ["results", 0, "status"],
  ["results", 1, "result_digest"],
  ["refs", "receipts", 0, "source_type"],
  ["refs", "receipts", 1, "retrieved_at"],
  ["refs", "context_ref_count"],
  ["normalization", "intent_args"],
  ["capture_mode"],
] as const;

function setPath(target: Record<string, unknown>, path: readonly (string | number)[], value: unknown): void {
  let node: unknown = target;
  for (const key of path.slice(0, -1)) node = (node as Record<string | number, unknown>)[key];
  (node as Record<string | number, unknown>)[path[path.length - 1]!] = value;
}

describe("runpack fuzz", () => {
  it("record: arbitrary JSON inputs give a runpack or a coded error", () => {
    fc.assert(
      fc.property(jsonValue, (input) => {
        try {
          build(input);
        } catch (error) {
          expectCoded(error);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("record: mutated sample inputs give a verifiable runpack or a coded error", () => {
    fc.assert(
      fc.property(fc.constantFrom(...fieldPaths), jsonValue, (path, value) => {
        const input = sampleInput();
        setPath(input, path, value);
        let built: ReturnType<typeof build>;
        try {
          built = build(input);
        } catch (error) {
          expectCoded(error);
          return;
        }
        assert.equal(verifyRunpackEntries(built.entries).ok, true);
      }),
      { numRuns: 400 },
    );
  });

  it("verify: random bytes give a result or a coded error", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        try {
          await verifyRunpack(Buffer.from(bytes));
        } catch (error) {
          expectCoded(error);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("verify: zips with random byte flips give a result or a coded error", async () => {
    const zip = await runpackZip(build().entries);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(zip.length - 1), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        async (flips) => {
          const mutated = Buffer.from(zip);
          for (const [offset, mask] of flips) mutated[offset]! ^= mask;
          try {
            await verifyRunpack(mutated);
          } catch (error) {
            expectCoded(error);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
