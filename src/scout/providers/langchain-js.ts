/**
 * LangChain.js: `tool(fn, { name, description, schema })`, `new DynamicStructuredTool({...})`,
 * `new DynamicTool({...})` and classes extending `StructuredTool` / `Tool`, imported from
 * `@langchain/core/tools` (or any `@langchain/*` or `langchain/*` module re-exporting them). The
 * name is the `name` option, or a class's `name` property (else the class's own name).
 */
import { objectProps, stringValue } from "../ts-source.ts";
import type { FoundTool, TsProvider } from "./provider.ts";
import { importedCalls, inputSchemaOf, textOf } from "./ts-common.ts";

const owns = (specifier: string) =>
  specifier.startsWith("@langchain/") || specifier === "langchain" || specifier.startsWith("langchain/");

const TOOL_CLASSES = new Set(["StructuredTool", "Tool"]);

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
    for (const cls of file.classes) {
      if (!cls.superClass || !owns(cls.superClass.module) || !TOOL_CLASSES.has(cls.superClass.name)) continue;
      const name = stringValue(cls.properties.get("name")) ?? cls.name;
      if (name === undefined) continue;
      found.push({
        name,
        line: cls.line,
        description: textOf(file, cls.properties.get("description")),
        ...inputSchemaOf(file, cls.properties.get("schema")),
      });
    }
    return found;
  },
};
