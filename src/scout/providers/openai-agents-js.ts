/**
 * OpenAI Agents JS: `tool({ name, description, parameters, execute })` imported from
 * `@openai/agents` (or its `-core`/`-openai` packages). The name is the `name` option, else the
 * variable the tool is assigned to.
 */
import { objectProps, stringValue } from "../ts-source.ts";
import type { FoundTool, TsProvider } from "./provider.ts";
import { hintsOf, importedCalls, inputSchemaOf, textOf } from "./ts-common.ts";

const owns = (specifier: string) =>
  specifier === "@openai/agents" ||
  specifier.startsWith("@openai/agents-") ||
  specifier.startsWith("@openai/agents/");

export const openAiAgentsJsProvider: TsProvider = {
  language: "ts",
  framework: "openai_agents",
  imports: owns,
  find(file) {
    const found: FoundTool[] = [];
    for (const call of importedCalls(file, owns, ["tool"], false)) {
      const options = objectProps(call.args[0]);
      const name = stringValue(options.get("name")) ?? call.key ?? call.variable;
      if (name === undefined) continue;
      const hints = hintsOf(options.get("annotations"));
      found.push({
        name,
        line: call.line,
        description: textOf(file, options.get("description")),
        ...inputSchemaOf(file, options.get("parameters")),
        ...(hints ? { hints } : {}),
      });
    }
    return found;
  },
};
