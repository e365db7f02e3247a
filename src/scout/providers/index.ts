/** Every code provider, one file each (provider.ts is the interface they share). */
import { aiSdkProvider } from "./ai-sdk.ts";
import { crewAiProvider } from "./crewai.ts";
import { fastMcpProvider } from "./fastmcp.ts";
import { langChainJsProvider } from "./langchain-js.ts";
import { langChainPyProvider } from "./langchain-py.ts";
import { mastraProvider } from "./mastra.ts";
import { mcpSdkProvider } from "./mcp-sdk.ts";
import { openAiAgentsJsProvider } from "./openai-agents-js.ts";
import { openAiAgentsPyProvider } from "./openai-agents-py.ts";
import type { PyProvider, TsProvider } from "./provider.ts";

export type { CodeProvider, FoundTool, PyProvider, TsProvider } from "./provider.ts";

export const tsProviders: readonly TsProvider[] = [
  aiSdkProvider,
  openAiAgentsJsProvider,
  langChainJsProvider,
  mastraProvider,
  mcpSdkProvider,
];

export const pyProviders: readonly PyProvider[] = [
  langChainPyProvider,
  openAiAgentsPyProvider,
  crewAiProvider,
  fastMcpProvider,
];
