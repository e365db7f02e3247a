/**
 * FastMCP: `@mcp.tool()` / `@mcp.tool` / `@mcp.tool(name=..., annotations=...)` where `mcp` is a
 * `FastMCP(...)` from `mcp.server.fastmcp` or the `fastmcp` package. The name is `name=` (or the
 * first positional string), else the function's; `annotations` hints feed the risk.
 */
import type { FoundTool, PyProvider } from "./provider.ts";
import { decoratedTool, decoratorOf, positionalOrNamed } from "./py-common.ts";

const owns = (qualified: string) => /^(mcp|fastmcp)(\.|$)/.test(qualified);
const isToolDecorator = (qualified: string) => owns(qualified) && qualified.endsWith(".FastMCP().tool");

export const fastMcpProvider: PyProvider = {
  language: "py",
  framework: "fastmcp",
  imports: owns,
  find(file) {
    const found: FoundTool[] = [];
    for (const fn of file.functions) {
      const decorator = decoratorOf(fn, isToolDecorator);
      if (decorator) found.push(decoratedTool(fn, decorator, positionalOrNamed));
    }
    return found;
  },
};
