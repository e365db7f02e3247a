/**
 * Vercel AI SDK: `tool({ description, inputSchema | parameters, execute })` imported from `ai`.
 * The tool's name is the key it sits under in a tools object (`tools: { weather: tool({...}) }`,
 * or `{ weather: weatherTool }` with `const weatherTool = tool({...})` in the same file), else
 * the variable it is assigned to.
 */
import { objectProps } from "../ts-source.ts";
import type { FoundTool, TsProvider } from "./provider.ts";
import { importedCalls, inputSchemaOf, textOf } from "./ts-common.ts";

const owns = (specifier: string) => specifier === "ai" || specifier.startsWith("ai/");

export const aiSdkProvider: TsProvider = {
  language: "ts",
  framework: "ai_sdk",
  imports: owns,
  find(file) {
    const found: FoundTool[] = [];
    for (const call of importedCalls(file, owns, ["tool", "dynamicTool"], false)) {
      const name =
        call.key ??
        (call.variable !== undefined ? (file.keyOfVariable.get(call.variable) ?? call.variable) : undefined);
      if (name === undefined) continue;
      const options = objectProps(call.args[0]);
      found.push({
        name,
        line: call.line,
        description: textOf(file, options.get("description")),
        ...inputSchemaOf(file, options.get("inputSchema") ?? options.get("parameters")),
      });
    }
    return found;
  },
};
