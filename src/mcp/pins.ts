/**
 * Tool definition pinning: the first definition seen of each tool (its description and input
 * schema, by digest) is pinned per server; a later, different definition (a "rug pull": the
 * server changes what a tool claims to do after the user trusted it) blocks the tool with
 * `mcp_tool_definition_changed` until someone re-approves it (`gait mcp pins approve`).
 *
 * The pins live in one JSON state file shared by every proxy and the CLI: each change is a
 * read-modify-write under its lock file, written atomically. The pure part (PinBook) decides;
 * PinStore is the file edge.
 */
import { readFile } from "node:fs/promises";
import { canonicalize, isJsonObject, parseJsonStrict, sha256Hex } from "../contract/canonical.ts";
import { fromFsError } from "../contract/errors.ts";
import { withFileLock, writeFileAtomic } from "../contract/files.ts";
import type { Clock } from "../contract/time.ts";
import { invalidInput } from "./error-codes.ts";

export const PINS_SCHEMA_ID = "gait.mcp.tool_pins";
export const DEFAULT_PINS_PATH = ".gait-out/mcp_tool_pins.json";
export const PIN_CHANGED_REASON = "mcp_tool_definition_changed";
/** A definition could not be compared with its pin (pin file unusable, tool never listed): the call blocks. */
export const PINS_UNAVAILABLE_REASON = "mcp_tool_pins_unavailable";

/** What is pinned of a tool: what the model reads (description) and what it may send (schema). */
export interface ToolDefinition {
  name: string;
  description?: string;
  inputSchema?: unknown;
}

export interface ToolPin {
  digest: string;
  pinned_at: string;
  /** A different definition seen since, waiting for approval. */
  changed?: { digest: string; seen_at: string };
}

export interface PinFile {
  schema_id: typeof PINS_SCHEMA_ID;
  schema_version: "1.0.0";
  /** server id → tool name → pin. */
  servers: Record<string, Record<string, ToolPin>>;
}

export type PinStatus = "pinned" | "matches" | "changed";

/** sha256 of the canonical JSON of {description, input_schema}. */
export function toolDefinitionDigest(tool: ToolDefinition): string {
  return sha256Hex(
    canonicalize({ description: tool.description ?? "", input_schema: tool.inputSchema ?? {} }),
  );
}

/** Records a seen definition: pins a new tool, notes a change on a pinned one. Pure (mutates `file`). */
export function observeDefinition(
  file: PinFile,
  serverId: string,
  tool: string,
  digest: string,
  at: string,
): PinStatus {
  file.servers[serverId] ??= {};
  const tools = file.servers[serverId];
  const pin = tools[tool];
  if (!pin) {
    tools[tool] = { digest, pinned_at: at };
    return "pinned";
  }
  if (pin.digest === digest) {
    delete pin.changed;
    return "matches";
  }
  if (pin.changed?.digest !== digest) pin.changed = { digest, seen_at: at };
  return "changed";
}

/** Accepts the changed definitions of a server's tools (all, or the named ones). Returns the approved names. */
export function approveChanges(
  file: PinFile,
  serverId: string,
  tools: readonly string[],
  at: string,
): string[] {
  const pins = file.servers[serverId];
  if (!pins) {
    throw invalidInput("mcp_pin_not_found", `no pins for MCP server ${JSON.stringify(serverId)}`, {
      hint: "see `gait mcp pins list` for the pinned servers and tools",
    });
  }
  const names = tools.length > 0 ? tools : Object.keys(pins).filter((name) => pins[name]!.changed);
  for (const name of names) {
    if (!pins[name]) {
      throw invalidInput("mcp_pin_not_found", `no pin for tool ${JSON.stringify(name)} of ${serverId}`, {
        hint: "see `gait mcp pins list` for the pinned tools",
      });
    }
  }
  const approved: string[] = [];
  for (const name of names) {
    const pin = pins[name]!;
    if (!pin.changed) continue;
    pins[name] = { digest: pin.changed.digest, pinned_at: at };
    approved.push(name);
  }
  return approved.sort();
}

export function emptyPinFile(): PinFile {
  return { schema_id: PINS_SCHEMA_ID, schema_version: "1.0.0", servers: {} };
}

/** The pin state file: read, and changed under its lock. */
export class PinStore {
  readonly path: string;
  private readonly clock: Clock;

  constructor(path: string, clock: Clock) {
    this.path = path;
    this.clock = clock;
  }

  async read(): Promise<PinFile> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return emptyPinFile();
      throw fromFsError(error, "read", this.path);
    }
    return parsePinFile(text, this.path);
  }

  /** Runs `change` on the current file under the lock and writes the result back when it changed. */
  async update<T>(change: (file: PinFile, at: string) => T): Promise<T> {
    return withFileLock(`${this.path}.lock`, async () => {
      const file = await this.read();
      const before = JSON.stringify(file);
      const result = change(file, this.clock().utc().toString());
      const after = JSON.stringify(file, null, 2);
      if (JSON.stringify(file) !== before) await writeFileAtomic(this.path, `${after}\n`, { mode: 0o600 });
      return result;
    });
  }
}

const DIGEST = /^[0-9a-f]{64}$/;

/** Parses and checks a pin file; anything malformed is a coded error naming the file. */
export function parsePinFile(text: string, source: string): PinFile {
  const bad = (why: string) =>
    invalidInput("mcp_pins_invalid", `${source}: ${why}`, {
      hint: "fix or remove the pin file (every tool is pinned again on first sight)",
    });
  const doc = parseJsonStrict(text, source);
  if (!isJsonObject(doc) || doc.schema_id !== PINS_SCHEMA_ID || doc.schema_version !== "1.0.0") {
    throw bad(`not a ${PINS_SCHEMA_ID} 1.0.0 file`);
  }
  if (!isJsonObject(doc.servers)) throw bad("servers must be an object");
  for (const [server, tools] of Object.entries(doc.servers)) {
    if (!isJsonObject(tools)) throw bad(`servers.${server} must be an object`);
    for (const [tool, pin] of Object.entries(tools)) {
      const where = `servers.${server}.${tool}`;
      if (!isJsonObject(pin) || typeof pin.digest !== "string" || !DIGEST.test(pin.digest)) {
        throw bad(`${where}.digest must be 64 lowercase hex`);
      }
      if (typeof pin.pinned_at !== "string") throw bad(`${where}.pinned_at must be a string`);
      const changed = pin.changed;
      if (
        changed !== undefined &&
        (!isJsonObject(changed) ||
          typeof changed.digest !== "string" ||
          !DIGEST.test(changed.digest) ||
          typeof changed.seen_at !== "string")
      ) {
        throw bad(`${where}.changed must be {digest, seen_at}`);
      }
    }
  }
  return doc as unknown as PinFile;
}
