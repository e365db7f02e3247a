import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { GaitError } from "../../src/contract/errors.ts";
import {
  type ApprovalAuditRecord,
  evidenceFileName,
  type TraceRecord,
  writeApprovalAuditFileNew,
  writeTraceFileNew,
} from "../../src/gate/index.ts";
import { tempDir } from "../helpers/cli.ts";

const ID = "0123456789abcdef01234567";
const trace = { schema_id: "gait.gate.trace", trace_id: ID, verdict: "allow" } as unknown as TraceRecord;
const audit = { trace_id: ID, approved: false } as unknown as ApprovalAuditRecord;

function scratch(t: TestContext): string {
  const { dir, cleanup } = tempDir("gait-trace-file-");
  t.after(cleanup);
  return dir;
}

describe("writeTraceFileNew", () => {
  it("writes trace_<id>.json, then the next free trace_<id>.<n>.json, never over a file", async (t) => {
    const dir = scratch(t);
    const first = await writeTraceFileNew({ dir }, trace, { fsync: false });
    assert.deepEqual(first, { path: join(dir, `trace_${ID}.json`), sequence: 1 });
    writeFileSync(join(dir, `trace_${ID}.2.json`), "someone else's");
    const next = await writeTraceFileNew({ dir }, trace);
    assert.deepEqual(next, { path: join(dir, `trace_${ID}.3.json`), sequence: 3 });
    assert.equal(readFileSync(join(dir, `trace_${ID}.2.json`), "utf8"), "someone else's");
    assert.deepEqual(JSON.parse(readFileSync(next.path, "utf8")), trace);
    assert.match(readFileSync(next.path, "utf8"), /^\{\n {2}"schema_id"/, "pretty JSON as the CLI writes it");
    const audited = await writeApprovalAuditFileNew({ dir }, audit, { from: next.sequence });
    assert.deepEqual(audited, { path: join(dir, `approval_audit_${ID}.3.json`), sequence: 3 });
  });

  it("refuses to replace an explicit path (file_exists, exit 6, with a hint)", async (t) => {
    const dir = scratch(t);
    const path = join(dir, "out.json");
    assert.deepEqual(await writeTraceFileNew({ path }, trace), { path, sequence: 1 });
    await assert.rejects(writeTraceFileNew({ path }, trace), (error: unknown) => {
      assert.ok(error instanceof GaitError);
      assert.equal(error.code, "file_exists");
      assert.equal(error.exitCode, 6);
      assert.ok(error.hint.length > 0);
      return true;
    });
    assert.deepEqual(readdirSync(dir), ["out.json"]);
  });

  it("names files by sequence", () => {
    assert.equal(evidenceFileName("trace", ID), `trace_${ID}.json`);
    assert.equal(evidenceFileName("trace", ID, 2), `trace_${ID}.2.json`);
    assert.equal(evidenceFileName("approval_audit", ID, 7), `approval_audit_${ID}.7.json`);
  });
});
