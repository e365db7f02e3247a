/**
 * Which decisions an unreadable or untrusted optional input (kill-switch state, Wrkr inventory,
 * approved-script registry) must block rather than skip: high and critical risk, and everything
 * under the oss-prod profile (REFERENCE.md §2.4 step 4).
 */
import { isJsonObject } from "../contract/canonical.ts";
import { trimLower, withoutInvisibleCharacters } from "../contract/text.ts";
import type { GateProfile } from "./setup.ts";

const FAIL_CLOSED_RISK = new Set(["high", "critical"]);

export function failsClosedOnMissingInput(profile: GateProfile, riskClass: string): boolean {
  return profile === "oss-prod" || FAIL_CLOSED_RISK.has(riskClass);
}

/** The risk class an intent request claims, read without normalizing it (invisible characters dropped). */
export function requestRiskClass(request: unknown): string {
  if (!isJsonObject(request) || !isJsonObject(request.context)) return "";
  const risk = request.context.risk_class;
  return typeof risk === "string" ? trimLower(withoutInvisibleCharacters(risk)) : "";
}
