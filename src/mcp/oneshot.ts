/**
 * One-shot evaluation (`gait mcp proxy --call <file> --adapter …`): decode one framework payload,
 * decide it exactly as the proxy would (the same CallEnforcer: MCP trust, then the gate), write
 * its signed trace, and report. Gait never runs the tool here.
 */
import type { KeyMode } from "../contract/keys.ts";
import type { SigningKey } from "../contract/signing.ts";
import type { Clock } from "../contract/time.ts";
import type { GateProfile, LoadedPolicy } from "../gate/index.ts";
import { createGate, type GateDecisionJson } from "../sdk/index.ts";
import { type Adapter, decodeToolCall } from "./adapters.ts";
import { CallEnforcer } from "./enforcer.ts";
import type { CallDefaults } from "./tool-call.ts";
import { trustCheckFor } from "./trust.ts";

export interface OneShotOptions {
  policy: LoadedPolicy;
  adapter: Adapter;
  payload: unknown;
  signingKey: SigningKey;
  keyMode: KeyMode;
  profile: GateProfile;
  /** Absolute; undefined writes no trace file. */
  traceDir: string | undefined;
  defaults: CallDefaults;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  clock: Clock;
  warn: (message: string) => void;
}

export interface OneShotResult {
  executed: false;
  adapter: Adapter;
  tool_name: string;
  decision: GateDecisionJson;
}

export async function evaluateOneShot(options: OneShotOptions): Promise<OneShotResult> {
  const call = decodeToolCall(options.adapter, options.payload);
  const gate = await createGate({
    policy: options.policy,
    profile: options.profile,
    signingKey: options.signingKey,
    keyMode: options.keyMode,
    traceDir: options.traceDir ?? null,
    // One shot: the trace is on disk before the verdict is reported.
    traceDurability: "durable",
    clock: options.clock,
    cwd: options.cwd,
    env: options.env,
    onWarning: options.warn,
    onError: () => {},
  });
  const server = call.server ?? { id: "", transport: "none" as const };
  const trust = await trustCheckFor(options.policy, options.cwd, server.id);
  const enforcer = new CallEnforcer({
    gate,
    signingKey: options.signingKey,
    traceDir: options.traceDir,
    server,
    defaults: options.defaults,
    ...(trust ? { trust } : {}),
    clock: options.clock,
  });
  const decided = await enforcer.decide(call);
  await gate.close();
  return { executed: false, adapter: options.adapter, tool_name: call.name, decision: decided.json };
}
