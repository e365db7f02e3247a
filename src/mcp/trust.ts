/**
 * MCP server trust (the policy's `mcp_trust`, REFERENCE.md §3 v1.3-1): whether a local trust
 * snapshot (`gait.mcp.trust_snapshot`, written by an external scanner or by hand) vouches for the
 * server — trust_model=local_snapshot, nothing is fetched. For intents of a required risk class,
 * anything short of verified triggers the policy's action (block by default); a snapshot that is
 * missing or invalid fails closed the same way.
 *
 * The decision is pure (evaluateTrust); loadTrustSnapshot is the file edge.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { isJsonObject, type JsonObject, parseJsonStrict } from "../contract/canonical.ts";
import { parseGoDuration, Timestamp } from "../contract/time.ts";
import type { LoadedPolicy, McpTrust, TraceRecord } from "../gate/index.ts";
import { invalidInput } from "./error-codes.ts";

export const TRUST_SNAPSHOT_SCHEMA_ID = "gait.mcp.trust_snapshot";

export type TrustRecord = NonNullable<TraceRecord["mcp_trust"]>;

export interface TrustSnapshotEntry {
  server_id: string;
  server_name?: string;
  publisher?: string;
  source?: string;
  /** The scanner's verdict; only `trusted` passes. */
  status: string;
  /** 0..1 */
  score?: number;
  registry_verified?: boolean;
  /** When the scanner last assessed the server (RFC 3339); else the snapshot's updated_at. */
  updated_at?: string;
}

export interface TrustSnapshot {
  updated_at?: string;
  servers: TrustSnapshotEntry[];
}

/** The snapshot, or why there is none (both fail closed). */
export type SnapshotState =
  | { kind: "loaded"; snapshot: TrustSnapshot }
  | { kind: "unavailable"; message: string }
  | { kind: "invalid"; message: string };

export type TrustCode =
  | "verified"
  | "server_unknown"
  | "below_threshold"
  | "stale"
  | "publisher_untrusted"
  | "registry_unverified"
  | "status_untrusted"
  | "snapshot_invalid"
  | "snapshot_unavailable"
  | "identifier_missing";

export interface TrustOutcome {
  verified: boolean;
  /** The intent's risk class is one the policy requires trust for. */
  required: boolean;
  /** Not verified and required: the policy's action applies. */
  enforced: boolean;
  action: McpTrust["action"];
  /** The trace's `mcp_trust` member. */
  record: TrustRecord;
}

/** Where the server stands in the snapshot; the first failing check wins (in the order below). */
export function evaluateTrust(
  policy: McpTrust,
  state: SnapshotState,
  serverId: string,
  riskClass: string,
  now: Timestamp,
): TrustOutcome {
  const required = policy.requiredRiskClasses.includes(riskClass.trim().toLowerCase());
  const record: TrustRecord = { decision_source: "local_snapshot", required };
  if (serverId.trim() !== "") record.server_id = serverId;
  if (policy.minScore > 0) record.threshold = policy.minScore;
  const maxAgeNanos = policy.maxAge ? parseGoDuration(policy.maxAge, "mcp_trust.max_age") : 0n;
  if (maxAgeNanos > 0n) record.max_age_seconds = Number(maxAgeNanos / 1_000_000_000n);
  const codes: TrustCode[] = [];
  const status = assess(policy, state, serverId, now, maxAgeNanos, record, codes);
  record.status = status;
  const verified = codes.length === 0;
  record.reason_codes = (verified ? ["verified"] : codes).map((code) => `mcp_trust_${code}`);
  record.enforced = required && !verified;
  return { verified, required, enforced: required && !verified, action: policy.action, record };
}

function assess(
  policy: McpTrust,
  state: SnapshotState,
  serverId: string,
  now: Timestamp,
  maxAgeNanos: bigint,
  record: TrustRecord,
  codes: TrustCode[],
): NonNullable<TrustRecord["status"]> {
  if (state.kind === "unavailable") return fail(codes, "snapshot_unavailable", "missing");
  if (state.kind === "invalid") return fail(codes, "snapshot_invalid", "invalid");
  if (serverId.trim() === "") return fail(codes, "identifier_missing", "unknown");
  const entry = state.snapshot.servers.find((s) => s.server_id === serverId || s.server_name === serverId);
  if (!entry) return fail(codes, "server_unknown", "unknown");
  describe(entry, state.snapshot, policy, record);
  if (entry.status.trim().toLowerCase() !== "trusted") return fail(codes, "status_untrusted", "untrusted");
  if (policy.minScore > 0 && (entry.score ?? 0) < policy.minScore) {
    return fail(codes, "below_threshold", "below_threshold");
  }
  const updatedAt = entry.updated_at ?? state.snapshot.updated_at;
  if (maxAgeNanos > 0n && (!updatedAt || isOlderThan(updatedAt, now, maxAgeNanos))) {
    return fail(codes, "stale", "stale");
  }
  if (record.publisher_allowed === false) return fail(codes, "publisher_untrusted", "untrusted");
  if (policy.requireRegistry && entry.registry_verified !== true) {
    return fail(codes, "registry_unverified", "untrusted");
  }
  return "trusted";
}

function fail(
  codes: TrustCode[],
  code: TrustCode,
  status: NonNullable<TrustRecord["status"]>,
): NonNullable<TrustRecord["status"]> {
  codes.push(code);
  return status;
}

function describe(entry: TrustSnapshotEntry, snapshot: TrustSnapshot, policy: McpTrust, record: TrustRecord) {
  record.server_id = entry.server_id;
  if (entry.server_name) record.server_name = entry.server_name;
  if (entry.publisher) record.publisher = entry.publisher;
  if (entry.source) record.source = entry.source;
  if (entry.score !== undefined) record.score = entry.score;
  const updatedAt = entry.updated_at ?? snapshot.updated_at;
  if (updatedAt) record.updated_at = updatedAt;
  if (entry.registry_verified !== undefined) record.registry_verified = entry.registry_verified;
  if (policy.publisherAllowlist.length > 0) {
    const publisher = entry.publisher?.trim().toLowerCase() ?? "";
    record.publisher_allowed = policy.publisherAllowlist.includes(publisher);
  }
}

function isOlderThan(updatedAt: string, now: Timestamp, maxAgeNanos: bigint): boolean {
  return now.totalNanos() - Timestamp.parse(updatedAt, "updated_at").totalNanos() > maxAgeNanos;
}

/** Reads the snapshot; a missing or malformed file is a state (fail closed), not an error. */
export async function loadTrustSnapshot(path: string): Promise<SnapshotState> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    return { kind: "unavailable", message: `${path}: ${(error as Error).message}` };
  }
  try {
    return { kind: "loaded", snapshot: parseTrustSnapshot(text, path) };
  } catch (error) {
    return { kind: "invalid", message: (error as Error).message };
  }
}

/** Parses a trust snapshot; duplicate server ids make it invalid (which entry would count?). */
export function parseTrustSnapshot(text: string, source: string): TrustSnapshot {
  const bad = (why: string) =>
    invalidInput("mcp_trust_snapshot_invalid", `${source}: ${why}`, {
      hint: `a ${TRUST_SNAPSHOT_SCHEMA_ID} 1.0.0 file: {schema_id, schema_version, updated_at?, servers: [{server_id, status, score?, publisher?, source?, registry_verified?, updated_at?}]}`,
    });
  const doc = parseJsonStrict(text, source);
  if (!isJsonObject(doc) || doc.schema_id !== TRUST_SNAPSHOT_SCHEMA_ID || doc.schema_version !== "1.0.0") {
    throw bad(`not a ${TRUST_SNAPSHOT_SCHEMA_ID} 1.0.0 file`);
  }
  if (!Array.isArray(doc.servers)) throw bad("servers must be an array");
  const seen = new Set<string>();
  const servers = doc.servers.map((raw, i) => {
    if (!isJsonObject(raw)) throw bad(`servers[${i}] must be an object`);
    const entry = snapshotEntry(raw, `servers[${i}]`, bad);
    if (seen.has(entry.server_id)) throw bad(`duplicate server_id ${JSON.stringify(entry.server_id)}`);
    seen.add(entry.server_id);
    return entry;
  });
  const snapshot: TrustSnapshot = { servers };
  if (doc.updated_at !== undefined) snapshot.updated_at = timestamp(doc.updated_at, "updated_at", bad);
  return snapshot;
}

function snapshotEntry(raw: JsonObject, where: string, bad: (why: string) => Error): TrustSnapshotEntry {
  const text = (key: string, required = false): string | undefined => {
    const value = raw[key];
    if (value === undefined && !required) return undefined;
    if (typeof value !== "string" || value.trim() === "")
      throw bad(`${where}.${key} must be a non-empty string`);
    return value.trim();
  };
  const entry: TrustSnapshotEntry = { server_id: text("server_id", true)!, status: text("status", true)! };
  for (const key of ["server_name", "publisher", "source"] as const) {
    const value = text(key);
    if (value !== undefined) entry[key] = value;
  }
  if (raw.score !== undefined) {
    if (typeof raw.score !== "number" || raw.score < 0 || raw.score > 1)
      throw bad(`${where}.score must be 0..1`);
    entry.score = raw.score;
  }
  if (raw.registry_verified !== undefined) {
    if (typeof raw.registry_verified !== "boolean") throw bad(`${where}.registry_verified must be a boolean`);
    entry.registry_verified = raw.registry_verified;
  }
  if (raw.updated_at !== undefined) entry.updated_at = timestamp(raw.updated_at, `${where}.updated_at`, bad);
  return entry;
}

function timestamp(value: unknown, where: string, bad: (why: string) => Error): string {
  if (typeof value !== "string") throw bad(`${where} must be an RFC 3339 time`);
  try {
    return Timestamp.parse(value, where).utc().toString();
  } catch {
    throw bad(`${where} must be an RFC 3339 time`);
  }
}

/** The policy's trust requirements bound to one server and its snapshot, for the proxy. */
export class TrustCheck {
  constructor(
    private readonly policy: McpTrust,
    private readonly state: SnapshotState,
    private readonly serverId: string,
  ) {}

  decide(riskClass: string, now: Timestamp): TrustOutcome {
    return evaluateTrust(this.policy, this.state, this.serverId, riskClass, now);
  }
}

/** The trust check for `serverId` when the policy enables mcp_trust (its snapshot read once), else none. */
export async function trustCheckFor(
  policy: LoadedPolicy,
  cwd: string,
  serverId: string,
): Promise<TrustCheck | undefined> {
  const mcpTrust = policy.policy.mcpTrust;
  if (!mcpTrust.enabled) return undefined;
  return new TrustCheck(mcpTrust, await loadTrustSnapshot(resolve(cwd, mcpTrust.snapshotPath)), serverId);
}
