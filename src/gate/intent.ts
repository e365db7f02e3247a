/**
 * Intent request parsing and normalization (CONTRACTS.md §5.1–5.3). The output is the exact
 * digest input of the reference implementation; any deviation changes `intent_digest` and breaks
 * approval tokens minted by the other implementation.
 */
import { posix } from "node:path";
import type { ContextEvidence } from "../context/index.ts";
import { compareBytes, isSha256Hex, sortedUnique } from "../contract/bytes.ts";
import {
  canonicalize,
  canonicalizeKnowingMember,
  digestJcs,
  exceedsJsonDepth,
  isJsonObject,
  type JsonObject,
  type JsonValue,
  MAX_JSON_DEPTH,
  sha256Hex,
} from "../contract/canonical.ts";
import { findInvisibleCharacter, lowerCase, trimLower, trimSpace } from "../contract/text.ts";
import { EPOCH_1980, Timestamp, ZERO_TIME } from "../contract/time.ts";
import { invalidInput } from "./error-codes.ts";
import {
  type AgentIdentity,
  type ArgProvenance,
  CREDENTIAL_ACCESS_TYPES,
  CREDENTIAL_SOURCES,
  type Delegation,
  type DelegationLink,
  DISCOVERY_METHODS,
  ENDPOINT_CLASSES,
  type IntentContext,
  type NormalizedIntent,
  PROVENANCE_SOURCES,
  type PreparedIntent,
  type Sandbox,
  type ScriptStep,
  type SkillProvenance,
  TARGET_KINDS,
  type Target,
} from "./intent-model.ts";
import { INTENT_REQUEST_FIELDS } from "./wire-runtime.ts";

const INTENT_SCHEMA_ID = "gait.gate.intent_request";
const MAX_SCRIPT_STEPS = 64;

/** Thrown for any intent that cannot be normalized; evaluation may turn it into a fail-closed block. */
function intentError(message: string) {
  return invalidInput("intent_invalid", message, { hint: "fix the intent request; see docs/gate.md" });
}

/** The members of a public IntentRequest (its schema is closed at the top level). */

/**
 * Prepared intents made by prepareIntent in this process. Only these are trusted as already
 * normalized: an object from outside (JSON that merely has the same shape, with a digest of its
 * choosing) can never be in this set, so its digests are always recomputed.
 */
const preparedByThisProcess = new WeakSet<PreparedIntent>();

/** True only for a PreparedIntent returned by prepareIntent in this process. */
export function isPreparedIntent(value: unknown): value is PreparedIntent {
  return typeof value === "object" && value !== null && preparedByThisProcess.has(value as PreparedIntent);
}

/** What the gate binds into a request as it normalizes it, before anything is digested. */
export interface IntentInputs {
  /**
   * Context evidence of a verified envelope (context/index.ts: parseContextEnvelope, then
   * contextEvidenceFor): it replaces what the intent states about its context evidence, and
   * `auth_context.context_age_seconds` is measured from it at evaluation time (`now`).
   */
  contextEvidence?: ContextEvidence | undefined;
  /** Wrkr inventory context of a tool (wrkr-inventory.ts), added to `auth_context` as `wrkr.*` keys. */
  wrkrContext?: ((toolName: string) => Readonly<Record<string, string>> | undefined) | undefined;
}

export interface PrepareOptions extends IntentInputs {
  /**
   * Context evidence an agent states about itself (`context_set_digest`, `context_evidence_mode`,
   * `context_refs`, `auth_context.context_age_seconds`) counts only when a verified context
   * envelope vouches for it (CONTRACTS.md §5.3): without `contextEvidence` the enforcement path
   * strips it (`strip`, the default) before evaluating and digesting; `policy test` keeps it
   * (`keep`), to test rules about evidence.
   */
  unverifiedContextEvidence?: "strip" | "keep";
  /** The evaluation time; needed with `contextEvidence` (the context's age). */
  now?: Timestamp;
}

/**
 * Normalizes a parsed intent request and computes its digests. Digests are always computed here,
 * never read from the request (`intent_digest`/`args_digest` in a request are ignored). The result
 * is frozen, so what was digested is what gets evaluated.
 */
export function prepareIntent(raw: unknown, options: PrepareOptions = {}): PreparedIntent {
  if (!isJsonObject(raw)) throw intentError("intent request must be a JSON object");
  if (exceedsJsonDepth(raw)) throw intentError(`intent request nests deeper than ${MAX_JSON_DEPTH} levels`);
  const unknown = Object.keys(raw).filter((key) => !INTENT_REQUEST_FIELDS.has(key));
  if (unknown.length > 0) {
    throw intentError(
      `unknown intent request field(s) ${sortedUnique(unknown)
        .map((k) => JSON.stringify(k))
        .join(", ")}`,
    );
  }
  const schemaId = optionalString(raw, "schema_id", "intent");
  if (schemaId && schemaId !== INTENT_SCHEMA_ID) {
    throw intentError(`intent schema_id must be ${INTENT_SCHEMA_ID}, got ${JSON.stringify(schemaId)}`);
  }
  const intent = normalizeIntent(raw);
  if (options.contextEvidence) bindContextEvidence(intent.context, options.contextEvidence, options.now);
  else if ((options.unverifiedContextEvidence ?? "strip") === "strip") stripContextEvidence(intent.context);
  const wrkr = options.wrkrContext?.(intent.tool_name);
  if (wrkr && Object.keys(wrkr).length > 0) {
    intent.context.auth_context = { ...intent.context.auth_context, ...wrkr };
  }
  const createdAtText = optionalString(raw, "created_at", "intent");
  const createdAt = createdAtText ? Timestamp.parse(createdAtText, "intent.created_at").utc() : EPOCH_1980;
  const argsText = canonicalize(intent.args);
  const prepared: PreparedIntent = {
    intent,
    intentDigest: sha256Hex(canonicalizeKnowingMember(intent, "args", argsText)),
    argsDigest: sha256Hex(argsText),
    createdAt: (createdAt.isZero() ? EPOCH_1980 : createdAt).toString(),
    producerVersion: optionalString(raw, "producer_version", "intent") ?? "",
  };
  if (isJsonObject(raw.relationship)) prepared.relationship = raw.relationship;
  if (options.contextEvidence) prepared.contextSource = options.contextEvidence.source;
  preparedByThisProcess.add(deepFreeze(prepared));
  return prepared;
}

/** Removes self-stated context evidence (see PrepareOptions), before anything is digested. */
function stripContextEvidence(context: IntentContext): void {
  delete context.context_set_digest;
  delete context.context_evidence_mode;
  delete context.context_refs;
  const auth = context.auth_context;
  if (auth && "context_age_seconds" in auth) {
    delete auth.context_age_seconds;
    if (Object.keys(auth).length === 0) delete context.auth_context;
  }
}

/**
 * Puts a verified envelope's evidence in the context. An intent that names another context set
 * is refused: it says it acted on context other than the envelope's.
 */
function bindContextEvidence(
  context: IntentContext,
  evidence: ContextEvidence,
  now: Timestamp | undefined,
): void {
  if (!now) {
    throw invalidInput("usage", "context evidence needs the evaluation time (PrepareOptions.now)", {
      hint: "pass now: the evaluation time, with contextEvidence",
    });
  }
  if (context.context_set_digest && context.context_set_digest !== evidence.setDigest) {
    throw intentError(
      `intent context.context_set_digest ${context.context_set_digest} is not the context envelope's (${evidence.setDigest})`,
    );
  }
  context.context_set_digest = evidence.setDigest;
  context.context_evidence_mode = evidence.mode;
  if (evidence.refs.length > 0) context.context_refs = [...evidence.refs];
  else delete context.context_refs;
  const age = Math.max(0, Math.floor((now.epochMs() - Timestamp.parse(evidence.oldestAt).epochMs()) / 1000));
  context.auth_context = { ...context.auth_context, context_age_seconds: age };
}

function deepFreeze<T>(value: T): T {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item !== "object" || item === null || Object.isFrozen(item)) continue;
    Object.freeze(item);
    for (const member of Object.values(item)) pending.push(member);
  }
  return value;
}

function normalizeIntent(raw: JsonObject): NormalizedIntent {
  const args = normalizeArgs(raw.args, "args");
  guardRawSecrets(args, "args");
  const script = raw.script ?? null;
  const toolName = script !== null ? "script" : lowerCase(requiredName(raw, "tool_name", "intent"));
  const steps = script !== null ? normalizeScript(script) : undefined;

  let targets = normalizeTargets(raw.targets, toolName, "targets");
  let provenance = normalizeProvenanceList(raw.arg_provenance, "arg_provenance");
  if (steps) {
    if (targets.length === 0) targets = sortTargets(steps.flatMap((s) => s.targets ?? []));
    if (provenance.length === 0) provenance = sortProvenance(steps.flatMap((s) => s.arg_provenance ?? []));
  }

  const intent: NormalizedIntent = {
    tool_name: toolName,
    args,
    targets,
    context: normalizeContext(raw.context),
  };
  if (steps) {
    intent.script = { steps };
    intent.script_hash = digestJcs({ steps });
  }
  if (provenance.length > 0) intent.arg_provenance = provenance;
  if (raw.skill_provenance !== undefined && raw.skill_provenance !== null) {
    intent.skill_provenance = normalizeSkill(raw.skill_provenance);
  }
  if (raw.delegation !== undefined && raw.delegation !== null)
    intent.delegation = normalizeDelegation(raw.delegation);
  return intent;
}

// ---------------------------------------------------------------------------------------------
// args

/** Strings trimmed, object keys trimmed (empty key rejected), arrays kept in order. */
function normalizeArgs(value: JsonValue | undefined, where: string): JsonObject {
  if (value === undefined || value === null) return {};
  if (!isJsonObject(value)) throw intentError(`${where} must be a JSON object`);
  return normalizeJsonObject(value, where);
}

function normalizeJsonObject(value: JsonObject, where: string): JsonObject {
  const out: JsonObject = {};
  for (const rawKey of Object.keys(value)) {
    const key = trimSpace(rawKey);
    if (key === "") throw intentError(`${where} contains an empty key`);
    if (Object.hasOwn(out, key))
      throw intentError(`${where} has duplicate key ${JSON.stringify(key)} after trimming`);
    const member = normalizeJsonValue(value[rawKey]!, `${where}.${key}`);
    // A plain assignment keeps the object's fast properties; only "__proto__" would reach the
    // prototype's setter instead of making a member, so it alone is defined.
    if (key === "__proto__") {
      Object.defineProperty(out, key, {
        value: member,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else out[key] = member;
  }
  return out;
}

function normalizeJsonValue(value: JsonValue, where: string): JsonValue {
  if (typeof value === "string") return trimSpace(value);
  if (Array.isArray(value)) return value.map((v, i) => normalizeJsonValue(v, `${where}[${i}]`));
  if (isJsonObject(value)) return normalizeJsonObject(value, where);
  return value;
}

const secretKey = /token|secret|api[_-]?key|access[_-]?key|password|credential/i;
const safeKeySuffix =
  /(_ref|_refs|_digest|_digests|_hash|_issuer|_source|_type|_ttl|_ttl_seconds|_id|_ids|_name|_names|_scope|_scopes)$/i;
const secretPrefixes = ["ghp_", "gho_", "github_pat_", "sk-", "AKIA", "ASIA"];
const referencePrefixes = ["env:", "stub:", "cmd:", "ref:", "sha256:"];

function looksLikeSecretKey(key: string): boolean {
  return secretKey.test(key) && !safeKeySuffix.test(key);
}

function isReferenceOrDigest(value: string): boolean {
  return referencePrefixes.some((p) => lowerCase(value).startsWith(p)) || /^[0-9a-fA-F]{64}$/.test(value);
}

/**
 * Sandbox paths and refs are free text a caller may paste an environment line into
 * (`API_TOKEN=…`). One that carries a secret-named assignment or a known token prefix is refused,
 * as the reference refuses it, so the credential never reaches a trace or a digest.
 */
export function carriesCredential(text: string): boolean {
  for (const [, name = "", value = ""] of text.matchAll(/([A-Za-z_][\w.-]*)\s*=\s*([^\s/;&,]*)/g)) {
    if (looksLikeSecretKey(name) && value !== "" && !isReferenceOrDigest(value)) return true;
  }
  return text
    .split(/[/\s=:;,&]+/)
    .some((segment) => segment.length >= 20 && secretPrefixes.some((p) => segment.startsWith(p)));
}

export function looksLikeSecretValue(value: string): boolean {
  const v = trimSpace(value);
  if (isReferenceOrDigest(v)) return false;
  if (secretPrefixes.some((p) => v.startsWith(p))) return true;
  return v.length >= 16 && !/\s/.test(v) && /[A-Za-z]/.test(v) && /[0-9]/.test(v);
}

/** Refuses raw credential material under secret-looking keys, at any depth. */
function guardRawSecrets(value: JsonObject, where: string): void {
  for (const [key, member] of Object.entries(value)) {
    const path = `${where}.${key}`;
    if (looksLikeSecretKey(key) && containsSecretValue(member)) {
      throw intentError(
        `${path} must not contain raw credential material; pass a reference (env:, ref:, stub:) or a digest instead`,
      );
    }
    if (isJsonObject(member)) guardRawSecrets(member, path);
    if (Array.isArray(member)) {
      member.forEach((item, i) => {
        if (isJsonObject(item)) guardRawSecrets(item, `${path}[${i}]`);
      });
    }
  }
}

function containsSecretValue(value: JsonValue): boolean {
  if (typeof value === "string") return looksLikeSecretValue(value);
  if (Array.isArray(value)) return value.some((v) => typeof v === "string" && looksLikeSecretValue(v));
  return false;
}

// ---------------------------------------------------------------------------------------------
// targets

const readOps = new Set(["read", "get", "list", "open", "cat", "head", "download", "stat"]);
const writeOps = new Set(["write", "append", "put", "create", "update", "save", "copy", "move", "rename"]);
const deleteOps = new Set(["delete", "remove", "rm", "unlink", "rmdir", "drop", "truncate"]);
const execOps = new Set(["exec", "spawn", "run", "shell", "command"]);
const destructiveOps = new Set([...deleteOps, "exec", "spawn"]);
const dnsOps = new Set(["dns", "resolve", "lookup"]);

function toolHint(toolName: string): string {
  const slash = toolName.lastIndexOf("/");
  return slash >= 0 ? toolName.slice(slash + 1) : toolName;
}

const hasAny = (text: string, needles: readonly string[]) => needles.some((n) => text.includes(n));

export function inferEndpointClass(kind: string, operation: string, toolName: string): string {
  const hint = toolHint(toolName);
  if (kind === "path") {
    if (readOps.has(operation)) return "fs.read";
    if (writeOps.has(operation)) return "fs.write";
    if (deleteOps.has(operation)) return "fs.delete";
    if (hasAny(hint, ["read", "list", "fetch", "search"])) return "fs.read";
    if (hasAny(hint, ["write", "update", "save", "create"])) return "fs.write";
    if (hasAny(hint, ["delete", "remove", "rm", "drop"])) return "fs.delete";
    return "other";
  }
  if (kind === "host" || kind === "url") return dnsOps.has(operation) ? "net.dns" : "net.http";
  if (kind === "other") {
    if (execOps.has(operation) || hasAny(hint, ["exec", "shell", "command", "spawn", "run"]))
      return "proc.exec";
    return "other";
  }
  return "other";
}

export function inferEndpointDomain(kind: string, value: string): string {
  if (kind === "host") {
    let host = value.replace(/^https?:\/\//i, "");
    host = host.split("/")[0]!.split(":")[0]!;
    return lowerCase(host);
  }
  if (kind === "url") {
    try {
      return lowerCase(new URL(value).hostname);
    } catch {
      return "";
    }
  }
  return "";
}

function normalizeTargets(value: JsonValue | undefined, toolName: string, where: string): Target[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw intentError(`${where} must be an array`);
  return sortTargets(value.map((t, i) => normalizeTarget(t, toolName, `${where}[${i}]`)));
}

function normalizeTarget(value: JsonValue, toolName: string, where: string): Target {
  if (!isJsonObject(value)) throw intentError(`${where} must be an object`);
  const kind = lower(optionalString(value, "kind", where));
  const targetValue = optionalText(value, "value", where);
  if (!kind) throw intentError(`${where}.kind is required`);
  if (!targetValue) throw intentError(`${where}.value is required`);
  assertEnum(kind, TARGET_KINDS, `${where}.kind`);
  const operation = lower(optionalString(value, "operation", where));
  const sensitivity = lower(optionalString(value, "sensitivity", where));
  let endpointClass = lower(optionalString(value, "endpoint_class", where));
  if (endpointClass) assertEnum(endpointClass, ENDPOINT_CLASSES, `${where}.endpoint_class`);
  else endpointClass = inferEndpointClass(kind, operation, toolName);
  const endpointDomain =
    lower(optionalString(value, "endpoint_domain", where)) || inferEndpointDomain(kind, targetValue);
  const discovery =
    lower(optionalString(value, "discovery_method", where)).replace(/[- ]/g, "_") || "unknown";
  assertEnum(discovery, DISCOVERY_METHODS, `${where}.discovery_method`);
  const destructiveHint = optionalBool(value, "destructive_hint", where);
  const destructive =
    optionalBool(value, "destructive", where) ||
    destructiveHint ||
    endpointClass === "fs.delete" ||
    endpointClass === "proc.exec" ||
    destructiveOps.has(operation);

  const target: Target = { kind, value: targetValue, discovery_method: discovery };
  if (operation) target.operation = operation;
  if (sensitivity) target.sensitivity = sensitivity;
  target.endpoint_class = endpointClass;
  if (endpointDomain) target.endpoint_domain = endpointDomain;
  if (destructive) target.destructive = true;
  if (optionalBool(value, "read_only_hint", where)) target.read_only_hint = true;
  if (destructiveHint) target.destructive_hint = true;
  if (optionalBool(value, "idempotent_hint", where)) target.idempotent_hint = true;
  if (optionalBool(value, "open_world_hint", where)) target.open_world_hint = true;
  return target;
}

const targetSortKeys = [
  (t: Target) => t.kind,
  (t: Target) => t.value,
  (t: Target) => t.operation ?? "",
  (t: Target) => t.sensitivity ?? "",
  (t: Target) => t.endpoint_class ?? "",
  (t: Target) => t.endpoint_domain ?? "",
  (t: Target) => (t.destructive ? "1" : "0"),
  (t: Target) => t.discovery_method,
  (t: Target) => (t.read_only_hint ? "1" : "0"),
  (t: Target) => (t.destructive_hint ? "1" : "0"),
  (t: Target) => (t.idempotent_hint ? "1" : "0"),
  (t: Target) => (t.open_world_hint ? "1" : "0"),
];

function sortTargets(targets: Target[]): Target[] {
  return dedupeSorted(targets, targetSortKeys);
}

/** Sorts by the given keys (byte order) and drops exact duplicates. */
function dedupeSorted<T>(items: T[], keys: Array<(item: T) => string>): T[] {
  const sorted = [...items].sort((a, b) => {
    for (const key of keys) {
      const d = compareBytes(key(a), key(b));
      if (d !== 0) return d;
    }
    return 0;
  });
  return sorted.filter((item, i) => i === 0 || keys.some((key) => key(item) !== key(sorted[i - 1]!)));
}

// ---------------------------------------------------------------------------------------------
// provenance, skill, script, delegation

function normalizeProvenanceList(value: JsonValue | undefined, where: string): ArgProvenance[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw intentError(`${where} must be an array`);
  return sortProvenance(value.map((p, i) => normalizeProvenance(p, `${where}[${i}]`)));
}

function normalizeProvenance(value: JsonValue, where: string): ArgProvenance {
  if (!isJsonObject(value)) throw intentError(`${where} must be an object`);
  const argPath = optionalText(value, "arg_path", where);
  if (!argPath) throw intentError(`${where}.arg_path is required`);
  const source = lower(optionalString(value, "source", where));
  assertEnum(source, PROVENANCE_SOURCES, `${where}.source`);
  const out: ArgProvenance = { arg_path: argPath, source };
  const sourceRef = optionalText(value, "source_ref", where);
  if (sourceRef) out.source_ref = sourceRef;
  const digest = lower(optionalString(value, "integrity_digest", where));
  if (digest) {
    if (!isSha256Hex(digest)) throw intentError(`${where}.integrity_digest must be 64 hex characters`);
    out.integrity_digest = digest;
  }
  return out;
}

function sortProvenance(items: ArgProvenance[]): ArgProvenance[] {
  return dedupeSorted(items, [
    (p) => p.arg_path,
    (p) => p.source,
    (p) => p.source_ref ?? "",
    (p) => p.integrity_digest ?? "",
  ]);
}

function normalizeSkill(value: JsonValue): SkillProvenance {
  const where = "skill_provenance";
  if (!isJsonObject(value)) throw intentError(`${where} must be an object`);
  const skill: SkillProvenance = {
    skill_name: requiredString(value, "skill_name", where),
    source: lowerCase(requiredString(value, "source", where)),
    publisher: requiredString(value, "publisher", where),
  };
  const version = optionalText(value, "skill_version", where);
  if (version) skill.skill_version = version;
  const digest = lower(optionalString(value, "digest", where));
  if (digest) {
    if (!isSha256Hex(digest)) throw intentError(`${where}.digest must be 64 hex characters`);
    skill.digest = digest;
  }
  const keyId = optionalText(value, "signature_key_id", where);
  if (keyId) skill.signature_key_id = keyId;
  return skill;
}

function normalizeScript(value: JsonValue): ScriptStep[] {
  if (!isJsonObject(value) || !Array.isArray(value.steps)) throw intentError("script.steps must be an array");
  if (value.steps.length === 0) throw intentError("script.steps must not be empty");
  if (value.steps.length > MAX_SCRIPT_STEPS)
    throw intentError(`script has more than ${MAX_SCRIPT_STEPS} steps`);
  return value.steps.map((step, i) => {
    const where = `script.steps[${i}]`;
    if (!isJsonObject(step)) throw intentError(`${where} must be an object`);
    const toolName = lowerCase(requiredName(step, "tool_name", where));
    const out: ScriptStep = { tool_name: toolName, args: normalizeArgs(step.args, `${where}.args`) };
    const targets = normalizeTargets(step.targets, toolName, `${where}.targets`);
    if (targets.length > 0) out.targets = targets;
    const provenance = normalizeProvenanceList(step.arg_provenance, `${where}.arg_provenance`);
    if (provenance.length > 0) out.arg_provenance = provenance;
    return out;
  });
}

function normalizeDelegation(value: JsonValue): Delegation {
  const where = "delegation";
  if (!isJsonObject(value)) throw intentError(`${where} must be an object`);
  const requester = requiredName(value, "requester_identity", where);
  const [issuedAt, expiresAt] = timeWindow(value, where);
  const delegation: Delegation = {
    requester_identity: requester,
    issued_at: issuedAt,
    expires_at: expiresAt,
  };
  const scopeClass = lower(optionalString(value, "scope_class", where));
  if (scopeClass) delegation.scope_class = scopeClass;
  const tokenRefs = stringList(value.token_refs, `${where}.token_refs`, false);
  if (tokenRefs.length > 0) delegation.token_refs = tokenRefs;
  if (value.chain !== undefined && value.chain !== null) {
    if (!Array.isArray(value.chain)) throw intentError(`${where}.chain must be an array`);
    const chain = value.chain.map((link, i) => normalizeLink(link, `${where}.chain[${i}]`));
    for (let i = 1; i < chain.length; i++) {
      if (chain[i]!.delegator_identity !== chain[i - 1]!.delegate_identity) {
        throw intentError(
          `${where}.chain[${i}] is not contiguous: delegator must equal the previous delegate`,
        );
      }
    }
    const last = chain[chain.length - 1];
    if (last && last.delegate_identity !== requester) {
      throw intentError(`${where}.chain must end at requester_identity ${JSON.stringify(requester)}`);
    }
    if (chain.length > 0) delegation.chain = chain;
  }
  return delegation;
}

function normalizeLink(value: JsonValue, where: string): DelegationLink {
  if (!isJsonObject(value)) throw intentError(`${where} must be an object`);
  const [issuedAt, expiresAt] = timeWindow(value, where);
  const link: DelegationLink = {
    delegator_identity: requiredName(value, "delegator_identity", where),
    delegate_identity: requiredName(value, "delegate_identity", where),
    issued_at: issuedAt,
    expires_at: expiresAt,
  };
  const scopeClass = lower(optionalString(value, "scope_class", where));
  if (scopeClass) link.scope_class = scopeClass;
  const tokenRef = optionalText(value, "token_ref", where);
  if (tokenRef) link.token_ref = tokenRef;
  return link;
}

/** Reads issued_at/expires_at (zero when absent) in UTC and checks expires > issued. */
function timeWindow(value: JsonObject, where: string): [string, string] {
  const issued = optionalTime(value, "issued_at", where);
  const expires = optionalTime(value, "expires_at", where);
  if (!issued.isZero() && !expires.isZero() && expires.compare(issued) <= 0) {
    throw intentError(`${where}.expires_at must be after issued_at`);
  }
  return [issued.toString(), expires.toString()];
}

// ---------------------------------------------------------------------------------------------
// context

const contextStrings = [
  "agent_id",
  "run_id",
  "workflow_id",
  "repo",
  "environment",
  "job_id",
  "session_id",
  "request_id",
  "credential_ref",
  "credential_issuer",
  "credential_subject",
  "credential_owner",
  "credential_target_binding",
  "credential_run_binding",
  "credential_job_binding",
  "approval_ref",
  "wrkr_inventory_ref",
  "agent_action_bom_ref",
  "environment_fingerprint",
] as const;

function normalizeContext(value: JsonValue | undefined): IntentContext {
  const where = "context";
  if (!isJsonObject(value)) throw intentError("context is required and must be an object");
  const phase = lower(optionalString(value, "phase", where)) || "apply";
  if (phase !== "plan" && phase !== "apply") throw intentError(`${where}.phase must be plan or apply`);
  const context: IntentContext = {
    identity: requiredName(value, "identity", where),
    workspace: requiredString(value, "workspace", where).replace(/\\/g, "/"),
    risk_class: lowerCase(requiredName(value, "risk_class", where)),
    phase,
  };
  for (const key of contextStrings) {
    const text = optionalText(value, key, where);
    if (text) context[key] = text;
  }
  if (context.agent_id) assertVisible(context.agent_id, `${where}.agent_id`);
  const credentialSource = lower(optionalString(value, "credential_source", where));
  if (credentialSource) {
    assertEnum(credentialSource, CREDENTIAL_SOURCES, `${where}.credential_source`);
    context.credential_source = credentialSource;
  }
  const accessType = lower(optionalString(value, "credential_access_type", where));
  if (accessType) {
    assertEnum(accessType, CREDENTIAL_ACCESS_TYPES, `${where}.credential_access_type`);
    context.credential_access_type = accessType;
  }
  const ttl = optionalInt(value, "credential_ttl_seconds", where);
  if (ttl > 0) context.credential_ttl_seconds = ttl;
  const digest = lower(optionalString(value, "context_set_digest", where));
  if (digest) {
    if (!isSha256Hex(digest)) throw intentError(`${where}.context_set_digest must be 64 hex characters`);
    context.context_set_digest = digest;
  }
  const mode = lower(optionalString(value, "context_evidence_mode", where));
  if (mode) {
    assertEnum(mode, ["best_effort", "required"], `${where}.context_evidence_mode`);
    context.context_evidence_mode = mode;
  }
  const scopes = stringList(value.credential_scopes, `${where}.credential_scopes`, false);
  if (scopes.length > 0) context.credential_scopes = scopes;
  const refs = stringList(value.context_refs, `${where}.context_refs`, false);
  if (refs.length > 0) context.context_refs = refs;
  if (value.auth_context !== undefined && value.auth_context !== null) {
    const auth = normalizeArgs(value.auth_context, `${where}.auth_context`);
    guardRawSecrets(auth, `${where}.auth_context`);
    if (Object.keys(auth).length > 0) context.auth_context = auth;
  }
  if (value.agent_identity !== undefined && value.agent_identity !== null) {
    context.agent_identity = normalizeAgentIdentity(value.agent_identity);
  }
  if (value.sandbox !== undefined && value.sandbox !== null) {
    const sandbox = normalizeSandbox(value.sandbox);
    if (sandbox) context.sandbox = sandbox;
  }
  return context;
}

function normalizeAgentIdentity(value: JsonValue): AgentIdentity {
  const where = "context.agent_identity";
  if (!isJsonObject(value)) throw intentError(`${where} must be an object`);
  const issued = optionalTime(value, "issued_at", where);
  const approved = optionalTime(value, "approved_at", where);
  const expires = optionalTime(value, "expires_at", where);
  if (!issued.isZero() && !approved.isZero() && approved.compare(issued) < 0) {
    throw intentError(`${where}.approved_at must not be before issued_at`);
  }
  for (const earlier of [issued, approved]) {
    if (!earlier.isZero() && !expires.isZero() && expires.compare(earlier) <= 0) {
      throw intentError(`${where}.expires_at must be after issued_at and approved_at`);
    }
  }
  const identity: AgentIdentity = {
    issued_at: issued.toString(),
    approved_at: approved.toString(),
    expires_at: expires.toString(),
  };
  const states = stringList(value.lifecycle_states, `${where}.lifecycle_states`, false);
  if (states.length > 0) identity.lifecycle_states = states;
  for (const key of ["owner", "publisher"] as const) {
    const text = optionalText(value, key, where);
    if (text) identity[key] = text;
  }
  const source = lower(optionalString(value, "source", where));
  if (source) identity.source = source;
  const manifest = lower(optionalString(value, "manifest_digest", where));
  if (manifest) identity.manifest_digest = manifest;
  if (optionalBool(value, "revoked", where)) identity.revoked = true;
  return identity;
}

function normalizeSandbox(value: JsonValue): Sandbox | undefined {
  const where = "context.sandbox";
  if (!isJsonObject(value)) throw intentError(`${where} must be an object`);
  const sandbox: Sandbox = {};
  const enums: Array<[keyof Sandbox, readonly string[]]> = [
    ["network_mode", ["disabled", "egress_allowlist", "full"]],
    ["env_exposure_mode", ["allowlist", "full", "none"]],
    ["filesystem_isolation", ["container", "none", "workspace"]],
    ["user_mode", ["default", "root", "unprivileged"]],
  ];
  for (const [key, allowed] of enums) {
    const text = lower(optionalString(value, key, where));
    if (!text) continue;
    assertEnum(text, allowed, `${where}.${key}`);
    (sandbox as Record<string, unknown>)[key] = text;
  }
  for (const key of ["writable_paths", "read_only_roots"] as const) {
    const paths = cleanPaths(stringList(value[key], `${where}.${key}`, false));
    if (paths.some(carriesCredential)) {
      throw intentError(
        `${where}.${key} must not contain raw credential material; pass a reference (env:, ref:) instead`,
      );
    }
    if (paths.length > 0) sandbox[key] = paths;
  }
  const timeout = optionalInt(value, "timeout_seconds", where);
  if (timeout > 0) sandbox.timeout_seconds = timeout;
  const evidenceRef = optionalText(value, "evidence_ref", where);
  if (evidenceRef) {
    const bare = !evidenceRef.includes("/") && !evidenceRef.includes(":");
    if (carriesCredential(evidenceRef) || (bare && looksLikeSecretValue(evidenceRef))) {
      throw intentError(`${where}.evidence_ref must not contain raw credential material`);
    }
    sandbox.evidence_ref = evidenceRef;
  }
  const evidenceDigest = lower(optionalString(value, "evidence_digest", where));
  if (evidenceDigest) {
    if (!isSha256Hex(evidenceDigest)) throw intentError(`${where}.evidence_digest must be 64 hex characters`);
    sandbox.evidence_digest = evidenceDigest;
  }
  return Object.keys(sandbox).length > 0 ? sandbox : undefined;
}

function cleanPaths(paths: string[]): string[] {
  return sortedUnique(paths.map((p) => posix.normalize(p.replace(/\\/g, "/")).replace(/(.)\/$/, "$1")));
}

// ---------------------------------------------------------------------------------------------
// field readers

function lower(value: string | undefined): string {
  return trimLower(value ?? "");
}

/** The string at `key`, Go-trimmed; "" when absent. */
function optionalText(obj: JsonObject, key: string, where: string): string {
  return trimSpace(optionalString(obj, key, where) ?? "");
}

function optionalString(obj: JsonObject, key: string, where: string): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw intentError(`${where}.${key} must be a string`);
  return value;
}

function requiredString(obj: JsonObject, key: string, where: string): string {
  const value = optionalText(obj, key, where);
  if (!value) throw intentError(`${where}.${key} is required`);
  return value;
}

/** A required name that decides matching (tool, identity, risk class): no invisible characters. */
function requiredName(obj: JsonObject, key: string, where: string): string {
  const value = requiredString(obj, key, where);
  assertVisible(value, `${where}.${key}`);
  return value;
}

function assertVisible(value: string, where: string): void {
  const found = findInvisibleCharacter(value);
  if (found) {
    throw intentError(
      `${where} contains an invisible or look-alike character (${found.codePoint} at index ${found.index}); names must be plain visible text`,
    );
  }
}

function optionalBool(obj: JsonObject, key: string, where: string): boolean {
  const value = obj[key];
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") throw intentError(`${where}.${key} must be a boolean`);
  return value;
}

function optionalInt(obj: JsonObject, key: string, where: string): number {
  const value = obj[key];
  if (value === undefined || value === null) return 0;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw intentError(`${where}.${key} must be a non-negative integer`);
  }
  return value;
}

function optionalTime(obj: JsonObject, key: string, where: string): Timestamp {
  const text = optionalString(obj, key, where);
  if (!text || trimSpace(text) === "") return ZERO_TIME;
  return Timestamp.parse(text, `${where}.${key}`).utc();
}

/** Trimmed, non-empty, de-duplicated, byte-sorted strings (lower-cased when asked). */
function stringList(value: JsonValue | undefined, where: string, lowerCase: boolean): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw intentError(`${where} must be an array of strings`);
  const items = value.map((v) => {
    if (typeof v !== "string") throw intentError(`${where} must be an array of strings`);
    return lowerCase ? trimLower(v) : trimSpace(v);
  });
  return sortedUnique(items.filter((v) => v !== ""));
}

function assertEnum(value: string, allowed: readonly string[], where: string): void {
  if (!allowed.includes(value)) {
    throw intentError(`${where} must be one of ${allowed.join(", ")}; got ${JSON.stringify(value)}`);
  }
}
