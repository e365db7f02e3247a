/** `gait trace verify`: check a gate trace's Ed25519 signature offline. */

import { isJsonObject } from "../../contract/canonical.ts";
import { exitForCheck } from "../../contract/exit.ts";
import { verifyTrace } from "../../gate/index.ts";
import { type CommandContext, command, group, type Options, pathArgument } from "../command.ts";
import { invalidInput } from "../error-codes.ts";
import { readJsonInput } from "../io.ts";
import { readProjectVerifyKey, verifyKeyOptions } from "../keyflags.ts";
import { identityOptions } from "../store-flags.ts";
import { wrapperCommand } from "./wrap.ts";

const traceVerifyCommand = command({
  name: "verify",
  explain: "Verify the signature of a gate trace record with a public key, offline.",
  args: [{ name: "trace", description: "trace_<id>.json file" }],
  options: [
    { name: "path", value: "path", description: "trace file (alternative to the positional)" },
    ...verifyKeyOptions,
    ...identityOptions,
  ],
  examples: [
    "gait trace verify trace_0a1b2c.json --public-key gait-out/keys/gait_public.key",
    "gait trace verify gait-out/traces/trace_0a1b2c.json.age --identity key.txt",
  ],
  run: async (args: string[], options: Options, ctx: CommandContext) => {
    const path = pathArgument(args, options, "a trace path");
    const found = await readProjectVerifyKey(options, { env: ctx.env, cwd: ctx.cwd, warn: ctx.warn });
    if (!found) {
      throw invalidInput("usage", "trace verify needs a public key", {
        hint: "pass --public-key PATH or --public-key-env VAR (in a project made by `gait init`, its dev key is used)",
      });
    }
    const trace = await readJsonInput(path, ctx.cwd, "trace");
    if (!found.given) refuseForeignSigner(trace, found.key.keyId);
    const result = verifyTrace(trace, found.key);
    const output: Record<string, unknown> = {
      ok: result.ok,
      path,
      trace_id: result.traceId,
      verdict: result.verdict,
      signature_status: result.signatureStatus,
      key_id: result.keyId,
    };
    if (!result.ok) output.error = result.reason ?? "trace signature did not verify";
    return {
      exitCode: exitForCheck(result.ok),
      output,
      human: result.ok
        ? [`trace ${result.traceId}: signature verified (key_id=${result.keyId})`]
        : [`trace ${result.traceId || path}: signature ${result.signatureStatus}: ${result.reason}`],
    };
  },
});

/** The project's dev key verifies only what it signed: another signer needs its key, given by flag. */
function refuseForeignSigner(trace: unknown, projectKeyId: string): void {
  const signature = isJsonObject(trace) ? trace.signature : undefined;
  const keyId = isJsonObject(signature) ? signature.key_id : undefined;
  if (typeof keyId === "string" && keyId !== projectKeyId) {
    throw invalidInput("usage", `the trace is signed by key ${keyId}, not by this project's dev key`, {
      hint: "pass the signer's public key with --public-key PATH or --public-key-env VAR",
    });
  }
}

export const traceGroup = group({
  name: "trace",
  explain:
    "Work with signed gate trace records: `gait trace verify <file>`, or `gait trace -- <cmd>` to collect a command's traces.",
  commands: [traceVerifyCommand],
  defaultCommand: wrapperCommand("trace"),
});
