/**
 * The single output writer. Success: one sorted, one-line JSON object (`--json`) or short human
 * text. Failure: the JSON error envelope (CONTRACTS.md §9) or `error:`/`hint:` lines on stderr.
 */
import { canonicalize, sha256Hex } from "../contract/canonical.ts";
import { asGaitError, errorEnvelope, isGaitError } from "../contract/errors.ts";
import { categoryForExit, defaultHintForExit, type ErrorCategory, isRetryable } from "../contract/exit.ts";
import type { CommandOutcome } from "./command.ts";

export interface Streams {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Go's `encoding/json` escapes <, > and & (and U+2028/2029); we render the same way. */
export function renderJsonLine(value: unknown): string {
  return canonicalize(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** First 24 hex of sha256 over the trimmed argv joined by U+001F (stable per invocation string). */
export function correlationIdFor(argv: readonly string[]): string {
  return sha256Hex(argv.map((a) => a.trim()).join("\u001f")).slice(0, 24);
}

export function writeOutcome(
  outcome: CommandOutcome,
  opts: { json: boolean; correlationId: string; warnings: string[] },
  streams: Streams,
): number {
  const exitCode = outcome.exitCode ?? 0;
  if (opts.json) {
    const output: Record<string, unknown> = { ok: true, ...outcome.output };
    if (opts.warnings.length > 0 && output.warnings === undefined) output.warnings = opts.warnings;
    if (output.correlation_id === undefined) output.correlation_id = opts.correlationId;
    if (typeof output.error === "string" && output.error !== "") fillEnvelope(output, exitCode);
    streams.stdout(`${renderJsonLine(output)}\n`);
    return exitCode;
  }
  for (const warning of opts.warnings) streams.stderr(`warning: ${warning}\n`);
  const human = outcome.human ?? keyValueLines(outcome.output);
  const text = Array.isArray(human) ? human.join("\n") : human;
  if (text !== "") streams.stdout(text.endsWith("\n") ? text : `${text}\n`);
  return exitCode;
}

export function writeError(
  error: unknown,
  opts: { json: boolean; correlationId: string; warnings: string[]; usage?: string | undefined },
  streams: Streams,
): number {
  const gaitError = asGaitError(error);
  if (opts.json) {
    const envelope: Record<string, unknown> = {
      ...errorEnvelope(gaitError),
      correlation_id: opts.correlationId,
    };
    if (opts.warnings.length > 0) envelope.warnings = opts.warnings;
    streams.stdout(`${renderJsonLine(envelope)}\n`);
  } else {
    for (const warning of opts.warnings) streams.stderr(`warning: ${warning}\n`);
    streams.stderr(`error: ${gaitError.message}\n`);
    if (gaitError.hint) streams.stderr(`hint: ${gaitError.hint}\n`);
    if (opts.usage) streams.stderr(`\n${opts.usage}`);
  }
  if (!isGaitError(error) && process.env.GAIT_DEBUG === "1" && error instanceof Error && error.stack) {
    streams.stderr(`${error.stack}\n`);
  }
  return gaitError.exitCode;
}

/** Fills the envelope fields of an outcome that reports an `error` without throwing. */
function fillEnvelope(output: Record<string, unknown>, exitCode: number): void {
  const category = categoryForExit(exitCode);
  output.error_code ??= category;
  output.error_category ??= category;
  output.retryable ??= isRetryable(output.error_category as ErrorCategory);
  output.hint ??= defaultHintForExit(exitCode);
}

/** Default human rendering: `key=value` lines for scalar members, in key order. */
function keyValueLines(output: Record<string, unknown>): string[] {
  const lines: string[] = [];
  for (const key of Object.keys(output).sort()) {
    const value = output[key];
    if (value === undefined || value === null || typeof value === "object") continue;
    lines.push(`${key}=${String(value)}`);
  }
  return lines;
}
