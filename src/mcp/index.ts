/**
 * The MCP module's public face: the proxy that puts the gate between an MCP client and its
 * servers (session.ts over proxy.ts, http.ts and the transport-free enforcer.ts), tool
 * definition pins, MCP server trust, the adapter decoders for one-shot evaluation, and
 * client-config wrapping. Loaded only by `gait mcp` (the SDK is heavy).
 */
export { ADAPTERS, type Adapter, decodeToolCall } from "./adapters.ts";
export { type CallDecision, CallEnforcer, refusalResult } from "./enforcer.ts";
export { MCP_ERROR_CODES, type McpErrorCode } from "./error-codes.ts";
export { alwaysBlockedTools } from "./filter.ts";
export { MCP_HTTP_PATH } from "./http.ts";
export { evaluateOneShot, type OneShotResult } from "./oneshot.ts";
export {
  approveChanges,
  DEFAULT_PINS_PATH,
  PIN_CHANGED_REASON,
  type PinFile,
  PinStore,
  toolDefinitionDigest,
} from "./pins.ts";
export {
  checkUpstreamUrl,
  createProxyServer,
  type Upstream,
  type UpstreamTarget,
  upstreamOf,
} from "./proxy.ts";
export {
  type ProxyOptions,
  type ProxySummary,
  type RunningProxy,
  sanitizeRunId,
  startProxy,
} from "./session.ts";
export { type CallDefaults, intentForCall, type ServerIdentity, type ToolCall } from "./tool-call.ts";
export {
  evaluateTrust,
  loadTrustSnapshot,
  parseTrustSnapshot,
  TRUST_SNAPSHOT_SCHEMA_ID,
  type TrustOutcome,
} from "./trust.ts";
export { upstreamHeaders } from "./upstream-headers.ts";
export { type WrapConfigResult, wrapClientConfig } from "./wrap-config.ts";
