/**
 * What `gait guard pack|verify` and `gait incident pack|timeline` share: the case, template,
 * render, output and key flags, how they are read, and the identity, signature, template and
 * rendering parts of their output.
 */
import {
  AUDIT_TEMPLATE_IDS,
  type BuiltEvidencePack,
  RENDER_FORMATS,
  type RenderFormat,
} from "../../guard/index.ts";
import { type CommandContext, listOption, type OptionSpec, type Options, stringOption } from "../command.ts";
import { invalidInput } from "../error-codes.ts";
import {
  keyOptions,
  readOptionalSigningRequest,
  readProjectVerifyKey,
  signingKeyOptions,
} from "../keyflags.ts";

/** A key given by flag checks every signature; the project's dev key only those it made. */
export async function keysFrom(options: Options, ctx: CommandContext, prefix?: string) {
  const found = await readProjectVerifyKey(options, ctx, prefix);
  return found?.given ? { verifyKey: found.key } : found ? { defaultKey: found.key } : {};
}

export const templateOption: OptionSpec = {
  name: "template",
  value: "id|path",
  description: `audit template: ${AUDIT_TEMPLATE_IDS.join(", ")}, or a template file (copy one from templates/audit/)`,
};

export const renderOption: OptionSpec = {
  name: "render",
  value: "formats",
  repeatable: true,
  description:
    "renderings (comma-separated): pdf (summary.pdf in the pack, listed in rendered_artifacts), html (the self-verifying page beside the pack)",
};

export function readRender(options: Options): RenderFormat[] {
  const asked = listOption(options, "render");
  for (const format of asked) {
    if (!(RENDER_FORMATS as readonly string[]).includes(format)) {
      throw invalidInput("usage", `--render ${format}: unknown format`, {
        hint: `use ${RENDER_FORMATS.join(", ")} (comma-separated)`,
      });
    }
  }
  return [...new Set(asked)] as RenderFormat[];
}

export function templateOutput(built: BuiltEvidencePack): Record<string, unknown> {
  const { manifest, documents } = built;
  return {
    ...(manifest.template_id ? { template_id: manifest.template_id } : {}),
    ...(documents.controlCoverage
      ? {
          control_status: Object.fromEntries(documents.controlCoverage.map((c) => [c.control_id, c.status])),
          gaps: documents.controlCoverage.filter((c) => c.status === "gap").map((c) => c.control_id),
        }
      : {}),
    ...(built.rendered.length > 0 ? { rendered: built.rendered } : {}),
  };
}

export function templateLines(built: BuiltEvidencePack): string[] {
  const { manifest, documents } = built;
  const coverage = documents.controlCoverage ?? [];
  return [
    ...(manifest.template_id
      ? [
          `template=${manifest.template_id} controls: ${coverage.map((c) => `${c.control_id}=${c.status}`).join(" ")}`,
        ]
      : []),
    ...built.rendered.map((r) => `rendered ${r.format}: ${r.path} sha256=${r.sha256}`),
  ];
}

/** The flags after each pack's own inputs: case id, template, render, output zip, signing and trace keys. */
export function packOutputOptions(descriptions: { template?: string; out: string }): OptionSpec[] {
  return [
    { name: "case-id", value: "id", description: "case or incident id recorded in the manifest" },
    descriptions.template ? { ...templateOption, description: descriptions.template } : templateOption,
    renderOption,
    { name: "out", value: "path", description: descriptions.out },
    ...signingKeyOptions,
    ...keyOptions("trace"),
  ];
}

/** What packOutputOptions' flags ask of a pack builder, and where it runs. */
export async function readPackOutputRequest(options: Options, ctx: CommandContext) {
  return {
    caseId: stringOption(options, "case-id"),
    template: stringOption(options, "template"),
    render: readRender(options),
    out: stringOption(options, "out"),
    signing: await readOptionalSigningRequest(options, ctx.cwd),
    traceKeys: await keysFrom(options, ctx, "trace"),
    cwd: ctx.cwd,
    env: ctx.env,
    warn: ctx.warn,
  };
}

/** The pack's identity, first in the JSON output. */
export function packIdentityOutput(built: BuiltEvidencePack): Record<string, unknown> {
  const { manifest } = built;
  return {
    ok: true,
    pack_path: built.shownPath,
    pack_id: manifest.pack_id,
    run_id: manifest.run_id,
    ...(manifest.case_id ? { case_id: manifest.case_id } : {}),
  };
}

export function signatureOutput(built: BuiltEvidencePack): Record<string, unknown> {
  return {
    signature_status: built.signatureStatus,
    ...(built.signatureKeyId ? { signature_key_id: built.signatureKeyId } : {}),
  };
}

/** `<kind> pack: ok pack_id=… run_id=…[ case_id=…]`, the first line of the human output. */
export function packHeadline(kind: string, built: BuiltEvidencePack): string {
  const { manifest } = built;
  return `${kind} pack: ok pack_id=${manifest.pack_id} run_id=${manifest.run_id}${manifest.case_id ? ` case_id=${manifest.case_id}` : ""}`;
}

export function signatureText(built: BuiltEvidencePack): string {
  return `signature_status=${built.signatureStatus}${built.signatureKeyId ? ` key_id=${built.signatureKeyId}` : ""}`;
}
