/**
 * The MCP tool result of a refused call, in a file of its own (pure, no imports at run time) so
 * that the SDK's in-process MCP adapter (src/sdk/adapters/mcp.ts) answers exactly as the proxy does
 * without loading the proxy's enforcer.
 */
import type { GateDecisionJson } from "../sdk/index.ts";

/** A tool result as MCP carries it (content items, isError, structuredContent...). */
export type ToolResult = { isError?: boolean } & Record<string, unknown>;

/**
 * The MCP tool error result for a refused call: the agent reads why (a sentence, then the
 * decision JSON), and the proxy never turns a verdict into a transport failure.
 */
export function refusalResult(tool: string, decision: GateDecisionJson): ToolResult {
  const reasons = decision.reason_codes.join(", ") || "no reason codes";
  return {
    content: [
      { type: "text", text: `gait ${decision.verdict}: the tool call ${tool} was not run (${reasons})` },
      { type: "text", text: JSON.stringify(decision) },
    ],
    isError: true,
  };
}
