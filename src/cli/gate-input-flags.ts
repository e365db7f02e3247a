/**
 * The `gate eval` flags for the optional inputs checked around the policy: the kill-switch state
 * (`--kill-switch-state`), a context evidence envelope (`--context-envelope`) and a Wrkr
 * inventory (`--wrkr-inventory`). Their code is imported only when they are used; a plain
 * `gate eval` pays one stat() for the default kill-switch state.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { GateProfile } from "../gate/index.ts";
import type { EvaluateOptions } from "../sdk/gate.ts";
import type { CommandContext, OptionSpec, Options } from "./command.ts";
import { stringOption } from "./command.ts";
import { readJsonInput } from "./io.ts";

/** As kill-switch.ts's DEFAULT_KILL_SWITCH_STATE (not imported from it: that would load it). */
export const DEFAULT_KILL_SWITCH_STATE_PATH = ".gait-out/kill_switch_state.json";

/** An envelope of reference records is small; a larger file is the wrong file. */
const MAX_CONTEXT_ENVELOPE_BYTES = 8 * 1024 * 1024;

export const gateInputOptions: OptionSpec[] = [
  {
    name: "kill-switch-state",
    value: "path",
    description: `kill-switch state checked before the verdict stands (default ${DEFAULT_KILL_SWITCH_STATE_PATH} when it exists); unreadable: block for high/critical risk and oss-prod, else exit 6`,
  },
  {
    name: "context-envelope",
    value: "path",
    description:
      "verified context evidence envelope (gait.context.envelope); without one the intent's own context evidence is ignored",
  },
  {
    name: "wrkr-inventory",
    value: "path",
    description:
      "Wrkr tool inventory adding wrkr.* context for the policy's context_* match keys; unreadable: exit 3 for high/critical risk and oss-prod, else a warning",
  },
];

/** The kill-switch state to check: the flag (or config), else the default file when it exists. */
export function killSwitchStatePath(options: Options, cwd: string): string | undefined {
  const given = stringOption(options, "kill-switch-state");
  if (given !== undefined) return given;
  return existsSync(resolve(cwd, DEFAULT_KILL_SWITCH_STATE_PATH))
    ? DEFAULT_KILL_SWITCH_STATE_PATH
    : undefined;
}

/** The context evidence and Wrkr context of one decision, from `--context-envelope` and `--wrkr-inventory`. */
export async function readGateInputs(
  options: Options,
  ctx: CommandContext,
  intent: unknown,
  profile: GateProfile,
): Promise<Pick<EvaluateOptions, "contextEvidence" | "wrkrContext">> {
  const out: Pick<EvaluateOptions, "contextEvidence" | "wrkrContext"> = {};
  const envelopePath = stringOption(options, "context-envelope");
  if (envelopePath !== undefined) {
    const context = await import("../context/index.ts");
    const raw = await readJsonInput(envelopePath, ctx.cwd, "context envelope", {
      maxBytes: MAX_CONTEXT_ENVELOPE_BYTES,
    });
    out.contextEvidence = context.contextEvidenceFor(context.parseContextEnvelope(raw, envelopePath));
  }
  const inventoryPath = stringOption(options, "wrkr-inventory");
  if (inventoryPath !== undefined) {
    const wrkr = await import("../gate/wrkr-inventory.ts");
    const { failsClosedOnMissingInput, requestRiskClass } = await import("../gate/fail-closed-inputs.ts");
    try {
      out.wrkrContext = wrkr.wrkrContextLookup(
        await wrkr.loadWrkrInventory(resolve(ctx.cwd, inventoryPath), inventoryPath),
      );
    } catch (error) {
      if (failsClosedOnMissingInput(profile, requestRiskClass(intent)))
        throw wrkr.wrkrInventoryUnavailable(error);
      ctx.warn(`wrkr inventory unavailable, evaluating without wrkr context: ${(error as Error).message}`);
    }
  }
  return out;
}
