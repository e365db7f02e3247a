/**
 * `gait incident pack|timeline` and `gait guard pack --template/--render` through the built CLI,
 * from a scripted incident in a fresh directory: the demo run (2026-02-05T00:00:00Z), a blocked
 * gate eval, a require_approval eval then an approval and the approved eval (00:10), a regress
 * failure (dated by the fixture's run), and one more evaluation dated 2026-02-08 (outside a 1h
 * window). Records are dated by their own created_at (traces and audits by their intent), so the
 * outside one is made by its intent's time, not by file times. The pack holds exactly the
 * in-window records, verifies, is signed, and a tamper is caught; summary.pdf is read with
 * pdftotext and pdftoppm (poppler-utils) and is byte-identical across builds.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { readZip } from "../../src/contract/zip.ts";
import { packZip } from "../../src/pack/index.ts";
import { type CliResult, repoRoot, runGait, tempDir } from "../helpers/cli.ts";
import { assertPublicValid, publicSchemasSkip } from "../helpers/public-schemas.ts";
import { assertPublishedValid } from "../helpers/published-schemas.ts";

const KEY = ["--key-mode", "prod", "--private-key", "gait-out/keys/gait_private.key"];
const PUB = ["--public-key", "gait-out/keys/gait_public.key"];

const APPROVAL_POLICY = `schema_id: gait.gate.policy
schema_version: 1.0.0
default_verdict: allow
rules:
  - name: approve-write
    priority: 10
    effect: require_approval
    match:
      tool_names: [tool.write]
    reason_codes: [write_requires_approval]
    min_approvals: 1
`;

const writeIntent = (createdAt: string) =>
  JSON.stringify({
    schema_id: "gait.gate.intent_request",
    schema_version: "1.0.0",
    created_at: createdAt,
    producer_version: "0.0.0-test",
    tool_name: "tool.write",
    args: { path: "/workspace/a.txt" },
    targets: [{ kind: "path", value: "/workspace/a.txt", operation: "write" }],
    context: { identity: "agent.demo", workspace: "/workspace", risk_class: "low" },
  });

/** poppler-utils, or a visible skip; under CI=true (.ci/run installs it) a failure. */
function popplerOrSkip(t: TestContext): boolean {
  const have = ["pdftotext", "pdftoppm"].every((tool) => spawnSync(tool, ["-v"]).error === undefined);
  if (have) return true;
  if (process.env.CI === "true")
    assert.fail("pdftotext/pdftoppm not found (CI=true: .ci/run installs poppler-utils)");
  t.skip("pdftotext/pdftoppm not found (install poppler-utils)");
  return false;
}

describe("gait incident pack: a scripted incident", () => {
  const temp = tempDir("gait-e2e-incident-");
  const home = join(temp.dir, "home");
  const gait = async (args: string[], expected?: number): Promise<CliResult> => {
    const result = await runGait(args, { cwd: temp.dir, env: { HOME: home, USERPROFILE: home } });
    if (expected !== undefined)
      assert.equal(result.code, expected, `gait ${args.join(" ")}: ${result.stdout}${result.stderr}`);
    return result;
  };
  const at = (name: string) => join(temp.dir, name);
  let inWindowTraces: string[] = [];
  let lateTraceId = "";
  let pack = "";

  before(async () => {
    mkdirSync(home);
    await gait(["demo"], 0);
    await gait(["demo", "--policy"], 0);
    await gait(["keys", "init"], 0);
    writeFileSync(
      at("changed_run.json"),
      readFileSync(join(repoRoot, "examples", "regress", "changed_run.json")),
    );
    await gait(["run", "record", "changed_run.json"], 0);
    await gait(["regress", "init", "--from", "run_demo"], 0);
    await gait(["regress", "run", "--candidate", "./gait-out/runpack_run_new.zip"], 5);
    const blocked = await gait(
      [
        "gate",
        "eval",
        "--policy",
        "gait-out/policy_demo_high_risk.yaml",
        "--intent",
        "gait-out/intent_demo_delete.json",
        ...KEY,
        "--json",
      ],
      3,
    );
    writeFileSync(at("policy.yaml"), APPROVAL_POLICY);
    writeFileSync(at("write.json"), writeIntent("2026-02-05T00:10:00Z"));
    const asked = await gait(
      ["gate", "eval", "--policy", "policy.yaml", "--intent", "write.json", ...KEY, "--json"],
      4,
    );
    const approve = await gait(
      [
        "approve",
        "--intent-digest",
        String(asked.json?.intent_digest),
        "--policy-digest",
        String(asked.json?.policy_digest),
        "--ttl",
        "1h",
        "--scope",
        "tool:tool.write",
        "--approver",
        "alice",
        "--reason-code",
        "change_42",
        ...KEY,
        "--json",
      ],
      0,
    );
    const approved = await gait(
      [
        "gate",
        "eval",
        "--policy",
        "policy.yaml",
        "--intent",
        "write.json",
        "--approval-token",
        String(approve.json?.token_path),
        "--approval-public-key",
        "gait-out/keys/gait_public.key",
        ...KEY,
        "--json",
      ],
      0,
    );
    inWindowTraces = [blocked, asked, approved].map((r) => String(r.json?.trace_id));
    writeFileSync(at("late.json"), writeIntent("2026-02-08T00:00:00Z"));
    const late = await gait(
      ["gate", "eval", "--policy", "policy.yaml", "--intent", "late.json", ...KEY, "--json"],
      4,
    );
    lateTraceId = String(late.json?.trace_id);
    const built = await gait(
      [
        "incident",
        "pack",
        "--from",
        "run_demo",
        "--window",
        "1h",
        "--case-id",
        "INC-7",
        "--render",
        "pdf,html",
        ...KEY,
        "--json",
      ],
      0,
    );
    pack = at(String(built.json?.pack_path));
  });
  after(() => temp.cleanup());

  it("holds exactly the in-window records, signed, and verifies", async () => {
    const zip = new Map((await readZip(pack)).entries.map((e) => [e.path, e.data]));
    const traces = [...zip.keys()].filter((p) => /^trace_\d+\.json$/.test(p));
    const recorded = traces.map((p) => JSON.parse(zip.get(p)!.toString()));
    assert.deepEqual(recorded.map((t) => t.trace_id).sort(), [...inWindowTraces].sort());
    assert.ok(recorded.every((t) => t.created_at.startsWith("2026-02-05")));
    // The late evaluation of the same intent has the same trace id; its own time keeps it out.
    assert.ok(
      recorded.every((t) => t.created_at !== "2026-02-08T00:00:00Z"),
      `late trace ${lateTraceId} included`,
    );
    const audits = [...zip.keys()].filter((p) => p.startsWith("approval_audit_"));
    assert.deepEqual(
      audits.map((p) => JSON.parse(zip.get(p)!.toString()).approved).sort(),
      [false, true],
      "the not-yet-approved and the approved evaluation, not the late one",
    );
    assert.deepEqual(
      [...zip.keys()].filter((p) => p.startsWith("regress_result_")),
      ["regress_result_01.json"],
    );
    const manifest = JSON.parse(zip.get("pack_manifest.json")!.toString());
    assert.equal(manifest.template_id, "incident_response");
    assert.equal(manifest.case_id, "INC-7");
    assert.deepEqual(manifest.incident_window, {
      from: "2026-02-04T23:00:00Z",
      to: "2026-02-05T01:00:00Z",
      window_seconds: 3600,
      selection_anchor: "run_demo",
    });
    assert.equal(manifest.signatures.length, 1);
    assert.deepEqual(
      manifest.rendered_artifacts.map((r: { format: string; path: string }) => [r.format, r.path]),
      [["pdf", "summary.pdf"]],
    );
    const digests = JSON.parse(zip.get("policy_digests.json")!.toString());
    assert.equal(digests.policy_digests.length, 2, "the demo policy and the approval policy");
    const verified = await gait(["pack", "verify", pack, ...PUB, "--require-signature", "--json"], 0);
    assert.equal(
      (verified.json?.verify as Record<string, unknown> | undefined)?.signature_status,
      "verified",
    );
    await gait(["guard", "verify", pack, ...PUB, "--require-signature"], 0);
    assert.ok(existsSync(pack.replace(/\.zip$/, ".html")), "the HTML page beside the pack");
  });

  it("every manifest and document validates against the schemas", { skip: publicSchemasSkip }, async () => {
    const zip = new Map((await readZip(pack)).entries.map((e) => [e.path, e.data]));
    const manifest = JSON.parse(zip.get("pack_manifest.json")!.toString());
    assertPublicValid(manifest, "incident pack manifest", { schemaFile: "guard/pack_manifest.schema.json" });
    for (const [entry, schema] of [
      ["control_index.json", "guard/control_index.schema.json"],
      ["policy_digests.json", "guard/policy_digests.schema.json"],
      ["incident_timeline.json", "guard/incident_timeline.schema.json"],
      ["evidence_pointers.json", "guard/evidence_pointers.schema.json"],
    ] as const) {
      assertPublishedValid(JSON.parse(zip.get(entry)!.toString()), schema, entry);
    }
  });

  it("the timeline is the chain in order, read from the verified pack", async () => {
    const res = await gait(["incident", "timeline", pack, ...PUB, "--json"], 0);
    const events = res.json?.events as Array<{ stage: string; outcome: string; at: string; seq: number }>;
    assert.deepEqual(
      events.map((e) => e.seq),
      events.map((_, i) => i + 1),
    );
    const stages = events.map((e) => `${e.stage}:${e.outcome}`);
    for (const expected of [
      "intent:requested",
      "verdict:block",
      "tool_result:ok",
      "regress:fail",
      "verdict:require_approval",
      "approval:approved",
      "verdict:allow",
    ])
      assert.ok(stages.includes(expected), `${expected} in ${stages.join(" ")}`);
    assert.ok(stages.indexOf("intent:requested") < stages.indexOf("tool_result:ok"));
    assert.ok(stages.indexOf("verdict:require_approval") < stages.indexOf("approval:approved"));
    const human = await gait(["incident", "timeline", pack], 0);
    assert.match(human.stdout, /verdict\s+block\s+tool\.delete/);
    // A guard pack without a timeline is not an incident pack: exit 6.
    const guard = await gait(["guard", "pack", "run_demo", "--out", "plain.zip"], 0);
    assert.ok(guard.stdout);
    const refused = await gait(["incident", "timeline", "plain.zip", "--json"], 6);
    assert.equal(refused.json?.detail_code, "guard_timeline_missing");
  });

  it("a tampered pack is caught by verify and by timeline", async () => {
    const entries = (await readZip(pack)).entries.map((e) =>
      e.path === "trace_01.json"
        ? {
            path: e.path,
            data: Buffer.from(e.data.toString().replace(/"verdict": ?"block"/, '"verdict":"allow"')),
          }
        : { path: e.path, data: e.data },
    );
    assert.notDeepEqual(
      entries.find((e) => e.path === "trace_01.json")!.data,
      (await readZip(pack)).entries.find((e) => e.path === "trace_01.json")!.data,
    );
    writeFileSync(at("tampered.zip"), await packZip(entries));
    const res = await gait(["pack", "verify", "tampered.zip", ...PUB, "--json"], 2);
    assert.match(JSON.stringify(res.json), /trace_01\.json/);
    await gait(["incident", "timeline", "tampered.zip", ...PUB], 2);
  });

  it("summary.pdf reads as text and as an image, and two builds give the same bytes", async (t) => {
    const first = (await readZip(pack)).entries.find((e) => e.path === "summary.pdf")!.data;
    const again = await gait(
      [
        "incident",
        "pack",
        "--from",
        "run_demo",
        "--window",
        "1h",
        "--case-id",
        "INC-7",
        "--render",
        "pdf",
        ...KEY,
        "--out",
        "again.zip",
        "--json",
      ],
      0,
    );
    const second = (await readZip(at(String(again.json?.pack_path)))).entries.find(
      (e) => e.path === "summary.pdf",
    )!.data;
    assert.ok(first.equals(second), "summary.pdf differs between two builds");
    if (!popplerOrSkip(t)) return;
    writeFileSync(at("summary.pdf"), first);
    const text = spawnSync("pdftotext", ["-layout", at("summary.pdf"), "-"], { encoding: "utf8" });
    assert.equal(text.status, 0, text.stderr);
    for (const expected of [
      "run_demo",
      "INC-7",
      "IR-CHAIN",
      "IR-ROOTCAUSE",
      "block",
      "require_approval",
      "allow",
      "approved",
    ])
      assert.ok(text.stdout.includes(expected), `pdftotext output lacks ${expected}`);
    const png = spawnSync("pdftoppm", [
      "-png",
      "-r",
      "50",
      "-f",
      "1",
      "-l",
      "1",
      at("summary.pdf"),
      at("page"),
    ]);
    assert.equal(png.status, 0, String(png.stderr));
    const image = readFileSync(at(existsSync(at("page-1.png")) ? "page-1.png" : "page-01.png"));
    assert.deepEqual([...image.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  });
});

describe("gait guard pack --template and bad input", () => {
  const temp = tempDir("gait-e2e-audit-");
  const gait = (args: string[]) =>
    runGait(args, { cwd: temp.dir, env: { HOME: temp.dir, USERPROFILE: temp.dir } });
  before(async () => {
    assert.equal((await gait(["demo"])).code, 0);
  });
  after(() => temp.cleanup());

  it("soc2 lists every control, a control without evidence as a gap", async () => {
    const res = await gait([
      "guard",
      "pack",
      "run_demo",
      "--template",
      "soc2",
      "--out",
      "soc2.zip",
      "--json",
    ]);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.deepEqual(res.json?.control_status, { "CC6.6": "gap", "CC7.2": "gap", "CC8.1": "covered" });
    const zip = new Map((await readZip(join(temp.dir, "soc2.zip"))).entries.map((e) => [e.path, e.data]));
    const manifest = JSON.parse(zip.get("pack_manifest.json")!.toString());
    assert.deepEqual(
      manifest.control_index.map((c: { control_id: string; evidence_paths: string[] }) => [
        c.control_id,
        c.evidence_paths,
      ]),
      [
        ["CC6.6", []],
        ["CC7.2", []],
        ["CC8.1", ["runpack_summary.json"]],
      ],
    );
    const pointers = JSON.parse(zip.get("evidence_pointers.json")!.toString());
    assert.deepEqual(
      pointers.pointers.map((p: { pointer_id: string }) => p.pointer_id),
      pointers.pointers.map((_: unknown, i: number) => `ev_${String(i + 1).padStart(3, "0")}`),
    );
  });

  it("a copied template file works; an unknown id, a bad file, an unknown render and an unsigned incident are exit 6", async () => {
    const custom = readFileSync(join(repoRoot, "templates", "audit", "pci.yaml"), "utf8").replace(
      "template_id: pci",
      "template_id: my-pci",
    );
    writeFileSync(join(temp.dir, "my.yaml"), custom);
    const ok = await gait([
      "guard",
      "pack",
      "run_demo",
      "--template",
      "./my.yaml",
      "--out",
      "mine.zip",
      "--json",
    ]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.equal(ok.json?.template_id, "my-pci");
    const unknown = await gait(["guard", "pack", "run_demo", "--template", "sox", "--json"]);
    assert.equal(unknown.code, 6);
    assert.equal(unknown.json?.detail_code, "guard_template_unknown");
    writeFileSync(
      join(temp.dir, "bad.yaml"),
      "template_id: x\ntitle: t\ncontrols:\n  - control_id: A\n    title: a\n    evidence: [nonsense]\n",
    );
    const bad = await gait(["guard", "pack", "run_demo", "--template", "bad.yaml", "--json"]);
    assert.equal(bad.code, 6);
    assert.match(bad.stdout, /audit_template_invalid.*bad\.yaml:6/s);
    assert.equal((await gait(["guard", "pack", "run_demo", "--render", "docx"])).code, 6);
    const unsigned = await gait(["incident", "pack", "--from", "run_demo", "--json"]);
    assert.equal(unsigned.code, 6);
    assert.equal(unsigned.json?.detail_code, "incident_signing_key_required");
    assert.equal(
      (await gait(["incident", "pack", "--from", "run_demo", "--window", "soon", "--key-mode", "dev"])).code,
      6,
    );
    for (const args of [
      ["incident", "pack", "--help"],
      ["incident", "timeline", "--help"],
      ["incident", "pack", "--explain"],
    ])
      assert.equal((await gait(args)).code, 0, args.join(" "));
  });
});
