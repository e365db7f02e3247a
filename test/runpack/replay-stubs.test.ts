/** Per-tool stub selection for stub replay: parsing (flags, file) and what the report says. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sha256Hex } from "../../src/contract/canonical.ts";
import { GaitError } from "../../src/contract/errors.ts";
import { parseRunpackEntries, parseStubFile, parseStubFlags, replayStub } from "../../src/runpack/index.ts";
import { build } from "./fixtures.ts";

const runpack = parseRunpackEntries(build().entries).runpack;
const stubInvalid = (e: unknown) =>
  e instanceof GaitError && e.code === "replay_stub_invalid" && e.exitCode === 6 && e.hint !== undefined;

describe("replay stub selection", () => {
  it("parses tool=kind flags and a JSON file; refuses unknown kinds, contradictions and bad shapes", () => {
    assert.deepEqual(
      [...parseStubFlags(["tool.search=HTTP", " crm.lookup = db ", "x=none"])],
      [
        ["tool.search", "http"],
        ["crm.lookup", "db"],
        ["x", "none"],
      ],
    );
    assert.deepEqual(
      [...parseStubFile('{"tool.search": "queue"}', "stubs.json")],
      [["tool.search", "queue"]],
    );
    for (const bad of [["tool.search"], ["=http"], ["tool.search=ftp"], ["a=http", "a=db"]]) {
      assert.throws(() => parseStubFlags(bad), stubInvalid, bad.join(" "));
    }
    for (const bad of ["[]", '{"a": 1}', "{", '{"a": "smtp"}']) {
      assert.throws(() => parseStubFile(bad, "stubs.json"), stubInvalid, bad);
    }
  });

  it("a selected tool is stubbed in place of its recorded result and labelled as selected", () => {
    const report = replayStub(runpack, parseStubFlags(["tool.search=http"]));
    const [i1, i2, i3] = report.steps;
    const args = runpack.intents[0]!.args_digest;
    assert.deepEqual(i1, {
      intent_id: "i1",
      tool_name: "tool.search",
      status: "ok",
      execution: "stubbed",
      stub_type: "http",
      stub_source: "selected",
      result_digest: sha256Hex(`run_sample:i1:tool.search:${args}:http`),
    });
    assert.equal(i2!.execution, "recorded");
    assert.equal(i3!.stub_source, "tool_name", "db.query has no result: stubbed by its name");
    assert.deepEqual(report.warnings, []);
    assert.deepEqual(replayStub(runpack, parseStubFlags(["tool.search=http"])), report, "deterministic");
    assert.notEqual(
      replayStub(runpack, parseStubFlags(["tool.search=db"])).steps[0]!.result_digest,
      i1!.result_digest,
      "the kind is part of the digest",
    );
  });

  it("none keeps the recorded result and never guesses a stub; unknown tools are warned about", () => {
    const report = replayStub(
      runpack,
      parseStubFlags(["db.query=none", "http.fetch=none", "tool.serch=http"]),
    );
    assert.deepEqual(
      report.steps.map((s) => s.execution),
      ["recorded", "recorded", "missing"],
    );
    assert.deepEqual(report.missing_results, ["i3"]);
    assert.deepEqual(report.warnings, ["--stub names tool.serch, which this run never called"]);
  });
});
