/**
 * LangChain (Python): `@tool` / `@tool("name")` from `langchain_core.tools` (or `langchain.tools`,
 * `langchain.agents`, ...), `StructuredTool.from_function(func=..., name=...)`, `Tool(name=...,
 * func=...)` and `BaseTool` subclasses (their `name` field). The name is the decorator's or the
 * `name=` argument, else the function's (or the class's) name.
 */
import { pyString } from "../py-source.ts";
import type { FoundTool, PyProvider } from "./provider.ts";
import { classesExtending, classTool, decoratedTool, decoratorOf, positionalOrNamed } from "./py-common.ts";

const owns = (qualified: string) => /^langchain[a-z_]*(\.|$)/.test(qualified);
const member = (qualified: string, ...names: string[]) =>
  owns(qualified) && names.some((n) => qualified.endsWith(`.${n}`));

export const langChainPyProvider: PyProvider = {
  language: "py",
  framework: "langchain",
  imports: owns,
  find(file) {
    const found: FoundTool[] = [];
    for (const fn of file.functions) {
      const decorator = decoratorOf(fn, (q) => member(q, "tool"));
      if (decorator) found.push(decoratedTool(fn, decorator, positionalOrNamed));
    }
    for (const call of file.calls) {
      if (
        call.qualified === undefined ||
        !member(call.qualified, "StructuredTool.from_function", "Tool.from_function", "Tool")
      ) {
        continue;
      }
      const func =
        call.keywords.get("func") ?? (call.qualified.endsWith(".Tool") ? undefined : call.positional[0]);
      const name =
        pyString(call.keywords.get("name")) ?? (func?.type === "identifier" ? func.text : undefined);
      if (name === undefined) continue;
      found.push({
        name,
        line: call.line,
        description: pyString(call.keywords.get("description")) ?? "",
        inputSchema: call.keywords.get("args_schema")?.text ?? "",
        parameters: file.functions.find((fn) => fn.name === func?.text)?.parameterNames ?? [],
      });
    }
    for (const cls of classesExtending(file, (q) => member(q, "BaseTool"))) found.push(classTool(cls));
    return found;
  },
};
