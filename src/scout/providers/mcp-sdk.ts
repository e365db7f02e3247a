/**
 * MCP servers written with the official TypeScript SDK: `server.tool(name, description?,
 * paramsSchema?, annotations?, callback)` and `server.registerTool(name, { description,
 * inputSchema, annotations }, callback)` in a file that imports `@modelcontextprotocol/sdk`. The
 * name is the first argument; `destructiveHint`/`readOnlyHint` annotations feed the risk.
 */
import { type Node, objectProps, stringValue } from "../ts-source.ts";
import type { FoundTool, TsProvider } from "./provider.ts";
import { hintsOf, inputSchemaOf, isObject, textOf } from "./ts-common.ts";

const owns = (specifier: string) => specifier.startsWith("@modelcontextprotocol/sdk");
const HINT_KEYS = ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint", "title"];

export const mcpSdkProvider: TsProvider = {
  language: "ts",
  framework: "mcp_sdk",
  imports: owns,
  find(file) {
    if (![...file.modules].some(owns)) return [];
    const found: FoundTool[] = [];
    for (const call of file.calls) {
      if (call.isNew || (call.method !== "tool" && call.method !== "registerTool")) continue;
      const name = stringValue(call.args[0]);
      if (name === undefined) continue;
      if (call.method === "registerTool") {
        const config = objectProps(call.args[1]);
        const hints = hintsOf(config.get("annotations"));
        found.push({
          name,
          line: call.line,
          description: textOf(file, config.get("description")),
          ...inputSchemaOf(file, config.get("inputSchema")),
          ...(hints ? { hints } : {}),
        });
        continue;
      }
      const rest: Node[] = call.args.slice(1);
      const description = stringValue(rest[0]);
      const objects = rest.filter(isObject);
      const annotations = objects.find((o) => [...objectProps(o).keys()].some((k) => HINT_KEYS.includes(k)));
      const schema = objects.find((o) => o !== annotations);
      const hints = hintsOf(annotations);
      found.push({
        name,
        line: call.line,
        description: description ?? "",
        ...inputSchemaOf(file, schema),
        ...(hints ? { hints } : {}),
      });
    }
    return found;
  },
};
