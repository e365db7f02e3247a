/**
 * OpenAI Agents SDK (Python): `@function_tool` / `@function_tool(name_override=...)` from
 * `agents`. The name is `name_override`, else the function's name; the description is
 * `description_override`, else the docstring.
 */
import { pyString } from "../py-source.ts";
import type { FoundTool, PyProvider } from "./provider.ts";
import { decoratedTool, decoratorOf } from "./py-common.ts";

const owns = (qualified: string) => /^agents(\.|$)/.test(qualified);

export const openAiAgentsPyProvider: PyProvider = {
  language: "py",
  framework: "openai_agents",
  imports: owns,
  find(file) {
    const found: FoundTool[] = [];
    for (const fn of file.functions) {
      const decorator = decoratorOf(fn, (q) => owns(q) && q.endsWith(".function_tool"));
      if (decorator)
        found.push(decoratedTool(fn, decorator, (d) => pyString(d.keywords.get("name_override"))));
    }
    return found;
  },
};
