/**
 * Starter policy templates for `gait policy init`. The YAML files under templates/policy/ are the
 * source; they are embedded (templates.generated.ts) so the bundled CLI needs no files at runtime.
 */
import { invalidInput } from "./error-codes.ts";
import { POLICY_TEMPLATE_TEXT } from "./templates.generated.ts";

export const POLICY_TEMPLATE_NAMES: readonly string[] = Object.keys(POLICY_TEMPLATE_TEXT).sort();

/** The YAML text of a starter template, or a coded error naming the available ones. */
export function policyTemplate(name: string): string {
  const text = Object.hasOwn(POLICY_TEMPLATE_TEXT, name) ? POLICY_TEMPLATE_TEXT[name] : undefined;
  if (text === undefined) {
    throw invalidInput("unknown_policy_template", `unknown policy template ${JSON.stringify(name)}`, {
      hint: `choose one of: ${POLICY_TEMPLATE_NAMES.join(", ")}`,
    });
  }
  return text;
}
