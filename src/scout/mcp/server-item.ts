/**
 * One declared MCP server → one Scout item: id, locator, risk and the sorted `key:value` tags
 * (client, transport, command, package, url_host, env names, risk_reason, state). Only names and
 * hosts are emitted: never an arg, an env or header value, a URL path or query.
 */
import { sortedUnique } from "../../contract/bytes.ts";
import type { ScoutItem } from "../item.ts";
import { itemId } from "../item-id.ts";
import { assessServerRisk, riskReasonTags } from "../risk.ts";
import { describeLaunch } from "./launch.ts";
import type { McpClient, McpServerSpec } from "./spec.ts";

/** Stdio bridges to a remote server: their URL argument is the server's real location. */
const REMOTE_BRIDGES = new Set(["mcp-remote", "@modelcontextprotocol/inspector"]);

export function serverItem(spec: McpServerSpec, client: McpClient, fileLocator: string): ScoutItem {
  const locator = `${fileLocator}#${spec.anchor}`;
  const launch = describeLaunch(spec.command, spec.args);
  const url =
    spec.url ??
    (launch.package !== undefined && REMOTE_BRIDGES.has(launch.package)
      ? spec.args.find((a) => a.startsWith("https://") || a.startsWith("http://"))
      : undefined);
  const host = url === undefined ? undefined : urlHost(url);

  const words = [spec.name];
  if (launch.package !== undefined) words.push(launch.package);
  if (launch.executable !== undefined && !launch.isRunner) words.push(launch.executable);
  const risk = assessServerRisk(words, host !== undefined && !isLoopback(host));

  const tags = [`client:${client}`, ...riskReasonTags(risk)];
  if (spec.transport !== undefined) tags.push(`transport:${spec.transport}`);
  if (launch.executable !== undefined) tags.push(`command:${launch.executable}`);
  if (launch.package !== undefined) tags.push(`package:${launch.package}`);
  if (host !== undefined) tags.push(`url_host:${host}`);
  for (const name of [...spec.envNames, ...launch.envNames]) tags.push(`env:${name}`);
  if (spec.disabled) tags.push("state:disabled");

  return {
    id: itemId("mcp_server", spec.name, locator),
    kind: "mcp_server",
    name: spec.name,
    locator,
    risk_level: risk.level,
    tags: sortedUnique(tags),
  };
}

/** The host only (URL.hostname drops user info, port, path and query, which can hold tokens). */
function urlHost(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return undefined;
    return parsed.hostname === "" ? undefined : parsed.hostname;
  } catch {
    return undefined;
  }
}

function isLoopback(host: string): boolean {
  return (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    host === "[::1]" ||
    host === "0.0.0.0" ||
    host.startsWith("127.")
  );
}
