/**
 * The one rule for Scout item ids: a kind prefix and 16 hex characters of sha256 over kind, name
 * and locator (each followed by NUL). Locators never hold absolute paths, so the same tree gives
 * the same ids on every machine; two servers of one name in two configs stay distinct.
 */
import { sha256Hex } from "../contract/canonical.ts";
import type { ScoutItemKind } from "./item.ts";

const ID_PREFIX: Record<ScoutItemKind, string> = { tool: "tool_", mcp_server: "mcp_" };

export function itemId(kind: ScoutItemKind, name: string, locator: string): string {
  return ID_PREFIX[kind] + sha256Hex(`${kind}\0${name}\0${locator}\0`).slice(0, 16);
}
