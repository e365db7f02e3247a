/**
 * `gait verify chain` (a runpack with its gate trace and evidence pack, one verdict) and
 * `gait verify session-chain` (a session's linked checkpoint runpacks), offline (REFERENCE.md §2.2).
 */
import { resolve } from "node:path";
import { exitForCheck } from "../../contract/exit.ts";
import { showPath } from "../../contract/paths.ts";
import { verifyTrace } from "../../gate/index.ts";
import { verifyEvidencePack } from "../../guard/index.ts";
import { type PackVerification, type PackVerifyOptions, verifyPack } from "../../pack/index.ts";
import {
  readSessionChain,
  resolveRunpackPath,
  type SessionChainVerification,
  type VerifyOptions,
  verifyRunpack,
  verifySessionChain,
} from "../../runpack/index.ts";
import { type CommandContext, command, type Options, stringOption } from "../command.ts";
import { invalidInput } from "../error-codes.ts";
import { readJsonInput } from "../io.ts";
import { readProjectVerifyKey, verifyKeyOptions } from "../keyflags.ts";
import { failureParts } from "../verify-report.ts";
import { operationExportOptions, runExported } from "./export-flags.ts";

const strictOptions = [
  { name: "require-signature", description: "fail unless a signature verifies (needs a public key)" },
  {
    name: "profile",
    value: "profile",
    choices: ["standard", "strict"],
    description: "strict = --require-signature",
  },
];

interface Keys {
  verify: VerifyOptions;
  /** The key a trace is checked with (given by flag, or the project's dev key). */
  traceKey?: NonNullable<VerifyOptions["verifyKey"]>;
}

/** As gait verify: a key given by flag checks every signature; the project's dev key only its own. */
async function readKeys(options: Options, ctx: CommandContext): Promise<Keys> {
  const requireSignature =
    options["require-signature"] === true || stringOption(options, "profile") === "strict";
  const found = await readProjectVerifyKey(options, ctx);
  return {
    verify: {
      requireSignature,
      ...(found?.given ? { verifyKey: found.key } : found ? { defaultKey: found.key } : {}),
    },
    ...(found ? { traceKey: found.key } : {}),
  };
}

export const verifyChainCommand = command({
  name: "chain",
  explain: "Verify a runpack together with its gate trace and evidence pack, offline, as one verdict.",
  options: [
    { name: "run", value: "run", description: "run_id or runpack path (required)" },
    { name: "trace", value: "path", description: "gate trace record to verify too (needs a public key)" },
    { name: "pack", value: "path", description: "pack or evidence pack zip to verify too" },
    ...strictOptions,
    ...verifyKeyOptions,
    ...operationExportOptions,
  ],
  examples: [
    "gait verify chain --run run_demo",
    "gait verify chain --run run_x --trace gait-out/trace_0a1b.json --pack gait-out/pack_x.zip --public-key gait_public.key",
  ],
  run: async (_args, options, ctx) => {
    const ref = stringOption(options, "run");
    if (!ref)
      throw invalidInput("usage", "--run is required", { hint: "e.g. gait verify chain --run run_demo" });
    const tracePath = stringOption(options, "trace");
    const packPath = stringOption(options, "pack");
    const keys = await readKeys(options, ctx);
    if (tracePath && !keys.traceKey)
      throw invalidInput("usage", "verifying a trace needs a public key", {
        hint: "pass --public-key PATH or --public-key-env VAR (in a project made by `gait init`, its dev key is used)",
      });
    const runPath = resolveRunpackPath(ref, ctx);
    // The runpack's verification is exported as `gait verify` exports it (the trace and pack are not).
    const run = await runExported(
      options,
      ctx,
      () => verifyRunpack(runPath, keys.verify),
      (done, at, operations) => (done.ok ? [operations.runpackVerifyEvent(done.value, at)] : []),
    );
    const output: Record<string, unknown> = { run: { ...run, path: showPath(ctx.cwd, runPath) } };
    const failures = run.ok ? [] : [`runpack ${run.run_id}: ${failureParts(run).join("; ") || "failed"}`];
    if (tracePath && keys.traceKey) {
      const trace = verifyTrace(await readJsonInput(tracePath, ctx.cwd, "trace"), keys.traceKey);
      output.trace = {
        ok: trace.ok,
        path: tracePath,
        trace_id: trace.traceId,
        verdict: trace.verdict,
        signature_status: trace.signatureStatus,
        key_id: trace.keyId,
        ...(trace.reason ? { error: trace.reason } : {}),
      };
      if (!trace.ok)
        failures.push(`trace ${trace.traceId || tracePath}: ${trace.reason ?? "signature did not verify"}`);
    }
    if (packPath) {
      const packOptions: PackVerifyOptions = { ...keys.verify, guardVerifier: verifyEvidencePack };
      const pack = await verifyPack(packPath, packOptions);
      // An evidence pack's verifier also returns its whole manifest: the verdict needs only the findings.
      const { manifest: _manifest, ...findings } = pack as PackVerification & { manifest?: unknown };
      output.pack = { ...findings, path: packPath };
      if (!pack.ok) failures.push(`pack ${pack.pack_id}: ${failureParts(pack).join("; ") || "failed"}`);
    }
    const ok = failures.length === 0;
    if (!ok) output.error = `chain failed verification: ${failures.join("; ")}`;
    return {
      exitCode: exitForCheck(ok),
      output: { ok, ...output },
      human: [
        `verify chain: ${ok ? "ok" : "FAILED"}`,
        `run ${run.run_id}: ${run.ok ? "ok" : "FAILED"} (signature ${run.signature_status})`,
        ...(output.trace
          ? [`trace ${tracePath}: ${(output.trace as { ok: boolean }).ok ? "ok" : "FAILED"}`]
          : []),
        ...(output.pack
          ? [`pack ${packPath}: ${(output.pack as { ok: boolean }).ok ? "ok" : "FAILED"}`]
          : []),
        ...failures.map((f) => `  ${f}`),
      ],
    };
  },
});

export const verifySessionChainCommand = command({
  name: "session-chain",
  explain:
    "Verify a session chain offline: every checkpoint runpack verifies and each checkpoint links to the previous one by digest.",
  args: [{ name: "chain", description: "the session chain (<journal>_chain.json)" }],
  options: [
    { name: "chain", value: "path", description: "the session chain (alternative to the positional)" },
    ...strictOptions,
    ...verifyKeyOptions,
  ],
  examples: [
    "gait verify session-chain --chain gait-out/sessions/agent_chain.json",
    "gait verify session-chain gait-out/sessions/agent_chain.json --require-signature --public-key gait_public.key",
  ],
  run: async (args, options, ctx) => {
    const path = args[0] ?? stringOption(options, "chain");
    if (!path)
      throw invalidInput("usage", "a session chain is required", {
        hint: "e.g. gait verify session-chain --chain gait-out/sessions/agent_chain.json",
      });
    const keys = await readKeys(options, ctx);
    const chainPath = resolve(ctx.cwd, path);
    const chain = await readSessionChain(chainPath, path);
    const result = await verifySessionChain({ chainPath, chain, cwd: ctx.cwd, verify: keys.verify });
    const output: Record<string, unknown> = { ...result, chain_path: showPath(ctx.cwd, chainPath) };
    if (!result.ok) {
      output.error = `session chain ${result.session_id} is broken: ${[...result.linkage_errors, ...result.checkpoint_errors][0]}`;
      output.hint =
        "the chain or a checkpoint runpack was altered or is missing; restore them from the original session directory";
    }
    return {
      exitCode: exitForCheck(result.ok),
      output,
      human: humanLines(String(output.chain_path), result),
    };
  },
});

function humanLines(path: string, result: SessionChainVerification): string[] {
  return [
    `verify session-chain: ${result.ok ? "ok" : "FAILED"} session_id=${result.session_id} run_id=${result.run_id} path=${path}`,
    ...result.checkpoints.map(
      (c) =>
        `  checkpoint ${c.checkpoint_index}: ${c.ok ? "ok" : "FAILED"} ${c.runpack_path}${c.signature_status ? ` (signature ${c.signature_status})` : ""}`,
    ),
    ...result.linkage_errors.map((e) => `linkage: ${e}`),
    ...result.checkpoint_errors.map((e) => `checkpoint: ${e}`),
  ];
}
