/**
 * Mastra: `createTool({ id, description, inputSchema, execute })` imported from `@mastra/core`
 * (or `@mastra/core/tools`). The name is the `id` option (Mastra's tool name), else the variable.
 */
import { objectProps, stringValue } from "../ts-source.ts";
import type { FoundTool, TsProvider } from "./provider.ts";
import { importedCalls, inputSchemaOf, textOf } from "./ts-common.ts";

const owns = (specifier: string) => specifier === "@mastra/core" || specifier.startsWith("@mastra/core/");

export const mastraProvider: TsProvider = {
  language: "ts",
  framework: "mastra",
  imports: owns,
  find(file) {
    const found: FoundTool[] = [];
    for (const call of importedCalls(file, owns, ["createTool"], false)) {
      const options = objectProps(call.args[0]);
      const name = stringValue(options.get("id")) ?? stringValue(options.get("name")) ?? call.variable;
      if (name === undefined) continue;
      found.push({
        name,
        line: call.line,
        description: textOf(file, options.get("description")),
        ...inputSchemaOf(file, options.get("inputSchema")),
      });
    }
    return found;
  },
};
