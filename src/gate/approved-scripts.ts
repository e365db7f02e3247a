/**
 * The approved-script registry (REFERENCE.md §2.4 steps 4–5, §2.8; CONTRACTS.md §8): signed
 * `gait.gate.approved_script_entry` records, each binding a policy digest, a script hash and the
 * script's tool sequence (and optionally scope: `risk:`, `tool:`, `workspace_prefix:`,
 * `endpoint:`). A valid, unexpired entry matching a script intent pre-approves it.
 *
 * The registry file is `{schema_id: gait.gate.approved_script_registry, schema_version, entries}`.
 * Entries are signed one by one, so they are verified one by one: any entry that fails makes the
 * whole registry unverifiable (the caller then fails closed or disables the fast path).
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { compareBytes, isSha256Hex } from "../contract/bytes.ts";
import { isJsonObject, type JsonValue, parseJsonStrict, sha256Hex } from "../contract/canonical.ts";
import { fromFsError } from "../contract/errors.ts";
import { withFileLock, writeFileAtomic } from "../contract/files.ts";
import {
  type SigningKey,
  signJson,
  type VerifyKey,
  verifyJson,
  withoutSignature,
} from "../contract/signing.ts";
import { trimLower, trimSpace } from "../contract/text.ts";
import { Timestamp } from "../contract/time.ts";
import { PRODUCER_VERSION } from "../contract/version.ts";
import { gaitError, invalidInput } from "./error-codes.ts";
import type { ApprovedScriptMatcher } from "./gate-grants.ts";
import type { PreparedIntent } from "./intent-model.ts";
import { normalizeScope, requireIdentity } from "./signed-grant.ts";
import { prettyJson } from "./trace.ts";
import type { ApprovedScriptEntry, ApprovedScriptRegistry } from "./wire.ts";
import {
  APPROVED_SCRIPT_ENTRY_SCHEMA_ID,
  APPROVED_SCRIPT_REGISTRY_SCHEMA_ID,
  GATE_SCHEMA_VERSION,
} from "./wire-ids.ts";
import { isApprovedScriptEntry } from "./wire-runtime.ts";

/** A registry larger than this is refused rather than parsed. */
export const MAX_REGISTRY_BYTES = 8 * 1024 * 1024;

/** The scope prefixes an entry may be narrowed by. */
const SCOPE_PREFIXES = ["risk:", "tool:", "workspace_prefix:", "endpoint:"] as const;

export function emptyApprovedScriptRegistry(): ApprovedScriptRegistry {
  return { schema_id: APPROVED_SCRIPT_REGISTRY_SCHEMA_ID, schema_version: GATE_SCHEMA_VERSION, entries: [] };
}

// ---------------------------------------------------------------------------------------------
// minting

export interface ApproveScriptRequest {
  prepared: PreparedIntent;
  policyDigest: string;
  approver: string;
  patternId?: string | undefined;
  scope?: string[] | undefined;
  ttlNanos: bigint;
  now: Timestamp;
}

/** A signed entry pre-approving exactly this script (its hash and tool sequence) under this policy. */
export function mintApprovedScriptEntry(request: ApproveScriptRequest, key: SigningKey): ApprovedScriptEntry {
  const intent = request.prepared.intent;
  if (!intent.script || !intent.script_hash) {
    throw usage("--intent must be a script intent (with script.steps)");
  }
  const approver = requireIdentity(request.approver, "--approver", usage);
  if (request.ttlNanos <= 0n) throw usage("--ttl must be positive, e.g. 168h");
  const scope = normalizeScope(request.scope ?? []);
  const unknown = scope.find((s) => !SCOPE_PREFIXES.some((p) => s.startsWith(p) && s.length > p.length));
  if (unknown !== undefined) {
    throw usage(
      `--scope ${JSON.stringify(unknown)}: each entry is risk:, tool:, workspace_prefix: or endpoint:<value>`,
    );
  }
  const createdAt = request.now.utc();
  const entry: ApprovedScriptEntry = {
    schema_id: APPROVED_SCRIPT_ENTRY_SCHEMA_ID,
    schema_version: GATE_SCHEMA_VERSION,
    created_at: createdAt.toString(),
    producer_version: PRODUCER_VERSION,
    pattern_id:
      trimSpace(request.patternId ?? "") || defaultPatternId(request.policyDigest, intent.script_hash),
    policy_digest: request.policyDigest,
    script_hash: intent.script_hash,
    tool_sequence: intent.script.steps.map((step) => step.tool_name),
    approver_identity: approver,
    expires_at: createdAt.addNanos(request.ttlNanos).toString(),
  };
  if (scope.length > 0) entry.scope = scope;
  entry.signature = signJson(key, entry);
  return entry;
}

/** `script_` + 16 hex naming the (policy, script) pair, when the approver gives no pattern id. */
function defaultPatternId(policyDigest: string, scriptHash: string): string {
  return `script_${sha256Hex(`${policyDigest}:${scriptHash}`).slice(0, 16)}`;
}

/** The registry with `entry` added; an entry with the same pattern id is replaced. */
export function withApprovedScript(
  registry: ApprovedScriptRegistry,
  entry: ApprovedScriptEntry,
): ApprovedScriptRegistry {
  const others = registry.entries.filter((e) => !(isJsonObject(e) && e.pattern_id === entry.pattern_id));
  return { ...registry, entries: [...others, entry] };
}

/**
 * Adds `entry` to the registry file (created if missing) and returns its entry count. Concurrent
 * approvals write the same file, so it is read, changed and written atomically under its lock.
 */
export async function addApprovedScript(
  path: string,
  entry: ApprovedScriptEntry,
  display = path,
): Promise<number> {
  return withFileLock(`${path}.lock`, async () => {
    const current = existsSync(path)
      ? await readApprovedScriptRegistry(path, display)
      : emptyApprovedScriptRegistry();
    const next = withApprovedScript(current, entry);
    await writeFileAtomic(path, prettyJson(next));
    return next.entries.length;
  });
}

function usage(message: string) {
  return invalidInput("usage", message, { hint: "run gait approve-script --help" });
}

// ---------------------------------------------------------------------------------------------
// reading and verifying

/** Parses registry text; throws `approved_script_registry_invalid` for anything but a v1 registry. */
export function parseApprovedScriptRegistry(text: string, source: string): ApprovedScriptRegistry {
  let value: JsonValue;
  try {
    value = parseJsonStrict(text, source);
  } catch (error) {
    throw registryInvalid(`${source}: not JSON: ${(error as Error).message}`);
  }
  if (!isJsonObject(value)) throw registryInvalid(`${source}: the registry must be a JSON object`);
  if (value.schema_id !== APPROVED_SCRIPT_REGISTRY_SCHEMA_ID) {
    throw registryInvalid(`${source}: schema_id must be ${APPROVED_SCRIPT_REGISTRY_SCHEMA_ID}`);
  }
  if (value.schema_version !== GATE_SCHEMA_VERSION) {
    throw registryInvalid(`${source}: schema_version must be ${GATE_SCHEMA_VERSION}`);
  }
  const unknown = Object.keys(value).find((k) => !["schema_id", "schema_version", "entries"].includes(k));
  if (unknown !== undefined) throw registryInvalid(`${source}: unknown member ${JSON.stringify(unknown)}`);
  if (!Array.isArray(value.entries)) throw registryInvalid(`${source}: entries must be a list`);
  return {
    schema_id: APPROVED_SCRIPT_REGISTRY_SCHEMA_ID,
    schema_version: GATE_SCHEMA_VERSION,
    entries: value.entries,
  };
}

/** Reads a registry file (size-capped); a missing file is `file_not_found`. */
export async function readApprovedScriptRegistry(
  path: string,
  display = path,
): Promise<ApprovedScriptRegistry> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw fromFsError(error, "read approved-script registry", display);
  }
  if (bytes.length > MAX_REGISTRY_BYTES) {
    throw registryInvalid(`${display}: larger than ${MAX_REGISTRY_BYTES} bytes`);
  }
  return parseApprovedScriptRegistry(bytes.toString("utf8"), display);
}

function registryInvalid(message: string) {
  return invalidInput("approved_script_registry_invalid", message, {
    hint: "write the registry with gait approve-script; see docs/approved-scripts.md",
  });
}

/** Why one entry cannot be trusted: `entry_invalid`, `entry_signature_missing`, `entry_signature_invalid`. */
export type EntryProblem = "entry_invalid" | "entry_signature_missing" | "entry_signature_invalid";

/** The entry, normalized, when it is a v1 entry signed by `key`; else why not. Never throws. */
export function verifyApprovedScriptEntry(
  raw: unknown,
  key: VerifyKey,
): { entry: ApprovedScriptEntry } | { problem: EntryProblem; message: string } {
  if (!isJsonObject(raw)) return { problem: "entry_invalid", message: "not a JSON object" };
  const body = withoutSignature(raw);
  if (!isApprovedScriptEntry(body)) {
    return { problem: "entry_invalid", message: `not a ${APPROVED_SCRIPT_ENTRY_SCHEMA_ID} v1 record` };
  }
  try {
    Timestamp.parse(body.expires_at);
    Timestamp.parse(body.created_at);
  } catch {
    return { problem: "entry_invalid", message: "created_at or expires_at is not an RFC 3339 time" };
  }
  if (!isSha256Hex(body.policy_digest.toLowerCase()) || !isSha256Hex(body.script_hash.toLowerCase())) {
    return { problem: "entry_invalid", message: "policy_digest and script_hash must be 64 hex characters" };
  }
  if (raw.signature === undefined || raw.signature === null) {
    return { problem: "entry_signature_missing", message: "the entry is not signed" };
  }
  const verified = verifyJson(key, body, raw.signature);
  if (!verified.ok) return { problem: "entry_signature_invalid", message: verified.reason };
  return {
    entry: {
      ...body,
      policy_digest: body.policy_digest.toLowerCase(),
      script_hash: body.script_hash.toLowerCase(),
      tool_sequence: body.tool_sequence.map((t) => trimLower(t)),
      ...(body.scope ? { scope: normalizeScope(body.scope) } : {}),
    },
  };
}

/** A registry whose every entry verified, or the first entry that did not. */
export type RegistryVerification =
  | { ok: true; entries: ApprovedScriptEntry[] }
  | { ok: false; index: number; registryReason: EntryProblem; message: string };

export function verifyApprovedScriptRegistry(
  registry: ApprovedScriptRegistry,
  key: VerifyKey,
): RegistryVerification {
  const entries: ApprovedScriptEntry[] = [];
  for (const [index, raw] of registry.entries.entries()) {
    const result = verifyApprovedScriptEntry(raw, key);
    if ("problem" in result) {
      return {
        ok: false,
        index,
        registryReason: result.problem,
        message: `approved script registry verification failed at entry ${index}: ${result.message}`,
      };
    }
    entries.push(result.entry);
  }
  return { ok: true, entries };
}

// ---------------------------------------------------------------------------------------------
// matching

/** Matches script intents against verified entries. */
export function approvedScriptMatcher(entries: readonly ApprovedScriptEntry[]): ApprovedScriptMatcher {
  return {
    match(prepared, policyDigest, at) {
      const intent = prepared.intent;
      if (!intent.script || !intent.script_hash) return { reason: "not_script" };
      const sequence = intent.script.steps.map((s) => s.tool_name);
      const found = entries.find(
        (e) =>
          e.policy_digest === policyDigest &&
          e.script_hash === intent.script_hash &&
          sameList(e.tool_sequence, sequence) &&
          at.compare(Timestamp.parse(e.expires_at)) < 0 &&
          scopeAllows(e.scope ?? [], prepared),
      );
      return found ? { patternId: found.pattern_id } : { reason: "approved_script_not_found" };
    },
  };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Every scope prefix the entry uses must be satisfied (any value of a prefix will do): risk: the
 * intent's risk class, tool: every step's tool, workspace_prefix: the workspace, endpoint: every
 * target's endpoint class. An entry with an unknown prefix matches nothing (fail closed).
 */
function scopeAllows(scope: readonly string[], prepared: PreparedIntent): boolean {
  if (scope.length === 0) return true;
  const intent = prepared.intent;
  const valuesOf = (prefix: string) =>
    scope.filter((s) => s.startsWith(prefix)).map((s) => s.slice(prefix.length));
  if (scope.some((s) => !SCOPE_PREFIXES.some((p) => s.startsWith(p)))) return false;
  const risks = valuesOf("risk:");
  if (risks.length > 0 && !risks.includes(intent.context.risk_class)) return false;
  const tools = valuesOf("tool:");
  const steps = intent.script?.steps ?? [];
  if (tools.length > 0 && !tools.includes("*") && !steps.every((s) => tools.includes(s.tool_name)))
    return false;
  const prefixes = valuesOf("workspace_prefix:");
  if (prefixes.length > 0 && !prefixes.some((p) => intent.context.workspace.startsWith(p))) return false;
  const endpoints = valuesOf("endpoint:");
  const targets = [...intent.targets, ...steps.flatMap((s) => s.targets ?? [])];
  if (endpoints.length > 0 && !targets.every((t) => endpoints.includes(t.endpoint_class ?? "other")))
    return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// listing

export interface ListedScript {
  pattern_id: string;
  policy_digest: string;
  script_hash: string;
  tool_sequence: string[];
  scope: string[];
  approver_identity: string;
  expires_at: string;
  expired: boolean;
  /** Present when a key was given: whether the entry's signature verified. */
  verified?: boolean;
  /** Why it did not verify. */
  error?: string;
}

/** The registry's entries sorted by pattern id and expiry, with `expired` at `now`. */
export function listApprovedScripts(
  registry: ApprovedScriptRegistry,
  now: Timestamp,
  key?: VerifyKey,
): ListedScript[] {
  const listed = registry.entries.map((raw, index): ListedScript => {
    const body = isJsonObject(raw) ? withoutSignature(raw) : undefined;
    const entry = body && isApprovedScriptEntry(body) ? body : undefined;
    const expiresAt = entry?.expires_at ?? "";
    const item: ListedScript = {
      pattern_id: entry?.pattern_id ?? `<entry ${index}: invalid>`,
      policy_digest: entry?.policy_digest ?? "",
      script_hash: entry?.script_hash ?? "",
      tool_sequence: entry?.tool_sequence ?? [],
      scope: entry?.scope ?? [],
      approver_identity: entry?.approver_identity ?? "",
      expires_at: expiresAt,
      expired: !entry || isExpired(expiresAt, now),
    };
    if (key) {
      const verified = verifyApprovedScriptEntry(raw, key);
      item.verified = "entry" in verified;
      if ("problem" in verified) item.error = `${verified.problem}: ${verified.message}`;
    }
    return item;
  });
  return listed.sort(
    (a, b) => compareBytes(a.pattern_id, b.pattern_id) || compareBytes(a.expires_at, b.expires_at),
  );
}

function isExpired(expiresAt: string, now: Timestamp): boolean {
  try {
    return now.compare(Timestamp.parse(expiresAt)) >= 0;
  } catch {
    return true;
  }
}

// ---------------------------------------------------------------------------------------------
// loading for a decision

export interface ApprovedScriptsLoad {
  /** Registry file (absolute). */
  path: string;
  /** How to name it in messages. */
  display?: string;
  /** Verifies the entries; without one the registry cannot be trusted. */
  key: VerifyKey | undefined;
  /** oss-prod or a high/critical risk intent: an untrusted registry blocks instead of being skipped. */
  failClosed: boolean;
}

/**
 * A matcher over the registry's verified entries. A registry that cannot be read, has no verify
 * key or has an entry that fails verification either fails closed (`approved_script_registry_unavailable`,
 * exit 3, with `registry_reason`) or, outside fail-closed contexts, disables the fast path with a
 * warning (no matcher).
 */
export async function loadApprovedScripts(
  load: ApprovedScriptsLoad,
): Promise<{ matcher?: ApprovedScriptMatcher; warning?: string }> {
  const display = load.display ?? load.path;
  const problem = await registryProblem(load, display);
  if ("matcher" in problem) return problem;
  if (load.failClosed) {
    const message = problem.message.replace("unavailable:", "unavailable in fail-closed mode:");
    throw gaitError("policy_blocked", "approved_script_registry_unavailable", message, {
      hint: "fix or re-sign the registry (gait approve-script), or pass the right --approved-script-public-key",
      details: { registry_reason: problem.registryReason },
    });
  }
  return { warning: `${problem.message}; approved-script fast path disabled` };
}

async function registryProblem(
  load: ApprovedScriptsLoad,
  display: string,
): Promise<{ matcher: ApprovedScriptMatcher } | { registryReason: string; message: string }> {
  const unavailable = (registryReason: string, why: string) => ({
    registryReason,
    message: `approved script registry unavailable: ${why}`,
  });
  if (!load.key) return unavailable("registry_key_missing", "no verify key (--approved-script-public-key)");
  let registry: ApprovedScriptRegistry;
  try {
    registry = await readApprovedScriptRegistry(load.path, display);
  } catch (error) {
    return unavailable("registry_unreadable", (error as Error).message);
  }
  const verified = verifyApprovedScriptRegistry(registry, load.key);
  if (!verified.ok) return { registryReason: verified.registryReason, message: verified.message };
  return { matcher: approvedScriptMatcher(verified.entries) };
}
