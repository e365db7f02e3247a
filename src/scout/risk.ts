/**
 * Risk per item, with its reason: tokens of the declared name (the reference's lists, plus a
 * medium tier), then MCP tool annotations where the definition declares them
 * (`destructiveHint: true` raises to high, `readOnlyHint: true` lowers to low unless a critical
 * token is in the name). Pure.
 */
import type { RiskLevel } from "./item.ts";

const TOKENS: ReadonlyArray<readonly [RiskLevel, ReadonlySet<string>]> = [
  [
    "critical",
    new Set(["delete", "drop", "destroy", "wire", "payment", "transfer", "truncate", "wipe", "purge"]),
  ],
  [
    "high",
    new Set([
      "write",
      "update",
      "export",
      "send",
      "email",
      "remove",
      "overwrite",
      "exec",
      "execute",
      "shell",
      "deploy",
    ]),
  ],
  [
    "medium",
    new Set(["create", "add", "insert", "set", "put", "post", "patch", "upload", "run", "move", "rename"]),
  ],
];

const ORDER: Record<RiskLevel, number> = { low: 0, medium: 1, high: 2, critical: 3 };

export function riskAbove(a: RiskLevel, b: RiskLevel): boolean {
  return ORDER[a] > ORDER[b];
}

/** `deleteFile`, `delete_file`, `delete-file`, `DeleteFile` → `delete`, `file`. */
export function nameTokens(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((token) => token !== "");
}

export interface RiskHints {
  destructiveHint?: boolean;
  readOnlyHint?: boolean;
}

export interface Risk {
  level: RiskLevel;
  /** `name_token:delete`, `destructive_hint`, `read_only_hint` or `default`. */
  reason: string;
}

export function assessRisk(name: string, hints: RiskHints = {}): Risk {
  const tokens = nameTokens(name);
  let risk: Risk = { level: "low", reason: "default" };
  for (const [level, words] of TOKENS) {
    const token = tokens.find((t) => words.has(t));
    if (token !== undefined) {
      risk = { level, reason: `name_token:${token}` };
      break;
    }
  }
  if (hints.destructiveHint === true && riskAbove("high", risk.level)) {
    return { level: "high", reason: "destructive_hint" };
  }
  if (hints.readOnlyHint === true && hints.destructiveHint !== true && risk.level !== "critical") {
    return { level: "low", reason: "read_only_hint" };
  }
  return risk;
}
