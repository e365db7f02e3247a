/**
 * Building a Guard evidence pack (CONTRACTS.md §7.2): the pure assembly (derived documents →
 * copied evidence → control index → evidence pointers → manifest with pack_id and signature),
 * then the I/O edge that reads and checks the inputs, signs, writes
 * `evidence_pack_<pack_id>.zip` atomically and re-verifies the written file. Same inputs and key
 * → byte-identical zip (every date is the run's, entries sorted, deterministic zip and Ed25519).
 */
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { canonicalize, sha256Hex } from "../contract/canonical.ts";
import { type KeyIo, resolveSigningKey, type SigningKeyRequest } from "../contract/keys.ts";
import { showPath } from "../contract/paths.ts";
import { type SigningKey, signJson, verifyKeyFor } from "../contract/signing.ts";
import { PRODUCER_VERSION } from "../contract/version.ts";
import { packZip, viewPack } from "../pack/index.ts";
import { readRunpack, resolveRunpackPath } from "../runpack/index.ts";
import { refusePlaintextOutput, writeArtifactAtomic } from "../store/index.ts";
import { invalidInput, verificationFailed } from "./error-codes.ts";
import { incidentTimeline, policyDigestsOf } from "./incident.ts";
import {
  type CopiedInput,
  readApprovalAudits,
  readCredentialEvidence,
  readDelegationAudits,
  readInputFile,
  readInventories,
  readRegressResults,
  readTraces,
  type TraceKeys,
} from "./inputs.ts";
import { buildGuardManifest, evidencePointersFor, guardContents } from "./manifest.ts";
import {
  type ApprovalAuditInput,
  type DocumentHead,
  type InventoryInput,
  inventoryCoverage,
  type RegressInput,
  type RunpackInput,
  summarizeRegress,
  summarizeRunpack,
  summarizeTraces,
  type TraceInput,
} from "./summaries.ts";
import { type EvidenceByKind, loadAuditTemplate, templateControls } from "./templates.ts";
import {
  type AuditTemplate,
  type ControlCoverage,
  type ControlIndex,
  type EvidencePointers,
  GUARD_SCHEMA_VERSION,
  type GuardControl,
  type GuardFile,
  GuardFiles,
  type GuardPackManifest,
  GuardSchemaIds,
  type IncidentTimeline,
  type IncidentWindow,
  type InventoryCoverage,
  numberedEntry,
  type PolicyDigests,
  type RegressSummary,
  type RunpackSummary,
  type TraceSummary,
} from "./types.ts";
import { verifyEvidencePack } from "./verify.ts";

/** What a pack is made of, read and checked (see inputs.ts). */
export interface EvidenceSources {
  runpack: RunpackInput;
  traces: readonly TraceInput[];
  regress: readonly RegressInput[];
  /** Copied into the pack byte for byte, as inventory_snapshot_NN.json. */
  inventories: ReadonlyArray<CopiedInput<InventoryInput>>;
  /** Copied into the pack byte for byte, as approval_audit_NN.json. */
  approvalAudits: ReadonlyArray<CopiedInput<ApprovalAuditInput>>;
  /** Broker credential records, copied as credential_evidence_NN.json. */
  credentialEvidence?: ReadonlyArray<CopiedInput<ApprovalAuditInput>> | undefined;
  /** Delegation audits, copied as delegation_audit_NN.json. */
  delegationAudits?: ReadonlyArray<CopiedInput<ApprovalAuditInput>> | undefined;
  caseId?: string | undefined;
  /** The controls come from this template (with policy_digests.json); else the default controls. */
  template?: AuditTemplate | undefined;
  /**
   * An incident pack: its window is recorded, the traces and regress results are copied in
   * (trace_NN.json, regress_result_NN.json) and incident_timeline.json is written.
   */
  incidentWindow?: IncidentWindow | undefined;
  /** Default: this build's version. */
  producerVersion?: string | undefined;
}

export interface EvidenceDocuments {
  runpack: RunpackSummary;
  traces: TraceSummary;
  regress: RegressSummary;
  /** Only when inventory snapshots were given. */
  coverage?: InventoryCoverage;
  controls: GuardControl[];
  /** With a template: each control's status. */
  controlCoverage?: ControlCoverage[];
  policyDigests?: PolicyDigests;
  timeline?: IncidentTimeline;
}

/** A pack before its renderings, control index, pointers and manifest are added. */
export interface EvidenceDraft {
  head: DocumentHead;
  documents: EvidenceDocuments;
  /** The evidence entries so far. */
  files: GuardFile[];
  caseId?: string | undefined;
  template?: AuditTemplate | undefined;
  incidentWindow?: IncidentWindow | undefined;
}

export interface AssembledEvidencePack {
  manifest: GuardPackManifest;
  /** Every entry of the zip, the manifest included. */
  files: GuardFile[];
  documents: EvidenceDocuments;
}

const jcsFile = (path: string, value: unknown): GuardFile => ({
  path,
  data: Buffer.from(canonicalize(value), "utf8"),
});

/** The default controls (no template): one per kind of evidence the pack holds. */
function defaultControls(sources: EvidenceSources): GuardControl[] {
  const controls: GuardControl[] = [
    {
      control_id: "gait.run.integrity",
      title: "Run record integrity: the runpack verified, its intents and results counted",
      evidence_paths: [GuardFiles.runpackSummary],
    },
    {
      control_id: "gait.gate.decisions",
      title: "Tool calls decided by policy: signed gate traces by verdict and reason code",
      evidence_paths: [GuardFiles.traceSummary],
    },
  ];
  const linked = [...(sources.credentialEvidence ?? []), ...(sources.delegationAudits ?? [])];
  if (sources.approvalAudits.length > 0 || linked.length > 0) {
    controls.push({
      control_id: "gait.gate.approvals",
      title: "Approvals for gated tool calls: approval audit records",
      evidence_paths: [
        ...[...sources.approvalAudits, ...linked].map((a) => a.input.entry),
        GuardFiles.traceSummary,
      ],
    });
  }
  controls.push({
    control_id: "gait.regress",
    title: "Regression checks on recorded runs: pass and fail per grader",
    evidence_paths: [GuardFiles.regressSummary],
  });
  if (sources.inventories.length > 0) {
    controls.push({
      control_id: "gait.scout.inventory",
      title: "Tool inventory and coverage: the tools used against the inventory",
      evidence_paths: [...sources.inventories.map((i) => i.input.entry), GuardFiles.inventoryCoverage],
    });
  }
  return controls;
}

/** The entries of the draft that evidence each kind a template can name. */
function evidenceByKind(draft: EvidenceDraft, sources: EvidenceSources): EvidenceByKind {
  const { documents } = draft;
  const paths = draft.files.map((f) => f.path);
  const copies = (prefix: string) =>
    paths.filter((p) => p.startsWith(`${prefix}_`) && /_\d{2,}\.json$/.test(p));
  const when = (present: boolean, ...entries: string[]) => (present ? entries : []);
  return {
    runpack: [GuardFiles.runpackSummary],
    traces: [...when(documents.traces.traces_total > 0, GuardFiles.traceSummary), ...copies("trace")],
    regress: [
      ...when(documents.regress.results_total > 0, GuardFiles.regressSummary),
      ...copies("regress_result"),
    ],
    approval_audits: copies("approval_audit"),
    credential_evidence: copies("credential_evidence"),
    delegation_audits: copies("delegation_audit"),
    inventory: [
      ...copies("inventory_snapshot"),
      ...when(sources.inventories.length > 0, GuardFiles.inventoryCoverage),
    ],
    policy_digests: when((documents.policyDigests?.policy_digests.length ?? 0) > 0, GuardFiles.policyDigests),
    timeline: when(documents.timeline !== undefined, GuardFiles.incidentTimeline),
  };
}

/** Pure: the derived documents, the copied evidence and the controls; no renderings yet. */
export function draftEvidencePack(sources: EvidenceSources): EvidenceDraft {
  const { run } = sources.runpack.runpack;
  const head: DocumentHead = {
    run_id: run.run_id,
    created_at: run.created_at,
    producer_version: sources.producerVersion ?? PRODUCER_VERSION,
  };
  const approvals = [...sources.approvalAudits];
  const credentials = [...(sources.credentialEvidence ?? [])];
  const delegations = [...(sources.delegationAudits ?? [])];
  const documents: EvidenceDocuments = {
    runpack: summarizeRunpack(head, sources.runpack),
    traces: summarizeTraces(
      head,
      sources.traces,
      approvals.map((a) => a.input),
    ),
    regress: summarizeRegress(head, sources.regress),
    controls: [],
  };
  const files: GuardFile[] = [
    jcsFile(GuardFiles.runpackSummary, documents.runpack),
    jcsFile(GuardFiles.traceSummary, documents.traces),
    jcsFile(GuardFiles.regressSummary, documents.regress),
    ...[...approvals, ...credentials, ...delegations, ...sources.inventories].map((c) => ({
      path: c.input.entry,
      data: c.data,
    })),
  ];
  if (sources.inventories.length > 0) {
    const used = [...documents.runpack.tools, ...Object.keys(documents.traces.by_tool)];
    documents.coverage = inventoryCoverage(
      head,
      sources.inventories.map((i) => i.input),
      used,
    );
    files.push(jcsFile(GuardFiles.inventoryCoverage, documents.coverage));
  }
  const window = sources.incidentWindow;
  if (sources.template || window) {
    documents.policyDigests = policyDigestsOf(head, sources.traces, window);
    files.push(jcsFile(GuardFiles.policyDigests, documents.policyDigests));
  }
  if (window) {
    const traces = copiedInputs(sources.traces, "trace");
    const regress = copiedInputs(sources.regress, "regress_result");
    files.push(...[...traces, ...regress].map(({ entry, data }) => ({ path: entry, data })));
    documents.timeline = incidentTimeline(head, window, {
      runpack: sources.runpack,
      traces,
      regress,
      approvals: approvals.map((a) => a.input),
      credentials: credentials.map((c) => c.input),
      delegations: delegations.map((d) => d.input),
    });
    files.push(jcsFile(GuardFiles.incidentTimeline, documents.timeline));
  }
  const draft: EvidenceDraft = {
    head,
    documents,
    files,
    caseId: sources.caseId,
    template: sources.template,
    incidentWindow: window,
  };
  if (sources.template) {
    const mapped = templateControls(sources.template, evidenceByKind(draft, sources));
    documents.controls = mapped.controls;
    documents.controlCoverage = mapped.coverage;
  } else {
    documents.controls = defaultControls(sources);
  }
  return draft;
}

/** Inputs copied in as `<prefix>_NN.json`, in the order given; each must carry its bytes. */
function copiedInputs<T extends { data?: Buffer }>(
  inputs: readonly T[],
  prefix: "trace" | "regress_result",
): Array<{ input: T; entry: string; data: Buffer }> {
  return inputs.map((input, i) => {
    if (!input.data) throw new Error(`internal: ${prefix} input ${i} has no bytes to copy`);
    return { input, entry: numberedEntry(prefix, i), data: input.data };
  });
}

/**
 * Pure: adds the renderings (summary.pdf, listed in rendered_artifacts), the control index, the
 * evidence pointers and the (signed, when a key is given) manifest.
 */
export function sealEvidencePack(
  draft: EvidenceDraft,
  options: { key?: SigningKey | undefined; pdf?: Buffer | undefined } = {},
): AssembledEvidencePack {
  const { head, documents } = draft;
  const files = [...draft.files];
  const rendered: NonNullable<GuardPackManifest["rendered_artifacts"]> = [];
  if (options.pdf) {
    files.push({ path: GuardFiles.summaryPdf, data: options.pdf });
    rendered.push({ format: "pdf", path: GuardFiles.summaryPdf, sha256: sha256Hex(options.pdf) });
  }
  const documentHead = {
    schema_version: GUARD_SCHEMA_VERSION,
    created_at: head.created_at,
    producer_version: head.producer_version,
    run_id: head.run_id,
  };
  const controlIndex: ControlIndex = {
    schema_id: GuardSchemaIds.controlIndex,
    ...documentHead,
    ...(draft.template
      ? { template_id: draft.template.template_id, template_title: draft.template.title }
      : {}),
    controls: documents.controls,
    ...(documents.controlCoverage ? { coverage: documents.controlCoverage } : {}),
  };
  files.push(jcsFile(GuardFiles.controlIndex, controlIndex));
  const pointers = evidencePointersFor(guardContents(files));
  const pointerDoc: EvidencePointers = {
    schema_id: GuardSchemaIds.evidencePointers,
    ...documentHead,
    pointers,
  };
  files.push(jcsFile(GuardFiles.evidencePointers, pointerDoc));
  const key = options.key;
  const manifest = buildGuardManifest(
    {
      runId: head.run_id,
      createdAt: head.created_at,
      producerVersion: head.producer_version,
      caseId: draft.caseId,
      templateId: draft.template?.template_id,
      incidentWindow: draft.incidentWindow,
      renderedArtifacts: rendered,
      controls: documents.controls,
      pointers,
      files,
    },
    key ? (signable) => signJson(key, signable) : undefined,
  );
  files.push(jcsFile(GuardFiles.manifest, manifest));
  return { manifest, files, documents };
}

/** Pure: the pack's entries and its (signed, when a key is given) manifest, without renderings. */
export function assembleEvidencePack(sources: EvidenceSources, key?: SigningKey): AssembledEvidencePack {
  return sealEvidencePack(draftEvidencePack(sources), { key });
}

// ---------------------------------------------------------------------------------------------
// The I/O edge

/** Renderings of a pack: conveniences, never the source of truth. */
export const RENDER_FORMATS = ["html", "pdf"] as const;
export type RenderFormat = (typeof RENDER_FORMATS)[number];

/** How a pack is signed, written and rendered (shared by guard and incident packs). */
export interface PackOutputRequest {
  /** Output path (relative to cwd); default `<prefix>_<pack_id>.zip` beside the runpack. */
  out?: string | undefined;
  /** Key mode and sources; omitted → unsigned. */
  signing?: SigningKeyRequest | undefined;
  /** `pdf` puts summary.pdf in the pack; `html` writes the self-verifying page beside it. */
  render?: readonly RenderFormat[] | undefined;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  warn?: ((message: string) => void) | undefined;
}

export interface EvidencePackRequest extends PackOutputRequest {
  /** run_id or runpack path. */
  run: string;
  traces?: readonly string[] | undefined;
  regress?: readonly string[] | undefined;
  inventories?: readonly string[] | undefined;
  approvalAudits?: readonly string[] | undefined;
  credentialEvidence?: readonly string[] | undefined;
  delegationAudits?: readonly string[] | undefined;
  caseId?: string | undefined;
  /** A built-in template id (soc2, pci, incident_response) or a template file. */
  template?: string | undefined;
  /** Keys the traces' signatures are checked with (without, signed traces are `skipped`). */
  traceKeys?: TraceKeys | undefined;
}

/** A rendering written beside the pack (the HTML page, which holds the pack and so cannot be in it). */
export interface RenderedFile {
  format: RenderFormat;
  path: string;
  sha256: string;
}

export interface BuiltEvidencePack {
  /** Absolute path of the written zip. */
  path: string;
  /** The path as the user would type it. */
  shownPath: string;
  manifest: GuardPackManifest;
  documents: EvidenceDocuments;
  signatureStatus: "signed" | "missing";
  signatureKeyId?: string;
  /** summary.pdf (in the pack) and the HTML page (beside it), as asked. */
  rendered: RenderedFile[];
  warnings: string[];
}

/** Collects warnings and passes them on as they come. */
export function warningSink(request: { warn?: ((message: string) => void) | undefined }) {
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    request.warn?.(message);
  };
  return { warnings, warn };
}

/** Reads and checks the inputs, assembles, signs, writes and re-verifies an evidence pack. */
export async function buildEvidencePack(request: EvidencePackRequest): Promise<BuiltEvidencePack> {
  const { cwd } = request;
  const { warnings, warn } = warningSink(request);
  const template = request.template ? await loadAuditTemplate(request.template, cwd) : undefined;
  const runpackPath = resolveRunpackPath(request.run, { cwd, env: request.env });
  const runpack = await readRunpackInput(cwd, runpackPath);
  const sources: EvidenceSources = {
    runpack,
    traces: await readTraces(cwd, request.traces ?? [], request.traceKeys ?? {}, warn),
    regress: await readRegressResults(cwd, request.regress ?? [], warn),
    inventories: await readInventories(cwd, request.inventories ?? [], warn),
    approvalAudits: await readApprovalAudits(cwd, request.approvalAudits ?? [], warn),
    credentialEvidence: await readCredentialEvidence(cwd, request.credentialEvidence ?? [], warn),
    delegationAudits: await readDelegationAudits(cwd, request.delegationAudits ?? [], warn),
    caseId: request.caseId,
    template,
  };
  const inputs = [
    runpackPath,
    ...[
      request.traces,
      request.regress,
      request.inventories,
      request.approvalAudits,
      request.credentialEvidence,
      request.delegationAudits,
    ].flatMap((list) => (list ?? []).map((given) => resolve(cwd, given))),
  ];
  return writeEvidencePack(sources, request, {
    runpackPath,
    inputs,
    prefix: "evidence_pack",
    warnings,
    warn,
  });
}

/** The runpack a pack is built from, verified as it is read. */
export async function readRunpackInput(cwd: string, runpackPath: string): Promise<RunpackInput> {
  // The zip reader's own limits bound a runpack (entry and total sizes).
  const runpack = await readInputFile(cwd, runpackPath, "runpack", Number.POSITIVE_INFINITY);
  const loaded = await readRunpack(runpack.data);
  return {
    runpack: loaded.runpack,
    signatureStatus: loaded.verification.signature_status,
    source: runpack.source,
  };
}

interface WriteContext {
  runpackPath: string;
  /** Absolute paths of every input (the output may not be one of them). */
  inputs: readonly string[];
  /** Default file name: `<prefix>_<pack_id>.zip` beside the runpack. */
  prefix: "evidence_pack" | "incident_pack";
  warnings: string[];
  warn: (message: string) => void;
  /** The signing key is required (incident packs). */
  requireKey?: boolean;
}

/** Signs, renders, writes atomically and re-verifies a pack; writes the HTML page when asked. */
export async function writeEvidencePack(
  sources: EvidenceSources,
  request: PackOutputRequest,
  context: WriteContext,
): Promise<BuiltEvidencePack> {
  const { cwd } = request;
  const io: KeyIo = { env: request.env, cwd };
  const signing = request.signing ? await resolveSigningKey(request.signing, io) : undefined;
  for (const warning of signing?.warnings ?? []) context.warn(warning);
  const key = signing?.key;
  if (context.requireKey && !key) {
    throw invalidInput(
      "incident_signing_key_required",
      "an incident pack is signed, and no signing key was given",
      {
        hint: "pass --key-mode prod --private-key <path> (gait keys init makes one), or run it in a project made by gait init (its dev key signs)",
      },
    );
  }
  const draft = draftEvidencePack(sources);
  const render = new Set(request.render ?? []);
  const pdf = render.has("pdf") ? await renderPdf(draft) : undefined;
  const { manifest, files, documents } = sealEvidencePack(draft, { key, pdf });
  // The reference's default: beside the runpack, `<prefix>_` + the pack_id (itself `pack_…`).
  const path = request.out
    ? resolve(cwd, request.out)
    : join(dirname(context.runpackPath), `${context.prefix}_${manifest.pack_id}.zip`);
  if (context.inputs.includes(path)) {
    throw invalidInput("guard_output_is_input", `--out ${showPath(cwd, path)} is one of the pack's inputs`, {
      hint: `write the pack to another path (default: ${context.prefix}_<pack_id>.zip beside the runpack)`,
    });
  }
  if (render.has("html")) await refusePlaintextOutput("the --render html page");
  const zip = await packZip(files);
  const written = await writeArtifactAtomic(path, zip, { mode: 0o600 });
  // An encrypted store holds only the recipients' public keys: the bytes encrypted are checked.
  const check = await verifyEvidencePack(
    written === path ? path : zip,
    key ? { verifyKey: verifyKeyFor(key), requireSignature: true } : {},
  );
  if (!check.ok) {
    throw verificationFailed("guard_verify_failed", `written evidence pack ${path} failed re-verification`, {
      hint: "the written file does not match what was built; check the disk and retry",
    });
  }
  const rendered: RenderedFile[] = (manifest.rendered_artifacts ?? []).map((r) => ({
    format: r.format,
    path: `${showPath(cwd, written)}#${r.path}`,
    sha256: r.sha256,
  }));
  if (render.has("html")) rendered.push(await renderHtml(path, request, key));
  return {
    path: written,
    shownPath: showPath(cwd, written),
    manifest,
    documents,
    signatureStatus: key ? "signed" : "missing",
    ...(key ? { signatureKeyId: key.keyId } : {}),
    rendered,
    warnings: context.warnings,
  };
}

/** summary.pdf: pdfkit is loaded only when a PDF is asked for. */
async function renderPdf(draft: EvidenceDraft): Promise<Buffer> {
  const { renderEvidencePdf } = await import("./render-pdf.ts");
  return renderEvidencePdf(draft);
}

/**
 * The self-verifying page of `gait pack view`, written beside the pack as `<zip name>.html`: it
 * embeds the zip, so it cannot be inside it; its sha256 is reported, not put in the manifest.
 */
async function renderHtml(
  packPath: string,
  request: PackOutputRequest,
  key?: SigningKey,
): Promise<RenderedFile> {
  const out = packPath.replace(/\.zip$/i, "") + ".html";
  const view = await viewPack({
    pack: packPath,
    cwd: request.cwd,
    out,
    ...(key ? { verifyKey: verifyKeyFor(key) } : {}),
  });
  if (view.report.status !== "verified") {
    throw verificationFailed("guard_verify_failed", `the page for ${packPath} does not verify the pack`, {
      hint: "the page's verifier and gait guard verify disagree; report this, and use gait guard verify",
    });
  }
  const page = await readFile(view.path);
  return { format: "html", path: showPath(request.cwd, view.path), sha256: sha256Hex(page) };
}
