/**
 * `gait gate serve`: the CLI shell over the sidecar module. It resolves flags and project
 * defaults, keys and the token, starts the server, prints the startup line and returns; the
 * listening server keeps the process alive until SIGINT/SIGTERM, which flush the queued traces.
 *
 * The sidecar module is imported on demand, so `gait gate eval` (which loads this file with the
 * rest of the gate group) does not pay for it at start-up.
 */

import { resolve } from "node:path";
import { ExitCode } from "../../contract/exit.ts";
import { showPath } from "../../contract/paths.ts";
import { encodePublicKey } from "../../contract/signing.ts";
import { chooseSigningKey, type GateProfile } from "../../gate/index.ts";
import type { TraceDurability } from "../../sdk/index.ts";
import type { Sidecar } from "../../sidecar/index.ts";
import { approvalOptions, readApprovalFlags } from "../approval-flags.ts";
import { brokerOptions, readBrokerFlags, withBroker } from "../broker-flags.ts";
import { type CommandContext, type CommandOutcome, command, type Options, stringOption } from "../command.ts";
import { invalidInput } from "../error-codes.ts";
import { killSwitchStatePath } from "../gate-input-flags.ts";
import { readDelegationKey } from "../grant-flags.ts";
import { keyOptions, profileOption, readProjectSigningKeyRequest, signingKeyOptions } from "../keyflags.ts";
import { projectConfigOptions, withGateDefaults } from "../project-defaults.ts";
import { exportDestinations, liveExportOptions } from "./export-flags.ts";

const MAX_REQUEST_BYTES_CAP = 64 * 1024 * 1024;

export const gateServeCommand = command({
  name: "serve",
  explain:
    "Serve gate decisions over a loopback HTTP JSON API (evaluate, approve-check, health, policy) behind a bearer token, hot-reloading the policy (an unreadable or invalid policy blocks every call) and writing a signed trace per decision.",
  options: [
    {
      name: "policy",
      value: "path",
      description: "policy YAML file, watched for changes (default: gate.policy)",
    },
    {
      name: "listen",
      value: "host:port",
      description: "TCP address (default sidecar.listen, else 127.0.0.1:8787; port 0 picks a free port)",
    },
    { name: "socket", value: "path", description: "listen on this Unix socket instead of TCP" },
    {
      name: "token-env",
      value: "var",
      description:
        "NAME of the environment variable holding the bearer token (default: generate one and print it)",
    },
    {
      name: "allow-remote",
      description: "permit a non-loopback --listen address (requires --token-env)",
    },
    {
      name: "max-request-bytes",
      value: "n",
      description: "largest accepted request body (default 1048576); larger ones get HTTP 413",
    },
    {
      name: "kill-switch-state",
      value: "path",
      description:
        "kill-switch state checked on every decision (default gate.kill_switch_state, else .gait-out/kill_switch_state.json when it exists)",
    },
    {
      name: "trace-dir",
      value: "dir",
      description:
        "directory for signed trace_<trace_id>.json files (default gate.trace_dir, else gait-out/traces)",
    },
    {
      name: "rate-limit-state",
      value: "path",
      description:
        "keep rate-limit counters in this state file shared with `gait gate eval`; the sidecar holds its lock while it runs (default: in memory)",
    },
    {
      name: "trace-durability",
      value: "mode",
      description:
        "durable (default): answer a decision only once its trace is on disk; async: answer first and write behind (a crash loses the evidence of answered decisions)",
    },
    profileOption,
    ...signingKeyOptions,
    ...approvalOptions,
    ...keyOptions("delegation"),
    ...liveExportOptions,
    ...brokerOptions.filter((option) => option.name !== "credential-evidence-out"),
    ...projectConfigOptions,
  ],
  examples: [
    "gait gate serve --policy gait.policy.yaml",
    "gait gate serve --policy p.yaml --listen 127.0.0.1:0 --json",
    "gait gate serve --policy p.yaml --rate-limit-state .gait-out/gate_rate_limits.json",
    "GAIT_SIDECAR_TOKEN=$(openssl rand -base64 32) gait gate serve --policy p.yaml --token-env GAIT_SIDECAR_TOKEN",
    "gait gate serve --policy p.yaml --socket /run/gait/gate.sock --key-mode prod --private-key gait-out/keys/gait_private.key",
  ],
  run: runServe,
});

async function runServe(_args: string[], flags: Options, ctx: CommandContext): Promise<CommandOutcome> {
  const sidecarModule = await import("../../sidecar/index.ts");
  const { options, config } = await withGateDefaults(flags, ctx);
  const sidecarDefaults = config?.sidecar ?? {};
  const policyPath = stringOption(options, "policy");
  if (!policyPath) {
    throw invalidInput("usage", "--policy is required (or gate.policy in .gait/config.yaml)", {
      hint: "pass --policy PATH, or run `gait init` to write .gait.yaml and .gait/config.yaml",
    });
  }
  const socketPath = stringOption(options, "socket");
  const listenFlag = stringOption(options, "listen");
  if (socketPath && listenFlag) {
    throw invalidInput("usage", "--listen and --socket exclude each other", { hint: "pass one of them" });
  }
  const listen = socketPath
    ? ({ kind: "socket", path: resolve(ctx.cwd, socketPath) } as const)
    : sidecarModule.parseListenTarget(listenFlag ?? sidecarDefaults.listen ?? sidecarModule.DEFAULT_LISTEN);
  const tokenEnv = stringOption(options, "token-env") ?? sidecarDefaults.tokenEnv;
  const allowRemote = options["allow-remote"] === true;
  // Refused before any key or policy work, so the refusal is the first thing the operator sees.
  sidecarModule.checkBindAllowed(listen, allowRemote, tokenEnv !== undefined);
  const token = tokenEnv === undefined ? undefined : sidecarModule.tokenFromEnv(tokenEnv, ctx.env);
  const maxRequestBytes =
    parseMaxBytes(stringOption(options, "max-request-bytes")) ??
    sidecarDefaults.maxRequestBytes ??
    sidecarModule.DEFAULT_MAX_REQUEST_BYTES;

  const io = { env: ctx.env, cwd: ctx.cwd, warn: ctx.warn };
  const keys = await readProjectSigningKeyRequest(options, ctx.cwd);
  const signing = await chooseSigningKey({ ...keys, keyMode: keys.mode }, io);
  for (const warning of signing.warnings) ctx.warn(warning);
  const approvals = await readApprovalFlags(options, io);
  const delegationKey = await readDelegationKey(options, io);
  const traceDir = stringOption(options, "trace-dir") ?? sidecarModule.DEFAULT_SIDECAR_TRACE_DIR;
  const rateLimitState = stringOption(options, "rate-limit-state");
  const killSwitchState = killSwitchStatePath(options, ctx.cwd);
  const traceDurability = parseDurability(stringOption(options, "trace-durability"));
  // Configured (flags, config, else the OTEL environment) or undefined; the sidecar owns them.
  const exporters = await (await import("../../export/index.ts")).createExporters({
    ...exportDestinations(options, config?.export, "export-log-out"),
    cwd: ctx.cwd,
    env: ctx.env,
    onWarning: (message) => ctx.progress(`gait gate serve: ${message}`),
  });

  const sidecar = await sidecarModule.startSidecar({
    policyPath: resolve(ctx.cwd, policyPath),
    policyDisplay: policyPath,
    listen,
    ...(token !== undefined ? { token } : {}),
    allowRemote,
    maxRequestBytes,
    traceDir: resolve(ctx.cwd, traceDir),
    signingKey: signing.key,
    keyMode: signing.mode,
    profile: (stringOption(options, "profile") ?? "standard") as GateProfile,
    ...(approvals.approvalKey ? { approvalKey: approvals.approvalKey } : {}),
    ...(delegationKey ? { delegationKey } : {}),
    ...(approvals.approvers ? { approvers: approvals.approvers } : {}),
    ...(approvals.ledgerPath ? { approvalLedgerPath: approvals.ledgerPath } : {}),
    ...(rateLimitState ? { rateLimitStatePath: resolve(ctx.cwd, rateLimitState) } : {}),
    ...(killSwitchState ? { killSwitchStatePath: resolve(ctx.cwd, killSwitchState) } : {}),
    ...withBroker(readBrokerFlags(options)),
    traceDurability,
    ...(exporters ? { exporters } : {}),
    log: (message) => ctx.progress(`gait gate serve: ${message}`),
  });
  stopOnSignals(sidecar, ctx);

  const output: Record<string, unknown> = {
    listen: sidecarModule.describeTarget(sidecar.address),
    policy_path: policyPath,
    policy_digest: sidecar.policyDigest(),
    token_source: sidecar.tokenSource === "generated" ? "generated" : "env",
    trace_dir: showPath(ctx.cwd, resolve(ctx.cwd, traceDir)),
    trace_durability: traceDurability,
    trace_key_id: sidecar.traceKeyId,
    trace_public_key: encodePublicKey(signing.key),
    max_request_bytes: maxRequestBytes,
    pid: process.pid,
  };
  if (exporters) output.export_destinations = exporters.destinations;
  if (sidecar.address.kind === "tcp") output.url = sidecar.address.url;
  else output.socket = sidecar.address.path;
  if (sidecar.tokenSource === "generated") {
    // The one place a generated token is shown: the JSON startup object (read by launchers), or
    // stderr in human mode. It is never logged anywhere else.
    if (ctx.json) output.token = sidecar.token;
    else ctx.progress(`token=${sidecar.token}`);
  }
  return { output, human: humanLines(output) };
}

function parseDurability(text: string | undefined): TraceDurability {
  if (text === undefined || text === "durable" || text === "async") return text ?? "durable";
  throw invalidInput("usage", `--trace-durability must be durable or async, not ${JSON.stringify(text)}`, {
    hint: "durable answers only after the trace is on disk; async risks losing evidence on a crash",
  });
}

function parseMaxBytes(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_REQUEST_BYTES_CAP) {
    throw invalidInput("usage", `--max-request-bytes must be an integer from 1 to ${MAX_REQUEST_BYTES_CAP}`, {
      hint: "e.g. --max-request-bytes 1048576",
    });
  }
  return value;
}

/**
 * First SIGINT/SIGTERM: stop accepting, finish requests in flight, write every queued trace,
 * then let the process end (exit 1 when a trace could not be written). A second signal exits
 * at once.
 */
function stopOnSignals(sidecar: Sidecar, ctx: CommandContext): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      ctx.progress(`gait gate serve: ${signal} again; exiting without waiting for queued traces`);
      process.exit(ExitCode.internal);
    }
    stopping = true;
    ctx.progress(`gait gate serve: ${signal}: stopping; writing queued traces`);
    void sidecar.close().then((stats) => {
      ctx.progress(
        `gait gate serve: stopped; traces_written=${stats.written} trace_write_failures=${stats.failed}`,
      );
      process.exitCode = stats.failed > 0 ? ExitCode.internal : ExitCode.ok;
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    });
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

function humanLines(output: Record<string, unknown>): string[] {
  const where = output.url ?? `unix:${String(output.socket)}`;
  return [
    `gait gate serve: listening on ${String(where)}`,
    `policy=${String(output.policy_path)}`,
    `policy_digest=${String(output.policy_digest)}`,
    `trace_dir=${String(output.trace_dir)}`,
    `trace_durability=${String(output.trace_durability)}`,
    `token_source=${String(output.token_source)}`,
    `trace_public_key=${String(output.trace_public_key)}`,
    ...(output.export_destinations ? [`export=${(output.export_destinations as string[]).join(",")}`] : []),
    "send Authorization: Bearer <token>; stop with Ctrl-C or SIGTERM (queued traces are written first)",
  ];
}
