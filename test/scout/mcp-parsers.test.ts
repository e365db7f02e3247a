// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${NAME} is the config files' interpolation, not ours.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { stringify as tomlStringify } from "smol-toml";
import { parseClaudeCodeUserConfig, underHome } from "../../src/scout/mcp/claude-code.ts";
import { parseClaudeDesktopConfig } from "../../src/scout/mcp/claude-desktop.ts";
import { parseCodexConfig } from "../../src/scout/mcp/codex.ts";
import { parseCursorConfig } from "../../src/scout/mcp/cursor.ts";
import { parseGeminiConfig } from "../../src/scout/mcp/gemini.ts";
import { describeLaunch } from "../../src/scout/mcp/launch.ts";
import { parseProjectConfig } from "../../src/scout/mcp/project.ts";
import { referencedEnvNames } from "../../src/scout/mcp/server-entry.ts";
import { serverItem } from "../../src/scout/mcp/server-item.ts";
import type { ParsedConfig } from "../../src/scout/mcp/spec.ts";
import { parseVscodeConfig } from "../../src/scout/mcp/vscode.ts";
import { parseWindsurfConfig } from "../../src/scout/mcp/windsurf.ts";

const JSON_PARSERS: Array<[string, (text: string) => ParsedConfig]> = [
  ["claude-desktop", parseClaudeDesktopConfig],
  ["claude-code user", (t) => parseClaudeCodeUserConfig(t, "/home/u")],
  ["cursor", parseCursorConfig],
  ["vscode", parseVscodeConfig],
  ["windsurf", parseWindsurfConfig],
  ["gemini", parseGeminiConfig],
  ["project", parseProjectConfig],
];

describe("describeLaunch: the executable and the package it launches", () => {
  const cases: Array<[string, string[], string | undefined, string | undefined]> = [
    ["npx", ["-y", "@scope/pkg@1.2.3", "--flag"], "npx", "@scope/pkg"],
    ["npx", ["pkg@latest"], "npx", "pkg"],
    ["npx", ["--yes", "--package=@a/b@2", "b-bin"], "npx", "@a/b"],
    ["npx", ["-p", "tool", "tool-cli"], "npx", "tool"],
    ["npx", ["github:user/repo"], "npx", undefined],
    ["npx", ["https://example.com/x.tgz"], "npx", undefined],
    ["npx.cmd", ["-y", "pkg"], "npx", "pkg"],
    ["C:\\Program Files\\nodejs\\npx.cmd", ["-y", "pkg"], "npx", "pkg"],
    ["/usr/local/bin/npx", ["pkg"], "npx", "pkg"],
    ["npx -y @scope/pkg@1", [], "npx", "@scope/pkg"],
    ["pnpm", ["dlx", "@playwright/mcp@latest"], "pnpm", "@playwright/mcp"],
    ["pnpm", ["exec", "local-bin"], "pnpm", undefined],
    ["yarn", ["dlx", "pkg"], "yarn", "pkg"],
    ["npm", ["exec", "--", "pkg@1"], "npm", "pkg"],
    ["bunx", ["pkg"], "bunx", "pkg"],
    ["bun", ["x", "pkg"], "bun", "pkg"],
    ["uvx", ["mcp-server-time==0.6.2"], "uvx", "mcp-server-time"],
    ["uvx", ["--python", "3.12", "--from", "pkg[extra]>=1", "cmd"], "uvx", "pkg"],
    ["uvx", ["--from", "git+https://tok@github.com/o/r", "cmd"], "uvx", undefined],
    ["uv", ["tool", "run", "pkg@1.0"], "uv", "pkg"],
    ["pipx", ["run", "--spec", "pkg==1", "app"], "pipx", "pkg"],
    ["pipx", ["run", "app"], "pipx", "app"],
    [
      "docker",
      ["run", "-i", "--rm", "-e", "A=b", "--env=B", "-eC", "-v", "/x:/y", "ghcr.io/o/img:1.2"],
      "docker",
      "ghcr.io/o/img",
    ],
    ["docker", ["run", "localhost:5000/img@sha256:abc"], "docker", "localhost:5000/img"],
    ["podman", ["container", "run", "img"], "podman", "img"],
    ["docker", ["ps"], "docker", undefined],
    ["python", ["-m", "server"], "python", undefined],
    ["TOKEN=abc node", [], undefined, undefined],
  ];
  for (const [command, args, executable, pkg] of cases) {
    it(`${command} ${args.join(" ")}`, () => {
      const launch = describeLaunch(command, args);
      assert.equal(launch.executable, executable);
      assert.equal(launch.package, pkg);
    });
  }

  it("takes env NAMES from docker -e, never values", () => {
    const launch = describeLaunch("docker", [
      "run",
      "-e",
      "A=secret",
      "--env=B=secret",
      "-eC",
      "--env",
      "D",
      "img",
    ]);
    assert.deepEqual(launch.envNames, ["A", "B", "C", "D"]);
  });
});

describe("referencedEnvNames", () => {
  it("finds ${NAME}, ${env:name}, ${NAME:-default}; not editor variables or inputs", () => {
    assert.deepEqual(
      referencedEnvNames(
        "Bearer ${TOKEN} ${env:lower_ok} ${X:-d} ${workspaceFolder} ${input:key} ${1BAD} ${",
      ),
      ["TOKEN", "lower_ok", "X"],
    );
  });
});

describe("JSON readers", () => {
  it("accept comments and trailing commas (JSONC)", () => {
    const text = '// c\n{ /* c */ "servers": { "a": { "command": "npx", "args": ["p",], }, }, }';
    assert.deepEqual(
      parseVscodeConfig(text).servers.map((s) => [s.name, s.anchor, s.line, s.transport]),
      [["a", "/servers/a", 2, "stdio"]],
    );
  });

  it("report a syntax error with its line, without the text", () => {
    const parsed = parseCursorConfig('{\n  "mcpServers": {\n    "a": { "env": { "K": "SECRET" } \n  }\n');
    assert.equal(parsed.servers.length, 0);
    assert.equal(parsed.problems.length, 1);
    assert.equal(parsed.problems[0]!.code, "mcp_config_invalid");
    assert.ok(!JSON.stringify(parsed.problems).includes("SECRET"));
  });

  it("report a non-object top level and an empty file", () => {
    assert.equal(parseClaudeDesktopConfig("[]").problems[0]?.code, "mcp_config_invalid");
    assert.equal(parseClaudeDesktopConfig("").problems[0]?.code, "mcp_config_invalid");
    assert.deepEqual(parseClaudeDesktopConfig("{}"), { servers: [], problems: [] });
  });

  it("skip a leading byte order mark", () => {
    assert.equal(parseCursorConfig('\ufeff{"mcpServers":{"a":{"command":"x"}}}').servers.length, 1);
  });

  it("escape pointer segments (RFC 6901)", () => {
    assert.equal(
      parseCursorConfig('{"mcpServers":{"a/b~c":{"command":"x"}}}').servers[0]?.anchor,
      "/mcpServers/a~1b~0c",
    );
  });

  it("Gemini: httpUrl is http, url is sse; Windsurf: serverUrl", () => {
    const gemini = parseGeminiConfig(
      '{"mcpServers":{"h":{"httpUrl":"https://a/mcp"},"s":{"url":"https://a/x"}}}',
    );
    assert.deepEqual(
      gemini.servers.map((s) => s.transport),
      ["http", "sse"],
    );
    const windsurf = parseWindsurfConfig('{"mcpServers":{"w":{"serverUrl":"https://a/mcp"}}}');
    assert.equal(windsurf.servers[0]?.url, "https://a/mcp");
  });

  it("Claude Code user config: project keys under home shown as ~", () => {
    assert.equal(underHome("/home/u/src/x", "/home/u"), "~/src/x");
    assert.equal(underHome("C:\\Users\\u\\src\\x", "C:\\Users\\u"), "~/src/x");
    assert.equal(underHome("/home/uv/x", "/home/u"), "/home/uv/x");
    const parsed = parseClaudeCodeUserConfig(
      '{"projects":{"/home/u/p":{"mcpServers":{"a":{"command":"x"}}}}}',
      "/home/u",
    );
    assert.equal(parsed.servers[0]?.anchor, "/projects/~0~1p/mcpServers/a");
  });
});

describe("Codex TOML reader", () => {
  it("reads [mcp_servers.<name>] tables with env names only", () => {
    const parsed = parseCodexConfig(
      '[mcp_servers.a]\ncommand = "npx"\nargs = ["-y", "pkg"]\nenv = { K = "v" }\nenv_vars = ["F"]\n' +
        '[mcp_servers."b c"]\nurl = "https://h/mcp"\nbearer_token_env_var = "T"\n',
    );
    assert.deepEqual(
      parsed.servers.map((s) => [s.name, s.anchor, s.transport, s.envNames]),
      [
        ["a", "mcp_servers.a", "stdio", ["F", "K"]],
        ["b c", 'mcp_servers."b c"', "http", ["T"]],
      ],
    );
  });

  it("reports a syntax error with its line but never the quoted line (it may hold a secret)", () => {
    const parsed = parseCodexConfig('[mcp_servers.a]\ncommand = "npx"\nenv = { KEY = "SECRET-value }\n');
    assert.equal(parsed.servers.length, 0);
    assert.equal(parsed.problems[0]?.code, "mcp_config_invalid");
    assert.equal(parsed.problems[0]?.line, 3);
    assert.ok(!JSON.stringify(parsed).includes("SECRET"));
  });

  it("reports entries of the wrong shape one by one", () => {
    const parsed = parseCodexConfig('mcp_servers = { a = 1, b = { command = "x" } }\n');
    assert.deepEqual(
      parsed.servers.map((s) => s.name),
      ["b"],
    );
    assert.deepEqual(
      parsed.problems.map((p) => p.code),
      ["mcp_server_invalid"],
    );
    assert.equal(parseCodexConfig("mcp_servers = 3").problems[0]?.code, "mcp_servers_invalid");
  });
});

describe("properties", () => {
  const shapes = (value: unknown) =>
    JSON.stringify({ mcpServers: value, servers: value, projects: { "/p": { mcpServers: value } } });

  it("no JSON reader throws on arbitrary text or arbitrary JSON, and each server yields an item", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map(shapes),
          fc.dictionary(fc.string(), fc.jsonValue()).map(shapes),
        ),
        (text) => {
          for (const [, parse] of JSON_PARSERS) {
            const parsed = parse(text);
            assert.ok(Array.isArray(parsed.servers) && Array.isArray(parsed.problems));
            for (const spec of parsed.servers) serverItem(spec, "project", "f.json");
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("the Codex reader never throws on arbitrary text or TOML", () => {
    const table = fc.dictionary(
      fc.string(),
      fc.jsonValue().filter((v) => v !== null),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          table.map((t) => {
            try {
              return tomlStringify({ mcp_servers: t });
            } catch {
              return "";
            }
          }),
        ),
        (text) => {
          const parsed = parseCodexConfig(text);
          for (const spec of parsed.servers) serverItem(spec, "codex", "~/.codex/config.toml");
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a secret in env values, header values, args or the URL's user info and query never reaches an item", () => {
    const secret = fc.stringMatching(/^[A-Za-z0-9_-]{8,24}$/).map((s) => `ZQX${s}`);
    fc.assert(
      fc.property(secret, fc.constantFrom("npx", "uvx", "docker", "node", "bash"), (value, command) => {
        const entry = {
          command,
          args: [
            "run",
            "-y",
            "@scope/pkg",
            `--api-key=${value}`,
            `--token`,
            value,
            `Bearer ${value}`,
            "-e",
            `K=${value}`,
            "img",
          ],
          env: { API_KEY: value },
          url: `https://user:${value}@host.example/path/${value}?key=${value}`,
          headers: { Authorization: `Bearer ${value}`, "X-Key": value },
        };
        const text = JSON.stringify({ mcpServers: { s: entry } });
        for (const [, parse] of JSON_PARSERS) {
          for (const spec of parse(text).servers) {
            assert.ok(!JSON.stringify(serverItem(spec, "project", "f.json")).includes(value));
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
