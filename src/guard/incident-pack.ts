/**
 * `gait incident pack`, the I/O edge: anchor on the run, search the run's directory and the
 * project's output directories for the records Gait writes (gate traces, approval audits, broker
 * credential records, delegation audits, regress results; recognised by their schema_id, not
 * their names), keep those the window selects (incident.ts), and build a signed evidence pack
 * with the incident_window, the copied records, policy_digests.json and incident_timeline.json.
 */
import { readdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { loadProjectConfig } from "../config/index.ts";
import { compareBytes } from "../contract/bytes.ts";
import { isJsonObject, type JsonObject, parseJsonStrict } from "../contract/canonical.ts";
import { parseGoDuration } from "../contract/time.ts";
import { withPackZip } from "../pack/index.ts";
import { resolveRunpackPath } from "../runpack/index.ts";
import {
  type BuiltEvidencePack,
  type EvidenceSources,
  type PackOutputRequest,
  readRunpackInput,
  warningSink,
  writeEvidencePack,
} from "./build.ts";
import { invalidInput, verificationFailed } from "./error-codes.ts";
import { incidentWindow, selectInWindow } from "./incident.ts";
import {
  checkDocument,
  type InputFile,
  KINDS,
  numberCopies,
  readInputFile,
  recordInput,
  regressInputOf,
  type TraceKeys,
  traceInputOf,
} from "./inputs.ts";
import { loadAuditTemplate } from "./templates.ts";
import { GuardFiles, GuardSchemaIds, type IncidentTimeline, type IncidentWindow } from "./types.ts";
import { type GuardVerification, type GuardVerifyOptions, verifyEvidencePack } from "./verify.ts";

export const DEFAULT_INCIDENT_TEMPLATE = "incident_response";
export const DEFAULT_INCIDENT_WINDOW = "24h";

export interface IncidentPackRequest extends PackOutputRequest {
  /** run_id or runpack path: the anchor. */
  from: string;
  /** Go duration; the window is ± this around the run's created_at. */
  window?: string | undefined;
  caseId?: string | undefined;
  /** Default incident_response. */
  template?: string | undefined;
  /** More directories to search (relative to cwd). */
  dirs?: readonly string[] | undefined;
  traceKeys?: TraceKeys | undefined;
}

export interface BuiltIncidentPack extends BuiltEvidencePack {
  window: IncidentWindow;
  /** The directories searched, as the user would type them. */
  searched: string[];
  counts: IncidentCounts;
}

export interface IncidentCounts {
  traces: number;
  regress: number;
  approval_audits: number;
  credential_evidence: number;
  delegation_audits: number;
  /** Records found but outside the window. */
  outside_window: number;
}

/** The kinds a collected record can be, by schema_id. */
const COLLECTED = {
  "gait.gate.trace": KINDS.trace,
  "gait.regress.result": KINDS.regress,
  "gait.gate.approval_audit_record": KINDS.approvalAudit,
  "gait.gate.broker_credential_record": KINDS.credentialEvidence,
  "gait.gate.delegation_audit_record": KINDS.delegationAudit,
} as const;
type CollectedId = keyof typeof COLLECTED;

interface Found {
  schemaId: CollectedId;
  file: InputFile;
  doc: JsonObject;
}

export async function buildIncidentPack(request: IncidentPackRequest): Promise<BuiltIncidentPack> {
  const { cwd } = request;
  const { warnings, warn } = warningSink(request);
  const template = await loadAuditTemplate(request.template ?? DEFAULT_INCIDENT_TEMPLATE, cwd);
  const windowNanos = parseGoDuration(request.window ?? DEFAULT_INCIDENT_WINDOW, "--window");
  const runpackPath = resolveRunpackPath(request.from, { cwd, env: request.env });
  const runpack = await readRunpackInput(cwd, runpackPath);
  const { run } = runpack.runpack;
  const window = incidentWindow(run.created_at, run.run_id, windowNanos);
  const dirs = await searchDirs(cwd, runpackPath, request.dirs ?? []);
  const found = await collect(dirs, cwd, warn);
  const of = (id: CollectedId) => found.filter((f) => f.schemaId === id);
  const linkedIds: CollectedId[] = [
    "gait.gate.approval_audit_record",
    "gait.gate.broker_credential_record",
    "gait.gate.delegation_audit_record",
  ];
  const candidates = {
    traces: of("gait.gate.trace"),
    regress: of("gait.regress.result"),
    linked: linkedIds.flatMap(of),
  };
  const picked = selectInWindow(window, candidates, (f) => f.doc.created_at);
  const keys = request.traceKeys ?? {};
  const linked = (id: CollectedId, prefix: "approval_audit" | "credential_evidence" | "delegation_audit") =>
    numberCopies(
      picked.linked.filter((f) => f.schemaId === id),
      prefix,
      recordInput,
    );
  const sources: EvidenceSources = {
    runpack,
    traces: picked.traces.map((f) => traceInputOf(f.file, f.doc, keys)),
    regress: picked.regress.map((f) => regressInputOf(f.file, f.doc)),
    inventories: [],
    approvalAudits: linked("gait.gate.approval_audit_record", "approval_audit"),
    credentialEvidence: linked("gait.gate.broker_credential_record", "credential_evidence"),
    delegationAudits: linked("gait.gate.delegation_audit_record", "delegation_audit"),
    caseId: request.caseId,
    template,
    incidentWindow: window,
  };
  const built = await writeEvidencePack(sources, request, {
    runpackPath,
    inputs: [runpackPath, ...found.map((f) => f.file.path)],
    prefix: "incident_pack",
    warnings,
    warn,
    requireKey: true,
  });
  const count = (id: CollectedId) => picked.linked.filter((f) => f.schemaId === id).length;
  const total = candidates.traces.length + candidates.regress.length + candidates.linked.length;
  const kept = picked.traces.length + picked.regress.length + picked.linked.length;
  return {
    ...built,
    window,
    searched: dirs.map((dir) => showDir(cwd, dir)),
    counts: {
      traces: picked.traces.length,
      regress: picked.regress.length,
      approval_audits: count("gait.gate.approval_audit_record"),
      credential_evidence: count("gait.gate.broker_credential_record"),
      delegation_audits: count("gait.gate.delegation_audit_record"),
      outside_window: total - kept,
    },
  };
}

const showDir = (cwd: string, dir: string) => {
  const rel = dir === cwd ? "." : dir.startsWith(`${cwd}/`) ? `./${dir.slice(cwd.length + 1)}` : dir;
  return rel;
};

/**
 * Where Gait writes records: the run's directory, the current directory (gate eval's default for
 * traces and audits), the project's run.out_dir (default gait-out) and gate.trace_dir (default
 * gait-out/traces), and any --dir given. Missing directories are skipped; each is searched once.
 */
async function searchDirs(cwd: string, runpackPath: string, extra: readonly string[]): Promise<string[]> {
  const { config } = await loadProjectConfig(cwd);
  const candidates = [
    dirname(runpackPath),
    cwd,
    resolve(cwd, config.run.outDir ?? "gait-out"),
    resolve(cwd, config.gate.traceDir ?? "gait-out/traces"),
  ];
  const dirs: string[] = [];
  for (const dir of [...candidates, ...extra.map((d) => resolve(cwd, d))]) {
    if (!dirs.includes(dir)) dirs.push(dir);
  }
  const existing: string[] = [];
  for (const dir of dirs) {
    const isExtra = extra.some((d) => resolve(cwd, d) === dir);
    try {
      await readdir(dir);
      existing.push(dir);
    } catch (error) {
      if (isExtra) {
        throw invalidInput("usage", `--dir ${showDir(cwd, dir)} is not a readable directory`, {
          hint: "give directories that hold traces, audits and regress results",
          details: { reason: String(error) },
        });
      }
    }
  }
  return existing;
}

/**
 * Every `*.json` file in the directories whose schema_id is one the pack collects, checked
 * against its schema (a file that claims a kind but is not a valid one is skipped with a
 * warning); the same bytes found twice count once. Sorted by created_at, then file name, so the
 * copies are numbered the same way whatever the directory order.
 */
async function collect(
  dirs: readonly string[],
  cwd: string,
  warn: (message: string) => void,
): Promise<Found[]> {
  const found: Found[] = [];
  const seen = new Set<string>();
  for (const dir of dirs) {
    const names = (await readdir(dir, { withFileTypes: true }))
      .filter((entry) => entry.isFile() && entry.name.endsWith(".json"))
      .map((entry) => entry.name)
      .sort(compareBytes);
    for (const name of names) {
      const given = join(showDir(cwd, dir), name);
      const file = await readInputFile(cwd, given, "record").catch(() => undefined);
      if (!file || seen.has(file.source.sha256)) continue;
      const schemaId = schemaIdOf(file.data);
      if (!schemaId) continue;
      try {
        const doc = await checkDocument(file, COLLECTED[schemaId]);
        seen.add(file.source.sha256);
        found.push({ schemaId, file, doc });
      } catch (error) {
        warn(`${given} skipped: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
  return found.sort(
    (a, b) =>
      compareBytes(String(a.doc.created_at), String(b.doc.created_at)) ||
      compareBytes(a.file.source.file, b.file.source.file) ||
      compareBytes(a.file.path, b.file.path),
  );
}

function schemaIdOf(data: Buffer): CollectedId | undefined {
  let doc: unknown;
  try {
    doc = parseJsonStrict(data.toString("utf8"), "record");
  } catch {
    return undefined;
  }
  if (!isJsonObject(doc) || typeof doc.schema_id !== "string") return undefined;
  return Object.hasOwn(COLLECTED, doc.schema_id) ? (doc.schema_id as CollectedId) : undefined;
}

// ---------------------------------------------------------------------------------------------
// incident timeline

export interface ReadTimeline {
  verification: GuardVerification;
  timeline: IncidentTimeline;
}

/**
 * The chain of an incident pack, from the pack verified first: a pack that fails verification
 * is refused (exit 2), a guard pack without incident_timeline.json is exit 6.
 */
export async function readIncidentTimeline(path: string, options: GuardVerifyOptions): Promise<ReadTimeline> {
  const verification = await verifyEvidencePack(path, options);
  if (!verification.ok) {
    throw verificationFailed(
      "guard_verify_failed",
      `${path} failed verification; its timeline is not shown`,
      {
        hint: `check it with gait guard verify ${path}`,
      },
    );
  }
  if (!verification.manifest.contents.some((entry) => entry.path === GuardFiles.incidentTimeline)) {
    throw invalidInput(
      "guard_timeline_missing",
      `${path} has no ${GuardFiles.incidentTimeline}: it is not an incident pack`,
      {
        hint: "build one with gait incident pack --from <run_id> --window 24h",
      },
    );
  }
  const data = await withPackZip(path, async (zip) => (await zip.read(GuardFiles.incidentTimeline)).data);
  const timeline = parseJsonStrict(Buffer.from(data).toString("utf8"), GuardFiles.incidentTimeline);
  if (
    !isJsonObject(timeline) ||
    timeline.schema_id !== GuardSchemaIds.incidentTimeline ||
    !Array.isArray(timeline.events)
  ) {
    throw verificationFailed(
      "guard_manifest_invalid",
      `${GuardFiles.incidentTimeline} is not a ${GuardSchemaIds.incidentTimeline}`,
      {
        hint: "the pack was not produced by gait incident pack",
      },
    );
  }
  return { verification, timeline: timeline as unknown as IncidentTimeline };
}
