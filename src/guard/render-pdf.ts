/**
 * summary.pdf: a printable rendering of a Guard pack (title page, control table, timeline of
 * decisions, evidence list with digests, how to verify), built with pdfkit. A convenience, never
 * the source of truth: the manifest lists it under rendered_artifacts with its sha256, and says
 * nothing on its behalf. The bytes are deterministic: both PDF dates are the pack's created_at,
 * the document id pdfkit derives from the info dictionary (so from that date), and only the
 * standard 14 fonts are used (nothing embedded, nothing subset-tagged at random). This module is
 * loaded only for `--render pdf` (pdfkit is not in the CLI bundle).
 */
import PDFDocument from "pdfkit";
import { sha256Hex } from "../contract/canonical.ts";
import type { EvidenceDraft } from "./build.ts";
import { internalFailure } from "./error-codes.ts";

const MARGIN = 50;
const FONT = "Helvetica";
const BOLD = "Helvetica-Bold";
const MONO = "Courier";

/** One row of the timeline section: when, what, which call, the outcome and why. */
interface TimelineRow {
  at: string;
  stage: string;
  subject: string;
  outcome: string;
  reasons: string;
}

/** The decisions in order: the incident timeline when there is one, else the traces and approvals. */
function timelineRows(draft: EvidenceDraft): TimelineRow[] {
  const { timeline, traces } = draft.documents;
  if (timeline) {
    return timeline.events.map((e) => ({
      at: e.at,
      stage: e.stage,
      subject: [e.tool_name, e.ref].filter(Boolean).join(" "),
      outcome: e.outcome,
      reasons: e.reason_codes.join(", "),
    }));
  }
  return [
    ...traces.traces.map((t) => ({
      at: "",
      stage: "verdict",
      subject: `${t.tool_name} ${t.trace_id}`,
      outcome: t.verdict,
      reasons: t.reason_codes.join(", "),
    })),
    ...traces.approvals.map((a) => ({
      at: "",
      stage: "approval",
      subject: `${a.tool_name} ${a.trace_id}`,
      outcome: a.approved ? "approved" : "not_approved",
      reasons: a.error_codes.join(", "),
    })),
  ];
}

/** Renders the draft's summary.pdf. */
export async function renderEvidencePdf(draft: EvidenceDraft): Promise<Buffer> {
  const { head, documents } = draft;
  const date = new Date(head.created_at);
  const incident = draft.incidentWindow !== undefined;
  const title = incident ? "Gait incident pack" : "Gait evidence pack";
  const doc = new PDFDocument({
    size: "A4",
    margin: MARGIN,
    compress: true,
    info: {
      Title: `${title}: ${head.run_id}`,
      Author: "gait",
      Subject: "A rendering of the pack; the manifest and the files it lists are the evidence",
      Creator: `gait ${head.producer_version}`,
      Producer: `gait ${head.producer_version} (pdfkit)`,
      CreationDate: date,
      ModDate: date,
    },
  });
  const done = collect(doc);
  const width = doc.page.width - 2 * MARGIN;
  const heading = (text: string) => {
    doc.moveDown(0.8).font(BOLD).fontSize(14).text(text, MARGIN).moveDown(0.3);
    doc.font(FONT).fontSize(9);
  };
  const line = (label: string, value: string) =>
    doc
      .font(BOLD)
      .fontSize(10)
      .text(`${label}: `, MARGIN, undefined, { continued: true })
      .font(FONT)
      .text(value);

  // Title page
  doc.font(BOLD).fontSize(22).text(title, { align: "left" }).moveDown(1);
  line("Run", head.run_id);
  if (draft.caseId) line("Case", draft.caseId);
  if (draft.template) line("Template", `${draft.template.template_id} (${draft.template.title})`);
  line("Pack time", head.created_at);
  if (draft.incidentWindow) {
    const w = draft.incidentWindow;
    line("Incident window", `${w.from} to ${w.to} (±${w.window_seconds} s around the run)`);
  }
  const v = documents.traces.by_verdict;
  line(
    "Decisions",
    `${documents.traces.traces_total} traces: allow ${v.allow}, block ${v.block}, require_approval ${v.require_approval}, dry_run ${v.dry_run}`,
  );
  line("Approvals", `${documents.traces.approvals_granted} of ${documents.traces.approvals_total} granted`);
  line(
    "Regress",
    `${documents.regress.status} (${documents.regress.failed} of ${documents.regress.graders_total} graders failed)`,
  );
  doc
    .moveDown(1.5)
    .font(FONT)
    .fontSize(10)
    .text(
      "This PDF is a rendering for reading and printing. It is not the source of truth: the pack's manifest (pack_manifest.json, signed) and the files it lists are. Check the pack itself before relying on anything here (see the last section).",
      { width },
    );

  // Controls
  doc.addPage();
  heading("Controls");
  const coverage = new Map((documents.controlCoverage ?? []).map((c) => [c.control_id, c]));
  for (const control of documents.controls) {
    const status =
      coverage.get(control.control_id)?.status ?? (control.evidence_paths.length > 0 ? "covered" : "gap");
    doc.font(BOLD).fontSize(10).text(`${control.control_id}  [${status.toUpperCase()}]`, MARGIN);
    doc.font(FONT).fontSize(9).text(control.title, { width });
    const missing = coverage.get(control.control_id)?.kinds_missing ?? [];
    if (missing.length > 0) doc.text(`missing evidence kinds: ${missing.join(", ")}`, { width });
    doc
      .font(MONO)
      .fontSize(8)
      .text(
        control.evidence_paths.length > 0
          ? control.evidence_paths.join("\n")
          : "(no evidence in this pack: a gap)",
        {
          width,
        },
      )
      .moveDown(0.5);
  }

  // Timeline
  heading(incident ? "Timeline" : "Decisions");
  const rows = timelineRows(draft);
  if (rows.length === 0) doc.text("No decisions in this pack.");
  for (const row of rows) {
    doc
      .font(MONO)
      .fontSize(8)
      .text(`${row.at ? `${row.at}  ` : ""}${row.stage.padEnd(11)} ${row.outcome}`, MARGIN, undefined, {
        width,
      })
      .font(FONT)
      .text(`    ${row.subject}${row.reasons ? ` (${row.reasons})` : ""}`, { width });
  }

  // Evidence
  heading("Evidence");
  doc.text(
    "Every file of the pack when this rendering was made, with its SHA-256. The manifest also lists control_index.json, evidence_pointers.json and this summary.pdf.",
    { width },
  );
  doc.moveDown(0.3);
  for (const file of [...draft.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    doc
      .font(MONO)
      .fontSize(8)
      .text(file.path, MARGIN)
      .text(`  sha256 ${sha256Hex(file.data)}`);
  }

  // How to verify
  heading("How to verify");
  doc.text(
    [
      "1. gait pack verify <pack.zip> --public-key <signer public key>   (or gait guard verify ...): every file present with its SHA-256, and the signature.",
      "2. Compare the key id it reports with the key you expect: a signature only says that the holder of that key made the pack.",
      "3. Compare this PDF's SHA-256 with rendered_artifacts in pack_manifest.json.",
      ...(incident ? ["4. gait incident timeline <pack.zip> prints the chain from the verified pack."] : []),
    ].join("\n"),
    { width },
  );
  doc.end();
  return done;
}

function collect(doc: PDFKit.PDFDocument): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on("data", (chunk: Buffer) => chunks.push(chunk));
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", (error: unknown) =>
      reject(
        internalFailure("guard_render_failed", `rendering summary.pdf failed: ${String(error)}`, {
          hint: "build the pack without --render pdf, and report this",
        }),
      ),
    );
  });
}
