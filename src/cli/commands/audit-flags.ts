/**
 * What `gait guard pack` and `gait incident pack` share: the --template and --render flags, and
 * the template and rendering parts of their output.
 */
import {
  AUDIT_TEMPLATE_IDS,
  type BuiltEvidencePack,
  RENDER_FORMATS,
  type RenderFormat,
} from "../../guard/index.ts";
import { listOption, type OptionSpec, type Options } from "../command.ts";
import { invalidInput } from "../error-codes.ts";

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
