/** The skills module's public face: the shipped Agent Skills, their validation and installation. */
export type {
  CliArgument,
  CliCommand,
  CliGroup,
  CliNode,
  CliOption,
  CommandProblem,
} from "./command-check.ts";
export { checkInvocation } from "./command-check.ts";
export { SKILLS_ERROR_CODES, type SkillsErrorCode } from "./error-codes.ts";
export * from "./files.ts";
export * from "./install.ts";
export type { GaitInvocation, Word } from "./invocations.ts";
export { gaitInvocationsInScript, gaitInvocationsInShell } from "./invocations.ts";
export * from "./markdown.ts";
export * from "./validate.ts";
