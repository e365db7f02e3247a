/**
 * Retention's pure core (kinds by name, TTLs, the plan: ages, expiry, byte order) and the run on
 * a real directory (a lock held by a live process keeps the file), plus redaction's path parser
 * and document rewrite, with property tests: any path text parses or fails with its coded error,
 * and redaction never touches what its paths do not reach.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { digestJcs, type JsonValue } from "../../src/contract/canonical.ts";
import { GaitError } from "../../src/contract/errors.ts";
import { fixedClock, Timestamp } from "../../src/contract/time.ts";
import { planRetention, retentionKindOf, runRetention } from "../../src/guard/index.ts";
import { parseRedactPath, redactDocument } from "../../src/runpack/redact.ts";
import { tempDir } from "../helpers/cli.ts";

describe("retention core", () => {
  it("classifies traces and packs by name, with their encrypted variants", () => {
    const cases: Array<[string, string | undefined]> = [
      ["trace_abc.json", "trace"],
      ["trace_abc.2.json.age", "trace"],
      ["trace_abc.json.gaitenc", "trace"],
      ["runpack_run_x.zip", "pack"],
      ["evidence_pack_p.zip.age", "pack"],
      ["incident_pack_p.zip", "pack"],
      ["pack_1.zip.gaitenc", "pack"],
      ["trace_abc.json.lock", undefined],
      ["approval_audit_abc.json", undefined],
      ["regress_result.json.age", undefined],
      ["runpack_x.tar", undefined],
    ];
    for (const [name, kind] of cases) assert.equal(retentionKindOf(name), kind, name);
  });

  it("plans by age against each kind's TTL, sorted by path bytes, expiring only past the TTL", () => {
    const now = Timestamp.parse("2026-02-06T12:00:00Z");
    const plan = planRetention(
      [
        { path: "b/trace_1.json", kind: "trace", modifiedSeconds: now.seconds - 100 },
        { path: "B/trace_2.json", kind: "trace", modifiedSeconds: now.seconds - 101 },
        { path: "a/pack_1.zip", kind: "pack", modifiedSeconds: now.seconds - 100 },
        { path: "future/trace_3.json", kind: "trace", modifiedSeconds: now.seconds + 50 },
      ],
      { now, traceTtlSeconds: 100, packTtlSeconds: 99 },
    );
    assert.deepEqual(
      plan.map((p) => [p.path, p.ageSeconds, p.expired]),
      [
        ["B/trace_2.json", 101, true],
        ["a/pack_1.zip", 100, true],
        ["b/trace_1.json", 100, false],
        ["future/trace_3.json", 0, false],
      ],
    );
  });

  describe("on disk", () => {
    const temp = tempDir("gait-retain-unit-");
    after(temp.cleanup);

    it("keeps a file whose lock a live process holds, deletes the rest that expired", async () => {
      const root = join(temp.dir, "r");
      mkdirSync(join(root, "sub"), { recursive: true });
      const old = Date.parse("2026-01-01T00:00:00Z") / 1000;
      for (const name of ["sub/trace_a.json", "sub/trace_b.json", "runpack_c.zip.age"]) {
        writeFileSync(join(root, name), "x");
        utimesSync(join(root, name), old, old);
      }
      writeFileSync(join(root, "sub/trace_b.json.lock"), JSON.stringify({ pid: process.pid }));
      const { report, busy } = await runRetention({
        root: "r",
        cwd: temp.dir,
        traceTtl: "24h",
        packTtl: "24h",
        dryRun: false,
        clock: fixedClock("2026-02-06T12:00:00Z"),
      });
      assert.deepEqual(busy, ["sub/trace_b.json"]);
      assert.deepEqual(
        report.deleted_files.map((f) => f.path),
        ["runpack_c.zip.age", "sub/trace_a.json"],
      );
      assert.equal(existsSync(join(root, "sub/trace_b.json")), true);
      assert.equal(existsSync(join(root, "sub/trace_a.json")), false);
      assert.equal(existsSync(join(root, "sub/trace_b.json.lock")), true, "someone else's lock stays");
      await assert.rejects(
        runRetention({
          root: "r",
          cwd: temp.dir,
          traceTtl: "0s",
          packTtl: "1h",
          dryRun: true,
          clock: fixedClock("2026-02-06T12:00:00Z"),
        }),
        (e: unknown) => e instanceof GaitError && e.code === "retention_ttl_invalid",
      );
    });
  });
});

describe("redaction", () => {
  const doc: JsonValue = {
    run: { run_id: "r" },
    intents: [
      { intent_id: "a", args: { password: "p1", path: "/x" } },
      { intent_id: "b", args: { password: "p2" } },
    ],
    results: [{ result: { token: "t" } }],
  };

  it("replaces the values paths reach by sha256 of their JCS form, and counts them", () => {
    const { document, redacted } = redactDocument(doc, [
      parseRedactPath("intents[*].args.password"),
      parseRedactPath("$.results[0].result"),
      parseRedactPath("intents.*.missing"),
    ]);
    assert.equal(redacted, 3);
    const out = document as { intents: Array<{ args: Record<string, unknown> }>; results: unknown[] };
    assert.equal(out.intents[0]!.args.password, `sha256:${digestJcs("p1")}`);
    assert.equal(out.intents[1]!.args.password, `sha256:${digestJcs("p2")}`);
    assert.equal(out.intents[0]!.args.path, "/x");
    assert.deepEqual(out.results[0], { result: `sha256:${digestJcs({ token: "t" })}` });
  });

  it("refuses malformed paths with runpack_redact_path_invalid (exit 6)", () => {
    for (const bad of ["", "$", "a..b", "a[", "a[x]", "a b", "$a", "[-1]"]) {
      assert.throws(
        () => parseRedactPath(bad),
        (e: unknown) =>
          e instanceof GaitError && e.code === "runpack_redact_path_invalid" && e.exitCode === 6,
        bad,
      );
    }
  });

  it("property: any text parses or fails with the coded error", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        try {
          assert.ok(parseRedactPath(text).segments.length > 0);
        } catch (error) {
          assert.ok(
            error instanceof GaitError && error.code === "runpack_redact_path_invalid",
            String(error),
          );
        }
      }),
      { numRuns: 500 },
    );
  });

  it("property: a path to a key the document lacks leaves it unchanged", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const { document, redacted } = redactDocument(value as JsonValue, [
          parseRedactPath("no_such_key_zz.*"),
        ]);
        assert.equal(redacted, 0);
        assert.deepEqual(document, value);
      }),
      { numRuns: 200 },
    );
  });
});
