/**
 * Wrkr inventory context (`gate eval --wrkr-inventory F`): an external inventory of the tools
 * agents use, each with its data class, endpoint class and autonomy level. The gate adds the
 * evaluated tool's entry to the intent's `auth_context` as `wrkr.tool_name`, `wrkr.data_class`,
 * `wrkr.endpoint_class` and `wrkr.autonomy_level` before digesting (CONTRACTS.md §5.3), where the
 * policy's `context_tool_names`, `context_data_classes`, `context_endpoint_classes` and
 * `context_autonomy_levels` match keys read them.
 *
 * File shape (JSON; unknown members are ignored, as the reference's reader does):
 * `{"tools": [{"tool_name": "db.query", "data_class": "pii", "endpoint_class": "net.http",
 * "autonomy_level": "supervised"}]}` (`name` is accepted for `tool_name`).
 */
import { readFile } from "node:fs/promises";
import { isJsonObject, parseJsonStrict } from "../contract/canonical.ts";
import { fromFsError, isGaitError } from "../contract/errors.ts";
import { trimLower, trimSpace } from "../contract/text.ts";
import { gaitError, invalidInput } from "./error-codes.ts";

/** Larger than any real inventory; refuses a wrong file (a log, an archive) before parsing it. */
export const MAX_WRKR_INVENTORY_BYTES = 16 * 1024 * 1024;

/** The wrkr.* auth_context members of each inventoried tool, by lower-cased tool name. */
export type WrkrInventory = ReadonlyMap<string, Readonly<Record<string, string>>>;

const CONTEXT_KEYS = [
  ["data_class", "wrkr.data_class"],
  ["endpoint_class", "wrkr.endpoint_class"],
  ["autonomy_level", "wrkr.autonomy_level"],
] as const;

function inventoryError(source: string, message: string) {
  return invalidInput("wrkr_inventory_invalid", `wrkr inventory ${source}: ${message}`, {
    hint: 'a wrkr inventory is JSON like {"tools":[{"tool_name":"db.query","data_class":"pii"}]}; see docs/wrkr-inventory.md',
  });
}

/** Validates a parsed inventory; throws wrkr_inventory_invalid. */
export function parseWrkrInventory(raw: unknown, source: string): WrkrInventory {
  if (!isJsonObject(raw)) throw inventoryError(source, "must be a JSON object");
  if (!Array.isArray(raw.tools)) throw inventoryError(source, "tools must be an array");
  const tools = new Map<string, Record<string, string>>();
  raw.tools.forEach((tool, i) => {
    const where = `tools[${i}]`;
    if (!isJsonObject(tool)) throw inventoryError(source, `${where} must be a JSON object`);
    const name = tool.tool_name ?? tool.name;
    if (typeof name !== "string" || trimSpace(name) === "") {
      throw inventoryError(source, `${where}.tool_name must be a non-empty string`);
    }
    const toolName = trimLower(name);
    if (tools.has(toolName)) throw inventoryError(source, `tool ${JSON.stringify(toolName)} is listed twice`);
    const context: Record<string, string> = { "wrkr.tool_name": toolName };
    for (const [member, key] of CONTEXT_KEYS) {
      const value = tool[member];
      if (value === undefined || value === null) continue;
      if (typeof value !== "string") throw inventoryError(source, `${where}.${member} must be a string`);
      if (trimSpace(value) !== "") context[key] = trimLower(value);
    }
    tools.set(toolName, context);
  });
  return tools;
}

/** Reads and parses the inventory file; any failure is a coded error (see wrkrInventoryUnavailable). */
export async function loadWrkrInventory(path: string, shownAs = path): Promise<WrkrInventory> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw fromFsError(error, "read wrkr inventory", shownAs);
  }
  if (Buffer.byteLength(text) > MAX_WRKR_INVENTORY_BYTES) {
    throw inventoryError(shownAs, `larger than ${MAX_WRKR_INVENTORY_BYTES} bytes`);
  }
  return parseWrkrInventory(parseJsonStrict(text, shownAs), shownAs);
}

/** The lookup the gate binds into intents (IntentInputs.wrkrContext). */
export function wrkrContextLookup(
  inventory: WrkrInventory,
): (toolName: string) => Record<string, string> | undefined {
  return (toolName) => {
    const context = inventory.get(toolName);
    return context ? { ...context } : undefined;
  };
}

/**
 * An inventory that cannot be read where the decision fails closed (high or critical risk,
 * oss-prod): the reference's startup error, exit 3, before any evaluation.
 */
export function wrkrInventoryUnavailable(error: unknown) {
  const reason = isGaitError(error) || error instanceof Error ? error.message : String(error);
  return gaitError(
    "policy_blocked",
    "wrkr_inventory_unavailable",
    `wrkr inventory unavailable in fail-closed mode: ${reason}`,
    {
      hint: "fix the --wrkr-inventory file (or gate.wrkr_inventory_path in the config); high and critical risk calls are blocked without it",
      cause: error,
    },
  );
}
