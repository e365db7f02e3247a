/**
 * The single output writer. Success: one sorted, one-line JSON object (`--json`) or short human
 * text. Failure: the JSON error envelope (CONTRACTS.md §9) or `error:`/`hint:` lines on stderr.
 * Human text may be coloured (colorEnabled decides, per stream); JSON never is.
 */
import { canonicalize, sha256Hex } from "../contract/canonical.ts";
import { asGaitError, envelopeFields, errorEnvelope, isGaitError } from "../contract/errors.ts";
import { defaultHintForExit, type ErrorCategory } from "../contract/exit.ts";
import type { CommandOutcome } from "./command.ts";

export interface Streams {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether human text on each stream may carry ANSI colour (see colorEnabled); plain if absent. */
  color?: { stdout: boolean; stderr: boolean };
}

/** The generic hint of a usage error; human output says `see \`gait <cmd> --help\`` instead. */
export const USAGE_HINT = "run with --help to see usage";

/**
 * Whether to colour a stream: never with a non-empty NO_COLOR (no-color.org, which wins over
 * everything); else as FORCE_COLOR says when it is set and non-empty (`0` or `false` turn colour
 * off, anything else on, even when piped); else only on a terminal that is not TERM=dumb.
 */
export function colorEnabled(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== "") return force !== "0" && force !== "false";
  return isTTY && env.TERM !== "dumb";
}

interface Palette {
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
}

const sgr = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const colored: Palette = { red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), dim: sgr(2, 22) };
const identity = (text: string) => text;
const plain: Palette = { red: identity, green: identity, yellow: identity, dim: identity };

const verdictColor: Record<string, keyof Palette> = {
  allow: "green",
  block: "red",
  require_approval: "yellow",
  dry_run: "yellow",
};

/** Colours the value of every `verdict=<verdict>` token (not `default_verdict=`, not `simulated_verdict=`). */
function colorVerdicts(text: string, palette: Palette): string {
  return text.replace(
    /\bverdict=(allow|block|require_approval|dry_run)\b/g,
    (_match, verdict: string) => `verdict=${palette[verdictColor[verdict]!](verdict)}`,
  );
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
  const write = outcome.stream === "stderr" ? streams.stderr : streams.stdout;
  if (opts.json) {
    const output: Record<string, unknown> = { ok: true, ...outcome.output };
    if (opts.warnings.length > 0 && output.warnings === undefined) output.warnings = opts.warnings;
    if (output.correlation_id === undefined) output.correlation_id = opts.correlationId;
    if (typeof output.error === "string" && output.error !== "") fillEnvelope(output, exitCode);
    write(`${renderJsonLine(output)}\n`);
    return exitCode;
  }
  writeWarnings(opts.warnings, streams);
  const human = outcome.human ?? keyValueLines(outcome.output);
  const text = Array.isArray(human) ? human.join("\n") : human;
  const colorOk = outcome.stream === "stderr" ? streams.color?.stderr : streams.color?.stdout;
  const palette = colorOk && outcome.verbatim !== true ? colored : plain;
  if (text !== "") write(colorVerdicts(text.endsWith("\n") ? text : `${text}\n`, palette));
  return exitCode;
}

/**
 * `seeHelp` marks a usage error of that command (e.g. `gait gate eval`): human output then ends
 * with one `see \`<command> --help\`` line instead of a generic hint.
 */
export function writeError(
  error: unknown,
  opts: { json: boolean; correlationId: string; warnings: string[]; seeHelp?: string | undefined },
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
    const palette = streams.color?.stderr ? colored : plain;
    writeWarnings(opts.warnings, streams);
    streams.stderr(`${palette.red("error:")} ${gaitError.message}\n`);
    const genericHint =
      opts.seeHelp !== undefined &&
      (gaitError.hint === USAGE_HINT || gaitError.hint === defaultHintForExit(gaitError.exitCode));
    if (gaitError.hint && !genericHint) streams.stderr(`${palette.dim(`hint: ${gaitError.hint}`)}\n`);
    if (opts.seeHelp !== undefined) streams.stderr(`${palette.dim(`see \`${opts.seeHelp} --help\``)}\n`);
  }
  if (!isGaitError(error) && process.env.GAIT_DEBUG === "1" && error instanceof Error && error.stack) {
    streams.stderr(`${error.stack}\n`);
  }
  return gaitError.exitCode;
}

function writeWarnings(warnings: readonly string[], streams: Streams): void {
  const palette = streams.color?.stderr ? colored : plain;
  for (const warning of warnings) streams.stderr(`${palette.yellow("warning:")} ${warning}\n`);
}

/**
 * Fills the envelope fields of an outcome that reports an `error` without throwing, by the same
 * rules as a thrown error's (envelopeFields): a code, category or hint the command set is the
 * failure's own; an exit-6 code of its own moves to `detail_code`.
 */
function fillEnvelope(output: Record<string, unknown>, exitCode: number): void {
  const fields = envelopeFields(exitCode, {
    code: nonEmptyString(output.error_code),
    category: nonEmptyString(output.error_category) as ErrorCategory | undefined,
    hint: nonEmptyString(output.hint),
  });
  output.error_code = fields.error_code;
  if (fields.detail_code !== undefined) output.detail_code ??= fields.detail_code;
  output.error_category = fields.error_category;
  output.retryable = fields.retryable;
  output.hint = fields.hint;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
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
