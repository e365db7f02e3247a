/**
 * CrewAI: `@tool("Tool Name")` from `crewai.tools` (or `crewai_tools`) and `BaseTool` subclasses
 * (their `name` field). The name is the decorator's argument, else the function's (or the
 * class's) name.
 */
import type { FoundTool, PyProvider } from "./provider.ts";
import { classesExtending, classTool, decoratedTool, decoratorOf, positionalOrNamed } from "./py-common.ts";

const owns = (qualified: string) => /^crewai(_tools)?(\.|$)/.test(qualified);
const member = (qualified: string, name: string) => owns(qualified) && qualified.endsWith(`.${name}`);

export const crewAiProvider: PyProvider = {
  language: "py",
  framework: "crewai",
  imports: owns,
  find(file) {
    const found: FoundTool[] = [];
    for (const fn of file.functions) {
      const decorator = decoratorOf(fn, (q) => member(q, "tool"));
      if (decorator) found.push(decoratedTool(fn, decorator, positionalOrNamed));
    }
    for (const cls of classesExtending(file, (q) => member(q, "BaseTool"))) found.push(classTool(cls));
    return found;
  },
};
