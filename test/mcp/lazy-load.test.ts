/**
 * The MCP SDK is heavy: the `gait mcp` command file may reach src/mcp (and through it the SDK)
 * only by dynamic import(), so no other command pays for it when the command list loads.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { repoRoot } from "../helpers/cli.ts";

describe("gait mcp loads the MCP module on demand", () => {
  it("the command file has no static value import of src/mcp or the MCP SDK", () => {
    const source = readFileSync(join(repoRoot, "src/cli/commands/mcp.ts"), "utf8");
    const staticImports = [...source.matchAll(/^import\s+(?!type\s)[^;]*?from\s+"([^"]+)"/gms)].map(
      (m) => m[1]!,
    );
    assert.ok(staticImports.length > 0);
    const heavy = staticImports.filter(
      (path) => path.includes("/mcp/") || path.startsWith("@modelcontextprotocol"),
    );
    assert.deepEqual(heavy, []);
    assert.match(source, /import\("\.\.\/\.\.\/mcp\/index\.ts"\)/);
  });
});
