/**
 * Audit templates: the controls a Guard pack's control index lists and the kinds of evidence that
 * satisfy each, as data (templates/audit/<id>.yaml, embedded in templates.generated.ts so the
 * bundled CLI needs no files; or a user's copy, `--template ./my.yaml`). An unknown template id is
 * an error naming the known ones, never a fallback. `templateControls` is pure: it maps a
 * template onto a pack's entries, listing a control none of whose kinds is present as a gap.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { sortedUnique } from "../contract/bytes.ts";
import { fromFsError } from "../contract/errors.ts";
import { readStrictYaml, type ShapeSchema } from "../contract/yaml-strict.ts";
import { invalidInput } from "./error-codes.ts";
import { AUDIT_TEMPLATE_TEXT } from "./templates.generated.ts";
import {
  type AuditTemplate,
  AuditTemplateSchema,
  type ControlCoverage,
  type ControlStatus,
  EVIDENCE_KINDS,
  type EvidenceKind,
  type GuardControl,
} from "./types.ts";

export const AUDIT_TEMPLATE_IDS: readonly string[] = Object.keys(AUDIT_TEMPLATE_TEXT).sort();

/** A template reference is a path when it looks like one (a separator or a YAML extension). */
const looksLikePath = (ref: string) => /[/\\]/.test(ref) || /\.ya?ml$/i.test(ref);

/** Parses template YAML strictly; `source` names it in errors (with line and column). */
export function parseAuditTemplate(text: string, source: string): AuditTemplate {
  return readStrictYaml(text, { source, codePrefix: "audit_template", what: "audit template" }, (yaml) => {
    const { value, positions } = yaml.readWithSchema(AuditTemplateSchema as ShapeSchema);
    const fail = (path: string, message: string, hint?: string) =>
      yaml.errorAt(path, positions.get(path), message, hint);
    for (const key of ["template_id", "title", "controls"] as const) {
      if (value[key] === undefined) throw fail("", `${key} is required`);
    }
    const template = value as unknown as AuditTemplate;
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(template.template_id))
      throw fail("template_id", "must be letters, digits, '_', '.' or '-'");
    if (template.controls.length === 0) throw fail("controls", "must list at least one control");
    const seen = new Set<string>();
    template.controls.forEach((control, i) => {
      const at = `controls[${i}]`;
      for (const key of ["control_id", "title", "evidence"] as const) {
        if (control[key] === undefined || control[key] === "") throw fail(at, `${key} is required`);
      }
      if (seen.has(control.control_id))
        throw fail(`${at}.control_id`, `${control.control_id} is listed twice`);
      seen.add(control.control_id);
      if (control.evidence.length === 0) throw fail(`${at}.evidence`, "must name at least one evidence kind");
      control.evidence.forEach((kind, k) => {
        if (!(EVIDENCE_KINDS as readonly string[]).includes(kind))
          throw fail(
            `${at}.evidence[${k}]`,
            `unknown evidence kind ${JSON.stringify(kind)}`,
            `use one of: ${EVIDENCE_KINDS.join(", ")}`,
          );
      });
    });
    return template;
  });
}

/** A built-in template by id, or a template file (relative to cwd); unknown ids are exit 6. */
export async function loadAuditTemplate(ref: string, cwd: string): Promise<AuditTemplate> {
  if (looksLikePath(ref)) {
    const text = await readFile(resolve(cwd, ref), "utf8").catch((error) => {
      throw fromFsError(error, "read audit template", ref);
    });
    return parseAuditTemplate(text, ref);
  }
  const text = Object.hasOwn(AUDIT_TEMPLATE_TEXT, ref) ? AUDIT_TEMPLATE_TEXT[ref] : undefined;
  if (text === undefined) {
    throw invalidInput("guard_template_unknown", `unknown audit template ${JSON.stringify(ref)}`, {
      hint: `choose one of: ${AUDIT_TEMPLATE_IDS.join(", ")}, or give a template file (./my.yaml; copy one from templates/audit/)`,
    });
  }
  return parseAuditTemplate(text, `templates/audit/${ref}.yaml`);
}

/** The pack entries that evidence each kind (absent or empty: the kind is not in the pack). */
export type EvidenceByKind = Partial<Record<EvidenceKind, readonly string[]>>;

export interface TemplateControls {
  controls: GuardControl[];
  coverage: ControlCoverage[];
}

/** Pure: the template's controls over the pack's entries, each with its status. */
export function templateControls(template: AuditTemplate, evidence: EvidenceByKind): TemplateControls {
  const controls: GuardControl[] = [];
  const coverage: ControlCoverage[] = [];
  for (const control of template.controls) {
    const present = control.evidence.filter((kind) => (evidence[kind]?.length ?? 0) > 0);
    const missing = control.evidence.filter((kind) => !present.includes(kind));
    const status: ControlStatus = present.length === 0 ? "gap" : missing.length === 0 ? "covered" : "partial";
    controls.push({
      control_id: control.control_id,
      title: control.title,
      evidence_paths: sortedUnique(present.flatMap((kind) => evidence[kind] ?? [])),
    });
    coverage.push({
      control_id: control.control_id,
      status,
      kinds_present: sortedUnique(present),
      kinds_missing: sortedUnique(missing),
    });
  }
  return { controls, coverage };
}
