/**
 * `gait export --from <runpack|pack>`: send an artifact's run, tool calls, decisions and
 * verification to an OTLP endpoint and/or a JSONL decision log after the fact. The export module
 * (and OpenTelemetry with it) is imported only when this command runs.
 */
import { resolve } from "node:path";
import { exitForCheck } from "../../contract/exit.ts";
import { showPath } from "../../contract/paths.ts";
import { verifyEvidencePack } from "../../guard/index.ts";
import { type CommandContext, type CommandOutcome, command, type Options, stringOption } from "../command.ts";
import { invalidInput } from "../error-codes.ts";
import { readProjectVerifyKey, verifyKeyOptions } from "../keyflags.ts";
import { projectConfigOptions } from "../project-defaults.ts";
import { exportDestinationOptions, readExportDestinations } from "./export-flags.ts";

export const exportCommand = command({
  name: "export",
  explain:
    "Export a runpack's or pack's run, tool calls, decisions and verification as OpenTelemetry spans and metrics (OTLP/HTTP) and/or JSONL decision log lines; the artifact is verified first.",
  options: [
    { name: "from", value: "path", description: "runpack zip or pack zip to export (required)" },
    ...exportDestinationOptions,
    {
      name: "require-signature",
      description: "fail verification unless a signature verifies (needs a public key)",
    },
    ...verifyKeyOptions,
    ...projectConfigOptions,
  ],
  examples: [
    "gait export --from gait-out/runpack_run_demo.zip --otlp-endpoint http://127.0.0.1:4318",
    "OTEL_EXPORTER_OTLP_ENDPOINT=https://otel.example.com gait export --from pack_<pack_id>.zip",
    "gait export --from gait-out/runpack_run_demo.zip --log-out decisions.jsonl --json",
  ],
  run: runExport,
});

async function runExport(_args: string[], options: Options, ctx: CommandContext): Promise<CommandOutcome> {
  const from = stringOption(options, "from");
  if (!from) {
    throw invalidInput("usage", "--from is required", {
      hint: "e.g. gait export --from gait-out/runpack_<run_id>.zip --otlp-endpoint http://127.0.0.1:4318",
    });
  }
  const destinations = await readExportDestinations(options, ctx);
  const exportModule = await import("../../export/index.ts");
  const exporters = await exportModule.createExporters({
    ...destinations,
    cwd: ctx.cwd,
    env: ctx.env,
    onWarning: ctx.warn,
  });
  if (!exporters) {
    throw exportModule.destinationMissing();
  }
  const path = resolve(ctx.cwd, from);
  const found = await readProjectVerifyKey(options, ctx);
  let replay: Awaited<ReturnType<typeof exportModule.openReplay>>;
  try {
    replay = await exportModule.openReplay(path, {
      requireSignature: options["require-signature"] === true,
      ...(found?.given ? { verifyKey: found.key } : found ? { defaultKey: found.key } : {}),
      guardVerifier: verifyEvidencePack,
    });
  } catch (error) {
    await exporters.shutdown();
    throw error;
  }
  const delivered = await exportModule.deliver(exporters, replay.events);
  if (delivered.dropped > 0) throw exportModule.deliveryFailed(delivered.dropped, exporters.destinations);
  const output: Record<string, unknown> = {
    ...replay.summary,
    from: showPath(ctx.cwd, path),
    destinations: exporters.destinations,
    exported: delivered.sinks,
    dropped: delivered.dropped,
  };
  if (!replay.verification.ok) {
    output.error = "the artifact did not verify: only its verification was exported";
  }
  return {
    exitCode: exitForCheck(replay.verification.ok),
    output,
    human: humanLines(output),
  };
}

function humanLines(output: Record<string, unknown>): string[] {
  const run = output.run_id
    ? ` run_id=${String(output.run_id)} otlp_trace_id=${String(output.otlp_trace_id)}`
    : "";
  return [
    `export: ${output.ok ? "verified" : "VERIFICATION FAILED"} ${String(output.from)} pack_type=${String(output.pack_type)}${run}`,
    `sent ${String(output.events)} events (${String(output.tool_calls)} tool calls, ${String(output.decisions)} decisions) to ${(output.destinations as string[]).join(", ")}`,
    ...(output.error ? [String(output.error)] : []),
  ];
}
