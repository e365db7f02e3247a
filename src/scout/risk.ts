/**
 * Risk per item, with its reasons: the one place Scout's risk rules and token lists live, for
 * tools found in code and for MCP servers declared in client configs (docs/scout.md and
 * docs/scout-mcp.md mirror the lists). Pure. Each reason is `<source>:<value>` and becomes a
 * `risk_reason:<source>:<value>` tag:
 *
 *   name:<token>        a token of a tool's declared name (the reference's lists, plus a medium tier)
 *   hint:destructive    MCP annotation `destructiveHint: true` (raises a tool to at least high)
 *   hint:read_only      MCP annotation `readOnlyHint: true` (lowers a tool's name risk to low unless critical)
 *   target:<kind>       an input parameter naming a target (filesystem, network, exec, database):
 *                       at least that kind's level, whatever the name or hints say
 *   class:<class>       an MCP server's name, package or executable matched a class below
 *   transport:remote_url  an MCP server reached at a non-loopback URL
 *   default:none        nothing matched
 */
import type { RiskLevel } from "./item.ts";

export interface Risk {
  level: RiskLevel;
  /** `<source>:<value>` strings, most decisive first. */
  reasons: string[];
}

/** The tags an item carries for its risk reasons. */
export function riskReasonTags(risk: Risk): string[] {
  return risk.reasons.map((reason) => `risk_reason:${reason}`);
}

const RANK: Record<RiskLevel, number> = { low: 0, medium: 1, high: 2, critical: 3 };

export function riskAbove(a: RiskLevel, b: RiskLevel): boolean {
  return RANK[a] > RANK[b];
}

const DEFAULT_REASON = "default:none";

// ---------------------------------------------------------------------------------------------
// Tools: name tokens, annotations, declared targets

const NAME_TOKENS: ReadonlyArray<readonly [RiskLevel, ReadonlySet<string>]> = [
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

export type TargetKind = "filesystem" | "network" | "exec" | "database";

/**
 * Parameter-name tokens that declare what a tool acts on, and the least level each gives: running
 * commands and database statements are high; a path or a URL is medium (what is done with it, write
 * or delete, is the name's business). Bare `query` is not a database target: it is every search
 * tool's parameter (`sql_query` is, by `sql`).
 */
export const TARGET_TOKENS: ReadonlyArray<{
  kind: TargetKind;
  level: RiskLevel;
  tokens: ReadonlySet<string>;
}> = [
  { kind: "exec", level: "high", tokens: new Set(["command", "cmd", "script", "shell", "exec", "argv"]) },
  { kind: "database", level: "high", tokens: new Set(["sql", "table", "database", "db"]) },
  {
    kind: "filesystem",
    level: "medium",
    tokens: new Set(["path", "paths", "file", "files", "filename", "filepath", "dir", "directory", "folder"]),
  },
  {
    kind: "network",
    level: "medium",
    tokens: new Set(["url", "urls", "uri", "host", "hostname", "endpoint", "webhook", "domain"]),
  },
];

export interface RiskHints {
  destructiveHint?: boolean;
  readOnlyHint?: boolean;
}

/** The target kinds a tool's parameter names declare, in TARGET_TOKENS order. */
export function declaredTargets(parameters: readonly string[]): TargetKind[] {
  const tokens = new Set(parameters.flatMap(nameTokens));
  return TARGET_TOKENS.filter((t) => [...t.tokens].some((token) => tokens.has(token))).map((t) => t.kind);
}

export function assessToolRisk(
  name: string,
  hints: RiskHints = {},
  parameters: readonly string[] = [],
): Risk {
  const tokens = nameTokens(name);
  let level: RiskLevel = "low";
  let reason = DEFAULT_REASON;
  for (const [tier, words] of NAME_TOKENS) {
    const token = tokens.find((t) => words.has(t));
    if (token !== undefined) {
      level = tier;
      reason = `name:${token}`;
      break;
    }
  }
  if (hints.destructiveHint === true && riskAbove("high", level)) {
    level = "high";
    reason = "hint:destructive";
  } else if (hints.readOnlyHint === true && hints.destructiveHint !== true && level !== "critical") {
    level = "low";
    reason = "hint:read_only";
  }
  const targets = declaredTargets(parameters);
  for (const kind of targets) {
    const floor = TARGET_TOKENS.find((t) => t.kind === kind)!.level;
    if (riskAbove(floor, level)) level = floor;
  }
  const reasons = reason === DEFAULT_REASON && targets.length > 0 ? [] : [reason];
  return { level, reasons: [...reasons, ...targets.map((kind) => `target:${kind}`)] };
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

// ---------------------------------------------------------------------------------------------
// MCP servers: classes of the words of name, launched package and executable; remote transport
//
//   critical  money moves or data is destroyed (the reference's critical tokens, plus payment APIs)
//   high      acts on the machine or on shared systems: files, shell, databases, browsers, cloud,
//             source control, messaging, the reference's write tokens
//   medium    a remote (non-loopback) URL transport; web access; anything not recognised
//   low       read-only, memory, time and small utilities — only when local and nothing above matched
// The highest class matched wins; ties go to the earlier class in the list.

export interface RiskClass {
  reason: string;
  level: RiskLevel;
  tokens: readonly string[];
}

export const SERVER_RISK_CLASSES: readonly RiskClass[] = [
  {
    reason: "payments",
    level: "critical",
    tokens: [
      "payment",
      "payments",
      "pay",
      "stripe",
      "paypal",
      "billing",
      "wire",
      "transfer",
      "bank",
      "banking",
    ],
  },
  { reason: "destructive", level: "critical", tokens: ["delete", "drop", "destroy", "wipe", "purge"] },
  {
    reason: "shell",
    level: "high",
    tokens: [
      "shell",
      "bash",
      "sh",
      "zsh",
      "powershell",
      "pwsh",
      "cmd",
      "terminal",
      "exec",
      "execute",
      "command",
      "commands",
      "process",
      "ssh",
      "interpreter",
      "codeinterpreter",
      "repl",
    ],
  },
  { reason: "filesystem", level: "high", tokens: ["filesystem", "fs", "file", "files", "disk", "directory"] },
  {
    reason: "database",
    level: "high",
    tokens: [
      "database",
      "db",
      "sql",
      "postgres",
      "postgresql",
      "pg",
      "mysql",
      "mariadb",
      "sqlite",
      "mongo",
      "mongodb",
      "redis",
      "supabase",
      "neon",
      "snowflake",
      "bigquery",
      "clickhouse",
      "dynamodb",
      "elasticsearch",
    ],
  },
  {
    reason: "browser",
    level: "high",
    tokens: ["browser", "puppeteer", "playwright", "selenium", "chrome", "chromium", "browserbase"],
  },
  {
    reason: "cloud",
    level: "high",
    tokens: [
      "aws",
      "gcp",
      "gcloud",
      "azure",
      "cloudflare",
      "kubernetes",
      "k8s",
      "kubectl",
      "helm",
      "terraform",
      "pulumi",
      "docker",
      "vercel",
      "netlify",
      "heroku",
    ],
  },
  { reason: "source_control", level: "high", tokens: ["git", "github", "gitlab", "bitbucket"] },
  {
    reason: "messaging",
    level: "high",
    tokens: [
      "email",
      "gmail",
      "smtp",
      "mail",
      "slack",
      "discord",
      "telegram",
      "twilio",
      "sms",
      "whatsapp",
      "send",
    ],
  },
  { reason: "write", level: "high", tokens: ["write", "update", "export", "remove", "overwrite"] },
  {
    reason: "web",
    level: "medium",
    tokens: [
      "fetch",
      "http",
      "web",
      "search",
      "scrape",
      "scraper",
      "crawl",
      "crawler",
      "firecrawl",
      "tavily",
      "brave",
      "exa",
    ],
  },
  {
    reason: "read_only",
    level: "low",
    tokens: ["readonly", "read", "reader", "viewer", "docs", "documentation", "context7"],
  },
  { reason: "memory", level: "low", tokens: ["memory", "knowledge", "notes"] },
  { reason: "time", level: "low", tokens: ["time", "clock", "date", "timezone"] },
  {
    reason: "utility",
    level: "low",
    tokens: ["weather", "calculator", "calc", "math", "sequentialthinking", "thinking", "everything", "echo"],
  },
];

/** `words`: the server name, launched package and non-runner executable; `remote`: a non-loopback URL. */
export function assessServerRisk(words: readonly string[], remote: boolean): Risk {
  const tokens = new Set(words.flatMap(serverTokens));
  let best: RiskClass | undefined;
  for (const riskClass of SERVER_RISK_CLASSES) {
    if (best !== undefined && RANK[riskClass.level] <= RANK[best.level]) continue;
    if (riskClass.tokens.some((t) => tokens.has(t))) best = riskClass;
  }
  const matched = (c: RiskClass): Risk => ({ level: c.level, reasons: [`class:${c.reason}`] });
  if (best !== undefined && RANK[best.level] >= RANK.high) return matched(best);
  if (remote) return { level: "medium", reasons: ["transport:remote_url"] };
  if (best !== undefined) return matched(best);
  return { level: "medium", reasons: [DEFAULT_REASON] };
}

/**
 * The name tokens plus each adjacent pair joined (`sequential-thinking` → `sequentialthinking`,
 * `readOnly` → `readonly`): server names and packages often glue words a class lists whole.
 */
export function serverTokens(text: string): string[] {
  const words = nameTokens(text);
  const pairs = words.slice(1).map((w, i) => words[i] + w);
  return [...words, ...pairs];
}
