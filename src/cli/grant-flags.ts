/**
 * The `gate eval` flags for the two grants besides approvals: delegation tokens
 * (`--delegation-token`, `--delegation-token-chain`, `--delegation-public-key[-env]`,
 * `--delegation-audit-out`) and the approved-script registry (`--approved-script-registry`,
 * `--approved-script-public-key[-env]`). Their checking code is imported only when they are used.
 */
import { resolve } from "node:path";
import type { KeyIo } from "../contract/keys.ts";
import type { VerifyKey } from "../contract/signing.ts";
import { type ApprovedScriptMatcher, type GateProfile, MAX_TOKEN_BYTES } from "../gate/index.ts";
import type { EvaluateOptions } from "../sdk/gate.ts";
import { type CommandContext, listOption, type OptionSpec, type Options, stringOption } from "./command.ts";
import { invalidInput } from "./error-codes.ts";
import { readJsonInput } from "./io.ts";
import { keyOptions, readVerifyKey } from "./keyflags.ts";

/** Delegation tokens read for one decision at most: a chain longer than this is refused. */
const MAX_DELEGATION_TOKENS = 64;

export const grantOptions: OptionSpec[] = [
  {
    name: "delegation-token",
    value: "path",
    description: "delegation token file (gait.gate.delegation_token), repeatable",
    repeatable: true,
  },
  {
    name: "delegation-token-chain",
    value: "paths",
    description: "comma-separated delegation token files, one per link of the intent's delegation chain",
  },
  ...keyOptions("delegation"),
  {
    name: "delegation-audit-out",
    value: "path",
    description: "delegation audit path (default delegation_audit_<trace_id>.json next to the trace)",
  },
  {
    name: "approved-script-registry",
    value: "path",
    description:
      "approved-script registry (gait approve-script): a matching signed entry pre-approves a script",
  },
  ...keyOptions("approved-script"),
];

/** The delegation verify key, when given (else the gate falls back to the trace key). */
export function readDelegationKey(options: Options, io: KeyIo): Promise<VerifyKey | undefined> {
  return readVerifyKey(options, io, "delegation");
}

/** The delegation tokens and audit path of one decision. */
export async function readDelegationOptions(
  options: Options,
  cwd: string,
): Promise<Pick<EvaluateOptions, "delegationTokens" | "delegationAuditPath">> {
  const paths = [
    ...new Set([
      ...listOption(options, "delegation-token"),
      ...listOption(options, "delegation-token-chain"),
    ]),
  ];
  if (paths.length > MAX_DELEGATION_TOKENS) {
    throw invalidInput("usage", `at most ${MAX_DELEGATION_TOKENS} delegation tokens, got ${paths.length}`, {
      hint: "a delegation chain needs one token per link",
    });
  }
  const out: Pick<EvaluateOptions, "delegationTokens" | "delegationAuditPath"> = {};
  if (paths.length > 0) {
    out.delegationTokens = await Promise.all(
      paths.map((p) => readJsonInput(p, cwd, "delegation token", { maxBytes: MAX_TOKEN_BYTES })),
    );
  }
  const auditOut = stringOption(options, "delegation-audit-out");
  if (auditOut !== undefined) out.delegationAuditPath = auditOut;
  return out;
}

/**
 * The verified approved-script registry for this intent, when `--approved-script-registry` is
 * given. Untrusted registries fail closed (exit 3) under oss-prod or for high/critical risk, else
 * the fast path is off and a warning says why.
 */
export async function readApprovedScripts(
  options: Options,
  ctx: CommandContext,
  intent: unknown,
  profile: GateProfile,
): Promise<ApprovedScriptMatcher | undefined> {
  const registry = stringOption(options, "approved-script-registry");
  if (registry === undefined) return undefined;
  const key = await readVerifyKey(options, ctx, "approved-script");
  const { loadApprovedScripts } = await import("../gate/approved-scripts.ts");
  const { failsClosedOnMissingInput, requestRiskClass } = await import("../gate/fail-closed-inputs.ts");
  const loaded = await loadApprovedScripts({
    path: resolve(ctx.cwd, registry),
    display: registry,
    key,
    failClosed: failsClosedOnMissingInput(profile, requestRiskClass(intent)),
  });
  if (loaded.warning) ctx.warn(loaded.warning);
  return loaded.matcher;
}
