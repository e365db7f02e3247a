/**
 * Risk of an MCP server from what its config says: the words of its name, of the package or image
 * it launches and of its executable (unless that is a mere runner like `npx` or `docker`), and
 * whether it is reached over the network. All token lists live here; docs/scout-mcp.md mirrors
 * them. The highest class matched wins; ties go to the earlier class in the list.
 *
 *   critical  money moves or data is destroyed (the reference's critical tokens, plus payment APIs)
 *   high      acts on the machine or on shared systems: files, shell, databases, browsers, cloud,
 *             source control, messaging, the reference's write tokens
 *   medium    a remote (non-loopback) URL transport; web access; anything not recognised
 *   low       read-only, memory, time and small utilities — only when local and nothing above matched
 */
import type { RiskLevel } from "../item.ts";

export interface RiskClass {
  reason: string;
  level: RiskLevel;
  tokens: readonly string[];
}

export const RISK_CLASSES: readonly RiskClass[] = [
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

export const REMOTE_REASON = "remote_url";
export const UNKNOWN_REASON = "unknown";

const RANK: Record<RiskLevel, number> = { low: 1, medium: 2, high: 3, critical: 4 };

export interface Risk {
  level: RiskLevel;
  reason: string;
}

/** `words`: the server name, launched package and non-runner executable; `remote`: a non-loopback URL. */
export function assessRisk(words: readonly string[], remote: boolean): Risk {
  const tokens = new Set(words.flatMap(tokensOf));
  let best: RiskClass | undefined;
  for (const riskClass of RISK_CLASSES) {
    if (best !== undefined && RANK[riskClass.level] <= RANK[best.level]) continue;
    if (riskClass.tokens.some((t) => tokens.has(t))) best = riskClass;
  }
  if (best !== undefined && RANK[best.level] >= RANK.high) return { level: best.level, reason: best.reason };
  if (remote) return { level: "medium", reason: REMOTE_REASON };
  if (best !== undefined) return { level: best.level, reason: best.reason };
  return { level: "medium", reason: UNKNOWN_REASON };
}

/**
 * Lower-case words split at non-alphanumerics and camelCase humps, plus each adjacent pair joined
 * (`sequential-thinking` → `sequentialthinking`, `readOnly` → `readonly`).
 */
export function tokensOf(text: string): string[] {
  const words = text
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== "");
  const pairs = words.slice(1).map((w, i) => words[i] + w);
  return [...words, ...pairs];
}
