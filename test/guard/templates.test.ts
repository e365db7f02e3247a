/**
 * Audit templates (parsing, the embedded copies, mapping onto a pack's entries) and the pure
 * part of incident packs (the window, selection by time, the timeline's order).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { GaitError } from "../../src/contract/errors.ts";
import {
  AUDIT_TEMPLATE_IDS,
  incidentWindow,
  inWindow,
  loadAuditTemplate,
  parseAuditTemplate,
  selectInWindow,
  templateControls,
} from "../../src/guard/index.ts";
import { AUDIT_TEMPLATE_TEXT } from "../../src/guard/templates.generated.ts";
import { repoRoot } from "../helpers/cli.ts";

const dir = join(repoRoot, "templates", "audit");

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof GaitError, String(error));
    assert.equal(error.category, "invalid_input");
    return error.code;
  }
  assert.fail("expected an error");
}

describe("audit templates", () => {
  it("the embedded templates are the files under templates/audit/", () => {
    const files = readdirSync(dir).filter((f) => f.endsWith(".yaml"));
    assert.deepEqual(files.map((f) => f.replace(/\.yaml$/, "")).sort(), [...AUDIT_TEMPLATE_IDS]);
    for (const file of files)
      assert.equal(
        AUDIT_TEMPLATE_TEXT[file.replace(/\.yaml$/, "")],
        readFileSync(join(dir, file), "utf8"),
        "run `node scripts/gen-templates.mjs`",
      );
    assert.deepEqual([...AUDIT_TEMPLATE_IDS], ["incident_response", "pci", "soc2"]);
  });

  it("maps the reference's controls", async () => {
    const ids = async (id: string) =>
      (await loadAuditTemplate(id, repoRoot)).controls.map((c) => c.control_id);
    assert.deepEqual(await ids("soc2"), ["CC6.6", "CC7.2", "CC8.1"]);
    assert.deepEqual(await ids("pci"), ["PCI-10", "PCI-7", "PCI-12"]);
    assert.deepEqual(await ids("incident_response"), ["IR-CHAIN", "IR-ROOTCAUSE"]);
  });

  it("an unknown id is an error naming the known ones, never a fallback", async () => {
    for (const id of ["", "SOC2", "sox", "incident-response"]) {
      await assert.rejects(loadAuditTemplate(id || "none", repoRoot), (error: unknown) => {
        assert.ok(error instanceof GaitError);
        assert.equal(error.code, "guard_template_unknown");
        assert.match(error.hint ?? "", /incident_response, pci, soc2/);
        return true;
      });
    }
  });

  it("refuses bad templates with the line", () => {
    const good =
      "template_id: t\ntitle: T\ncontrols:\n  - control_id: A\n    title: a\n    evidence: [runpack]\n";
    assert.equal(parseAuditTemplate(good, "t.yaml").controls.length, 1);
    const cases: Array<[string, string]> = [
      [good.replace("runpack", "nonsense"), "audit_template_invalid"],
      [good.replace("evidence: [runpack]", "evidence: []"), "audit_template_invalid"],
      [`${good}  - control_id: A\n    title: b\n    evidence: [traces]\n`, "audit_template_invalid"],
      [good.replace("title: T\n", ""), "audit_template_invalid"],
      [`${good}extra: 1\n`, "audit_template_unknown_field"],
      ["", "audit_template_empty"],
      ["controls: [", "audit_template_yaml_invalid"],
      [good.replace("template_id: t", "template_id: ../x"), "audit_template_invalid"],
    ];
    for (const [text, code] of cases)
      assert.equal(
        codeOf(() => parseAuditTemplate(text, "t.yaml")),
        code,
        text,
      );
  });

  it("never throws anything but a coded error on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parseAuditTemplate(text, "fuzz.yaml");
        } catch (error) {
          assert.ok(error instanceof GaitError, String(error));
          assert.equal(error.category, "invalid_input");
        }
      }),
      { numRuns: 300 },
    );
  });

  it("a control is covered, partial or a gap by the kinds present", async () => {
    const soc2 = await loadAuditTemplate("soc2", repoRoot);
    const mapped = templateControls(soc2, {
      runpack: ["runpack_summary.json"],
      traces: ["trace_summary.json"],
      approval_audits: [],
    });
    assert.deepEqual(
      mapped.coverage.map((c) => [c.control_id, c.status]),
      [
        ["CC6.6", "partial"],
        ["CC7.2", "partial"],
        ["CC8.1", "covered"],
      ],
    );
    assert.deepEqual(mapped.coverage[0]!.kinds_missing, [
      "approval_audits",
      "credential_evidence",
      "delegation_audits",
    ]);
    assert.deepEqual(mapped.controls[0]!.evidence_paths, ["trace_summary.json"]);
    const empty = templateControls(soc2, {});
    assert.deepEqual(
      empty.controls.map((c) => c.evidence_paths),
      [[], [], []],
    );
    assert.ok(empty.coverage.every((c) => c.status === "gap"));
  });
});

describe("incident window", () => {
  it("is ± the duration around the run, recorded in seconds", () => {
    const window = incidentWindow("2026-02-05T00:00:00Z", "run_x", 3_600_000_000_000n);
    assert.deepEqual(window, {
      from: "2026-02-04T23:00:00Z",
      to: "2026-02-05T01:00:00Z",
      window_seconds: 3600,
      selection_anchor: "run_x",
    });
    assert.ok(inWindow(window, "2026-02-05T01:00:00Z"));
    assert.ok(inWindow(window, "2026-02-04T23:00:00Z"));
    assert.ok(inWindow(window, "2026-02-05T02:30:00+02:00"));
    assert.ok(!inWindow(window, "2026-02-05T01:00:00.000000001Z"));
    assert.ok(!inWindow(window, "not a time"));
    assert.ok(!inWindow(window, undefined));
    assert.equal(
      codeOf(() => incidentWindow("2026-02-05T00:00:00Z", "run_x", 0n)),
      "incident_window_invalid",
    );
    assert.equal(
      codeOf(() => incidentWindow("2026-02-05T00:00:00Z", "run_x", 1_500_000_000n)),
      "incident_window_invalid",
    );
  });

  it("selects each record by its own time", () => {
    const window = incidentWindow("2026-02-05T00:00:00Z", "run_x", 3_600_000_000_000n);
    const item = (created_at: string, id: string) => ({ created_at, id });
    const picked = selectInWindow(
      window,
      {
        traces: [item("2026-02-05T00:10:00Z", "t1"), item("2026-02-08T00:00:00Z", "t1-late")],
        regress: [item("2026-02-04T22:59:59Z", "r-early")],
        linked: [item("2026-02-05T00:10:00Z", "a1"), item("2026-02-08T00:00:00Z", "a1-late")],
      },
      (x) => x.created_at,
    );
    assert.deepEqual(
      [picked.traces, picked.regress, picked.linked].map((list) => list.map((x) => x.id)),
      [["t1"], [], ["a1"]],
    );
  });
});
