import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { itemId } from "../../src/scout/item-id.ts";
import { scanMcpConfigs } from "../../src/scout/mcp/index.ts";
import { walkRoot } from "../../src/scout/walk.ts";

const FIXTURES = fileURLToPath(new URL("./fixtures/mcp/", import.meta.url));
const PROJECT = join(FIXTURES, "project");
const HOME = join(FIXTURES, "home");

/** name, locator, risk, tags: the whole expected inventory of the fixture project and home. */
type Expected = [string, string, string, string[]];

const PROJECT_ITEMS: Expected[] = [
  [
    "linear",
    ".cursor/mcp.json#/mcpServers/linear",
    "medium",
    ["client:cursor", "risk_reason:transport:remote_url", "transport:sse", "url_host:mcp.linear.app"],
  ],
  [
    "postgres",
    ".cursor/mcp.json#/mcpServers/postgres",
    "high",
    [
      "client:cursor",
      "command:docker",
      "env:DATABASE_URL",
      "package:mcp/postgres",
      "risk_reason:class:database",
      "transport:stdio",
    ],
  ],
  [
    "docs",
    ".gemini/settings.json#/mcpServers/docs",
    "medium",
    ["client:gemini", "risk_reason:transport:remote_url", "transport:http", "url_host:docs.example.com"],
  ],
  [
    "events",
    ".gemini/settings.json#/mcpServers/events",
    "medium",
    ["client:gemini", "risk_reason:transport:remote_url", "transport:sse", "url_host:events.example.com"],
  ],
  [
    "memory",
    ".gemini/settings.json#/mcpServers/memory",
    "low",
    [
      "client:gemini",
      "command:npx",
      "package:@modelcontextprotocol/server-memory",
      "risk_reason:class:memory",
      "transport:stdio",
    ],
  ],
  [
    "filesystem",
    ".mcp.json#/mcpServers/filesystem",
    "high",
    [
      "client:claude-code",
      "command:npx",
      "env:FS_TOKEN",
      "package:@modelcontextprotocol/server-filesystem",
      "risk_reason:class:filesystem",
      "transport:stdio",
    ],
  ],
  [
    "internal-api",
    ".mcp.json#/mcpServers/internal-api",
    "medium",
    [
      "client:claude-code",
      "env:TENANT_ID",
      "risk_reason:transport:remote_url",
      "transport:http",
      "url_host:api.internal.example.com",
    ],
  ],
  [
    "github",
    ".vscode/mcp.json#/servers/github",
    "high",
    ["client:vscode", "risk_reason:class:source_control", "transport:http", "url_host:api.githubcopilot.com"],
  ],
  [
    "time",
    ".vscode/mcp.json#/servers/time",
    "low",
    ["client:vscode", "command:uvx", "package:mcp-server-time", "risk_reason:class:time", "transport:stdio"],
  ],
  [
    "stripe",
    "deep/one-down.json#/mcpServers/stripe",
    "critical",
    ["client:project", "command:npx", "package:@stripe/mcp", "risk_reason:class:payments", "transport:stdio"],
  ],
  [
    "local-notes",
    "examples/claude_desktop_config.json#/mcpServers/local-notes",
    "low",
    ["client:project", "risk_reason:class:memory", "transport:http", "url_host:localhost"],
  ],
  [
    "shell",
    "examples/claude_desktop_config.json#/mcpServers/shell",
    "high",
    ["client:project", "command:bash", "risk_reason:class:shell", "transport:stdio"],
  ],
  [
    "browser",
    "mcp-servers.json#/mcpServers/browser",
    "high",
    [
      "client:project",
      "command:pnpm",
      "package:@playwright/mcp",
      "risk_reason:class:browser",
      "transport:stdio",
    ],
  ],
  [
    "fine",
    "shapes.json#/mcpServers/fine",
    "medium",
    ["client:project", "command:uvx", "package:mcp-server-fetch", "risk_reason:class:web", "transport:stdio"],
  ],
];

const USER_ITEMS: Expected[] = [
  [
    "sentry",
    "~/.claude.json#/mcpServers/sentry",
    "medium",
    ["client:claude-code", "risk_reason:transport:remote_url", "transport:http", "url_host:mcp.sentry.dev"],
  ],
  [
    "slack",
    "~/.claude.json#/projects/~1srv~1work~1api/mcpServers/slack",
    "high",
    [
      "client:claude-code",
      "command:npx",
      "env:SLACK_BOT_TOKEN",
      "env:SLACK_TEAM_ID",
      "package:@modelcontextprotocol/server-slack",
      "risk_reason:class:messaging",
      "transport:stdio",
    ],
  ],
  [
    "brave-search",
    "~/.codeium/windsurf/mcp_config.json#/mcpServers/brave-search",
    "medium",
    [
      "client:windsurf",
      "command:npx",
      "env:BRAVE_API_KEY",
      "package:@modelcontextprotocol/server-brave-search",
      "risk_reason:class:web",
      "transport:stdio",
    ],
  ],
  [
    "remote-tools",
    "~/.codeium/windsurf/mcp_config.json#/mcpServers/remote-tools",
    "medium",
    ["client:windsurf", "risk_reason:transport:remote_url", "transport:http", "url_host:mcp.example.org"],
  ],
  [
    "my.docs",
    '~/.codex/config.toml#mcp_servers."my.docs"',
    "medium",
    [
      "client:codex",
      "env:DOCS_ORG_ID",
      "env:DOCS_TOKEN",
      "risk_reason:transport:remote_url",
      "transport:http",
      "url_host:docs.internal.example",
    ],
  ],
  [
    "context7",
    "~/.codex/config.toml#mcp_servers.context7",
    "low",
    [
      "client:codex",
      "command:npx",
      "env:CONTEXT7_API_KEY",
      "package:@upstash/context7-mcp",
      "risk_reason:class:read_only",
      "transport:stdio",
    ],
  ],
  [
    "git",
    "~/.codex/config.toml#mcp_servers.git",
    "high",
    [
      "client:codex",
      "command:pipx",
      "env:GIT_AUTHOR_NAME",
      "package:mcp-server-git",
      "risk_reason:class:source_control",
      "state:disabled",
      "transport:stdio",
    ],
  ],
  [
    "playwright",
    "~/.config/Code/User/mcp.json#/servers/playwright",
    "high",
    [
      "client:vscode",
      "command:npx",
      "package:@playwright/mcp",
      "risk_reason:class:browser",
      "transport:stdio",
    ],
  ],
  [
    "notion",
    "~/.cursor/mcp.json#/mcpServers/notion",
    "medium",
    ["client:cursor", "risk_reason:transport:remote_url", "transport:http", "url_host:mcp.notion.com"],
  ],
  [
    "kubernetes",
    "~/.gemini/settings.json#/mcpServers/kubernetes",
    "high",
    [
      "client:gemini",
      "command:npx",
      "package:mcp-server-kubernetes",
      "risk_reason:class:cloud",
      "transport:stdio",
    ],
  ],
  [
    "win-fetch",
    "~/AppData/Roaming/Claude/claude_desktop_config.json#/mcpServers/win-fetch",
    "medium",
    [
      "client:claude-desktop",
      "command:uvx",
      "package:mcp-server-fetch",
      "risk_reason:class:web",
      "transport:stdio",
    ],
  ],
  [
    "everything",
    "~/Library/Application Support/Claude/claude_desktop_config.json#/mcpServers/everything",
    "low",
    [
      "client:claude-desktop",
      "command:npx",
      "package:@modelcontextprotocol/server-everything",
      "risk_reason:class:utility",
      "transport:stdio",
    ],
  ],
  [
    "sqlite",
    "~/Library/Application Support/Claude/claude_desktop_config.json#/mcpServers/sqlite",
    "high",
    [
      "client:claude-desktop",
      "command:uvx",
      "package:mcp-server-sqlite",
      "risk_reason:class:database",
      "transport:stdio",
    ],
  ],
];

const PROJECT_FINDINGS = [
  {
    path: "broken.json",
    line: 6,
    code: "mcp_config_invalid",
    message: "does not parse as JSON (CloseBraceExpected)",
  },
  {
    path: "not-a-map.json",
    line: 1,
    code: "mcp_servers_invalid",
    message: "/mcpServers is not an object of servers",
  },
  {
    path: "shapes.json",
    line: 4,
    code: "mcp_server_invalid",
    message: "/mcpServers/a-number is not an object",
  },
  {
    path: "shapes.json",
    line: 5,
    code: "mcp_server_invalid",
    message: "/mcpServers/a-list is not an object",
  },
];

const USER_FINDINGS = [
  {
    path: "~/.claude.json",
    line: 18,
    code: "mcp_servers_invalid",
    message: "/projects/~1srv~1work~1odd/mcpServers is not an object of servers",
  },
  {
    path: "~/.config/Claude/claude_desktop_config.json",
    line: 3,
    code: "mcp_config_invalid",
    message: "does not parse as JSON (CommaExpected)",
  },
];

function expectedItems(rows: Expected[]) {
  return rows.map(([name, locator, risk, tags]) => ({
    id: itemId("mcp_server", name, locator),
    kind: "mcp_server",
    name,
    locator,
    risk_level: risk,
    tags,
  }));
}

/** Roots with the core walker's listing, as `gait scout snapshot` hands them to the MCP scan. */
const listed = (...roots: string[]) =>
  Promise.all(
    roots.map(async (root) => ({ root, files: (await walkRoot(root, { include: [], exclude: [] })).files })),
  );

const scanFixture = async (userConfigs: boolean) =>
  scanMcpConfigs({ projects: await listed(PROJECT), userConfigs, home: HOME, env: {} });

describe("scanMcpConfigs on the fixture project and home", () => {
  it("finds exactly the servers of every client's project files, and the findings", async () => {
    const result = await scanFixture(false);
    assert.deepEqual(result.items, expectedItems(PROJECT_ITEMS));
    assert.deepEqual(result.findings, PROJECT_FINDINGS);
  });

  it("with userConfigs, adds exactly the servers of every client's user files, as ~/ paths", async () => {
    const result = await scanFixture(true);
    assert.deepEqual(result.items, expectedItems([...PROJECT_ITEMS, ...USER_ITEMS]));
    assert.deepEqual(result.findings, [...PROJECT_FINDINGS, ...USER_FINDINGS]);
  });

  it("covers every client", async () => {
    const result = await scanFixture(true);
    const clients = new Set(result.items.flatMap((i) => i.tags ?? []).filter((t) => t.startsWith("client:")));
    assert.deepEqual(
      [...clients].sort(),
      ["claude-code", "claude-desktop", "codex", "cursor", "gemini", "project", "vscode", "windsurf"].map(
        (c) => `client:${c}`,
      ),
    );
  });

  it("never lets a secret (env values, headers, args, URL query or user info) or an absolute path out", async () => {
    const json = JSON.stringify(await scanFixture(true));
    assert.ok(!json.includes("SECRET"), "a planted SECRET value leaked");
    for (const fragment of ["sk_live", "xoxb", "Bearer", "api-key", "access_token", "/Users/", FIXTURES]) {
      assert.ok(!json.includes(fragment), `leaked ${fragment}`);
    }
  });

  it("skips node_modules (walker), hidden directories and files two levels down", async () => {
    const names = (await scanFixture(false)).items.map((i) => i.name);
    for (const ignored of ["ignored-node-modules", "ignored-hidden", "ignored-too-deep"]) {
      assert.ok(!names.includes(ignored), ignored);
    }
  });

  it("is deterministic: same bytes across runs and however the root is written", async () => {
    const first = JSON.stringify(await scanFixture(true));
    const second = JSON.stringify(await scanFixture(true));
    const relativeRoot = JSON.stringify(
      await scanMcpConfigs({
        projects: await listed(relative(process.cwd(), PROJECT) + "/"),
        userConfigs: true,
        home: HOME,
        env: {},
      }),
    );
    assert.equal(second, first);
    assert.equal(relativeRoot, first);
  });
});

describe("scanMcpConfigs: user files and the file system", () => {
  const temps: string[] = [];
  after(async () => {
    for (const dir of temps) await rm(dir, { recursive: true, force: true });
  });
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), "gait-scout-mcp-"));
    temps.push(dir);
    return dir;
  };
  const put = async (path: string, text: string) => {
    await mkdir(resolve(path, ".."), { recursive: true });
    await writeFile(path, text);
  };

  it("userConfigs false reads no home file, even a broken one", async () => {
    const root = await tempDir();
    const home = await tempDir();
    await put(join(home, ".cursor", "mcp.json"), "{ broken");
    await put(join(home, ".claude.json"), '{"mcpServers":{"x":{"command":"npx"}}}');
    const result = await scanMcpConfigs({ projects: await listed(root), userConfigs: false, home, env: {} });
    assert.deepEqual(result, { items: [], findings: [] });
  });

  it("follows XDG_CONFIG_HOME, APPDATA and CODEX_HOME; shows files outside home by their path", async () => {
    const root = await tempDir();
    const home = await tempDir();
    const elsewhere = await tempDir();
    await put(
      join(home, "xdg", "Claude", "claude_desktop_config.json"),
      '{"mcpServers":{"a":{"command":"x"}}}',
    );
    await put(join(home, "roaming", "Code", "User", "mcp.json"), '{"servers":{"b":{"command":"x"}}}');
    await put(join(elsewhere, "config.toml"), '[mcp_servers.c]\ncommand = "x"\n');
    const result = await scanMcpConfigs({
      projects: await listed(root),
      userConfigs: true,
      home,
      env: { XDG_CONFIG_HOME: join(home, "xdg"), APPDATA: join(home, "roaming"), CODEX_HOME: elsewhere },
    });
    assert.deepEqual(
      result.items.map((i) => i.locator),
      [
        `${elsewhere}/config.toml#mcp_servers.c`,
        "~/roaming/Code/User/mcp.json#/servers/b",
        "~/xdg/Claude/claude_desktop_config.json#/mcpServers/a",
      ],
    );
  });

  it("shows ~/.claude.json projects under home as ~/…", async () => {
    const root = await tempDir();
    const home = await tempDir();
    const config = {
      projects: { [join(home, "src", "app")]: { mcpServers: { db: { command: "uvx", args: ["x"] } } } },
    };
    await put(join(home, ".claude.json"), JSON.stringify(config));
    const result = await scanMcpConfigs({ projects: await listed(root), userConfigs: true, home, env: {} });
    assert.deepEqual(
      result.items.map((i) => i.locator),
      ["~/.claude.json#/projects/~0~1src~1app/mcpServers/db"],
    );
  });

  it("reads only files the walker listed: a directory in a config's place is not one", async () => {
    const root = await tempDir();
    await mkdir(join(root, ".mcp.json"));
    await put(join(root, ".cursor", "mcp.json"), '{"mcpServers":{"ok":{"command":"npx","args":["ok"]}}}');
    const result = await scanMcpConfigs({ projects: await listed(root), userConfigs: false, env: {} });
    assert.deepEqual(result.findings, []);
    assert.deepEqual(
      result.items.map((i) => i.name),
      ["ok"],
    );
  });

  it("with several roots, locators are relative to their common directory", async () => {
    const base = await tempDir();
    for (const name of ["svc-a", "svc-b"]) {
      await put(join(base, name, ".mcp.json"), '{"mcpServers":{"same":{"command":"npx","args":["same"]}}}');
    }
    const result = await scanMcpConfigs({
      projects: await listed(join(base, "svc-b"), join(base, "svc-a")),
      userConfigs: false,
      env: {},
    });
    assert.deepEqual(
      result.items.map((i) => i.locator),
      ["svc-a/.mcp.json#/mcpServers/same", "svc-b/.mcp.json#/mcpServers/same"],
    );
    assert.notEqual(result.items[0]!.id, result.items[1]!.id);
  });

  it("reads a file once when roots overlap", async () => {
    const base = await tempDir();
    await put(join(base, "sub", "mcp.json"), '{"mcpServers":{"one":{"command":"npx","args":["one"]}}}');
    const result = await scanMcpConfigs({ projects: await listed(base, base), userConfigs: false, env: {} });
    assert.equal(result.items.length, 1);
  });
});
