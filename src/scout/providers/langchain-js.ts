/**
 * LangChain.js: `tool(fn, { name, description, schema })`, `new DynamicStructuredTool({...})` and
 * `new DynamicTool({...})`, imported from `@langchain/core/tools` (or any `@langchain/*` or
 * `langchain/*` module re-exporting them). The name is the `name` option.
 */
import { objectProps, stringValue } from "../ts-source.ts";
import type { FoundTool, TsProvider } from "./provider.ts";
import { importedCalls, inputSchemaOf, textOf } from "./ts-common.ts";

const owns = (specifier: string) =>
  specifier.startsWith("@langchain/") || specifier === "langchain" || specifier.startsWith("langchain/");

export const langChainJsProvider: TsProvider = {
  language: "ts",
  framework: "langchain",
  imports: owns,
  find(file) {
    const found: FoundTool[] = [];
    const calls = [
      ...importedCalls(file, owns, ["tool"], false).map((call) => ({ call, options: call.args[1] })),
      ...importedCalls(file, owns, ["DynamicStructuredTool", "DynamicTool"], true).map((call) => ({
        call,
        options: call.args[0],
      })),
    ];
    for (const { call, options } of calls) {
      const props = objectProps(options);
      const name = stringValue(props.get("name")) ?? call.variable;
      if (name === undefined) continue;
      found.push({
        name,
        line: call.line,
        description: textOf(file, props.get("description")),
        ...inputSchemaOf(file, props.get("schema")),
      });
    }
    return found;
  },
};
