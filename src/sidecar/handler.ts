/**
 * The sidecar's HTTP API as pure request handling. A request head is admitted or refused (token,
 * route, method, content type, declared size) before any body byte is read; an admitted body is
 * then answered. No sockets here: server.ts moves the bytes, this module decides what they say.
 *
 * Every decided verdict is HTTP 200 with the verdict in the body (block and require_approval are
 * answers, not failures); 4xx/5xx carry the CLI's coded error envelope and decide nothing.
 */
import { isJsonObject, type JsonValue, parseJsonStrict } from "../contract/canonical.ts";
import { asGaitError, envelopeFields, errorEnvelope, type GaitError } from "../contract/errors.ts";
import type { Clock } from "../contract/time.ts";
import { PRODUCER_VERSION } from "../contract/version.ts";
import {
  approvalExpectationFor,
  checkApprovalToken,
  type GateProfile,
  prepareIntent,
} from "../gate/index.ts";
import {
  decisionErrorToGaitError,
  decisionToJson,
  type EvaluateOptions,
  type Gate,
  type GateDecision,
  type IntentRequest,
  refusedDecision,
  type TraceWriterStats,
} from "../sdk/index.ts";
import { invalidInput, ioFailure } from "./error-codes.ts";
import type { PolicyState } from "./policy-source.ts";

const POLICY_UNAVAILABLE = "policy_unavailable";

export type RouteName = "health" | "policy" | "evaluate" | "approve_check";

interface Route {
  name: RouteName;
  method: "GET" | "POST";
}

const ROUTES: ReadonlyMap<string, Route> = new Map([
  ["/v1/health", { name: "health", method: "GET" }],
  ["/v1/policy", { name: "policy", method: "GET" }],
  ["/v1/evaluate", { name: "evaluate", method: "POST" }],
  ["/v1/approve-check", { name: "approve_check", method: "POST" }],
]);

export interface RequestHead {
  method: string;
  /** The request target, e.g. "/v1/evaluate" (a query string is ignored). */
  url: string;
  authorization?: string | undefined;
  contentType?: string | undefined;
  /** The declared Content-Length, when the client sent one. */
  contentLength?: number | undefined;
}

export interface SidecarResponse {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

export type Admission = { route: Route; readBody: boolean } | { response: SidecarResponse };

/** Trace counts summed over every Gate the sidecar has used. */
/** Traces written, failed and pending, summed over the sidecar's Gates. */
export type TraceCounts = TraceWriterStats;

export interface HandlerDeps {
  policy: { current(): PolicyState };
  /** The Gates' profile, for answers no Gate made (policy unavailable). */
  profile: GateProfile;
  /** Checks an `Authorization` header value. */
  authorize(authorization: string | undefined): boolean;
  clock: Clock;
  maxRequestBytes: number;
  policyPath: string;
  uptimeSeconds(): number;
  traceCounts(): TraceCounts;
  /** Resolves once the trace backlog is small enough to answer (see sdk/trace-backlog.ts). */
  traceBackpressure(gate: Gate): Promise<void> | undefined;
}

export class SidecarHandler {
  private readonly deps: HandlerDeps;
  private unavailableBlocks = 0;

  constructor(deps: HandlerDeps) {
    this.deps = deps;
  }

  /** Refuses what can be refused from the head alone, so a refused body is never buffered. */
  admit(head: RequestHead): Admission {
    if (!this.deps.authorize(head.authorization)) {
      return refuse(
        401,
        invalidInput("unauthorized", "missing or wrong bearer token", {
          hint: "send Authorization: Bearer <token> with the token printed when the sidecar started",
        }),
        { "www-authenticate": 'Bearer realm="gait"' },
      );
    }
    const path = head.url.split("?", 1)[0] ?? "";
    const route = ROUTES.get(path);
    if (!route) {
      return refuse(
        404,
        invalidInput("not_found", `no endpoint ${JSON.stringify(path)}`, {
          hint: `endpoints: ${[...ROUTES.keys()].join(", ")}`,
        }),
      );
    }
    if (head.method !== route.method) {
      return refuse(
        405,
        invalidInput("method_not_allowed", `${path} accepts ${route.method}, not ${head.method}`, {
          hint: `use ${route.method} ${path}`,
        }),
        { allow: route.method },
      );
    }
    if (route.method === "GET") return { route, readBody: false };
    if (!isJsonContentType(head.contentType)) {
      return refuse(
        415,
        invalidInput("unsupported_media_type", `${path} needs Content-Type: application/json`, {
          hint: "send the body as JSON with Content-Type: application/json",
        }),
      );
    }
    if (head.contentLength !== undefined && head.contentLength > this.deps.maxRequestBytes)
      return this.tooLarge();
    return { route, readBody: true };
  }

  /** The answer for a body that outgrew --max-request-bytes while it was read. */
  tooLarge(): { response: SidecarResponse } {
    const max = this.deps.maxRequestBytes;
    return refuse(
      413,
      invalidInput("request_too_large", `request body exceeds ${max} bytes`, {
        hint: "send a smaller intent, or start the sidecar with a larger --max-request-bytes",
        details: { max_request_bytes: max },
      }),
    );
  }

  /** Answers an admitted request; never throws. */
  async respond(route: Route, body: string): Promise<SidecarResponse> {
    try {
      switch (route.name) {
        case "health":
          return this.health();
        case "policy":
          return this.policyInfo();
        case "evaluate":
          return await this.evaluate(parseJsonStrict(body, "request body"));
        case "approve_check":
          return this.approveCheck(parseJsonStrict(body, "request body"));
      }
    } catch (error) {
      return errorResponse(error);
    }
  }

  private health(): SidecarResponse {
    const state = this.deps.policy.current();
    const traces = this.deps.traceCounts();
    const ready = state.status === "ready";
    const body: Record<string, unknown> = {
      ok: ready,
      status: ready ? "ok" : "degraded",
      version: PRODUCER_VERSION,
      uptime_s: Math.floor(this.deps.uptimeSeconds()),
      policy_path: this.deps.policyPath,
      policy_digest: ready ? state.gate.policyDigest : "",
      traces_written: traces.written,
      traces_pending: traces.pending,
      trace_write_failures: traces.failed,
      policy_unavailable_blocks: this.unavailableBlocks,
    };
    if (ready) body.policy_loaded_at = state.loadedAt.toString();
    else body.policy_error = describe(state.error);
    return { status: ready ? 200 : 503, body };
  }

  private policyInfo(): SidecarResponse {
    const state = this.requireReady();
    const { policy, policyDigest } = state.gate.policy;
    return {
      status: 200,
      body: {
        ok: true,
        policy_digest: policyDigest,
        default_verdict: policy.defaultVerdict,
        rule_count: policy.rules.length,
        path: this.deps.policyPath,
        loaded_at: state.loadedAt.toString(),
      },
    };
  }

  private async evaluate(value: JsonValue): Promise<SidecarResponse> {
    const request = readEvaluateBody(value);
    const state = this.deps.policy.current();
    if (state.status !== "ready") {
      this.unavailableBlocks++;
      return { status: 200, body: unavailableAnswer(state.error, this.deps.profile) };
    }
    const intent = request.intent as IntentRequest;
    const decision = await state.gate.evaluateAsync(intent, request.options);
    if (decision.error) return errorResponse(decisionErrorToGaitError(decision.error));
    await this.deps.traceBackpressure(state.gate);
    return { status: 200, body: decisionAnswer(decision) };
  }

  private approveCheck(value: JsonValue): SidecarResponse {
    if (!isJsonObject(value) || !isJsonObject(value.intent) || !isJsonObject(value.token)) {
      throw requestInvalid("approve-check needs a JSON object {intent, token}");
    }
    rejectUnknownFields(value, ["intent", "token"]);
    const gate = this.requireReady().gate;
    const prepared = prepareIntent(value.intent);
    const expectation = approvalExpectationFor(
      prepared,
      gate.policyDigest,
      { now: this.deps.clock() },
      gate.approvalVerifier,
    );
    const check = checkApprovalToken(value.token, expectation);
    const body: Record<string, unknown> = {
      ok: true,
      valid: check.valid,
      token_id: check.tokenId,
      approver: check.approver,
      reason_code: check.reasonCode,
      scope: check.scope,
      expires_at: check.expiresAt,
      intent_digest: prepared.intentDigest,
      policy_digest: gate.policyDigest,
    };
    if (check.errorCode) body.error_code = check.errorCode;
    return { status: 200, body };
  }

  private requireReady(): Extract<PolicyState, { status: "ready" }> {
    const state = this.deps.policy.current();
    if (state.status === "ready") return state;
    throw ioFailure(POLICY_UNAVAILABLE, `the policy is unavailable: ${state.error.message}`, {
      hint: "fix the policy file; the sidecar reloads it on change",
      details: { policy_error: describe(state.error) },
    });
  }
}

interface EvaluateRequest {
  intent: unknown;
  options: EvaluateOptions;
}

/** Either a bare intent request, or `{intent, approval_tokens?, delegation_tokens?, correlation_id?}`. */
function readEvaluateBody(value: JsonValue): EvaluateRequest {
  if (!isJsonObject(value)) {
    throw requestInvalid("the body must be a JSON object: an intent request, or {intent, approval_tokens}");
  }
  if (!("intent" in value)) return { intent: value, options: {} };
  rejectUnknownFields(value, ["intent", "approval_tokens", "delegation_tokens", "correlation_id"]);
  const options: EvaluateOptions = {};
  const delegationTokens = value.delegation_tokens;
  if (delegationTokens !== undefined && delegationTokens !== null) {
    if (!Array.isArray(delegationTokens) || !delegationTokens.every(isJsonObject)) {
      throw requestInvalid("delegation_tokens must be a list of delegation token objects");
    }
    options.delegationTokens = delegationTokens;
  }
  const tokens = value.approval_tokens;
  if (tokens !== undefined && tokens !== null) {
    if (!Array.isArray(tokens) || !tokens.every(isJsonObject)) {
      throw requestInvalid("approval_tokens must be a list of approval token objects");
    }
    options.approvalTokens = tokens;
  }
  const correlationId = value.correlation_id;
  if (correlationId !== undefined && correlationId !== null) {
    if (typeof correlationId !== "string") throw requestInvalid("correlation_id must be a string");
    options.correlationId = correlationId;
  }
  return { intent: value.intent, options };
}

function rejectUnknownFields(value: Record<string, unknown>, known: string[]): void {
  const unknown = Object.keys(value).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw requestInvalid(`unknown field(s) ${unknown.sort().join(", ")}; expected ${known.join(", ")}`);
  }
}

/**
 * The answer to `POST /v1/evaluate`: the decision exactly as `gait gate eval --json` gives it and,
 * on an allow that relied on a broker credential, that credential for the tool call in its own
 * `credential` member. The secret leaves the process only here, to the authenticated client (the
 * decision JSON, the trace, the evidence record and the exporters name the credential by ref).
 */
function decisionAnswer(decision: GateDecision): Record<string, unknown> {
  const answer: Record<string, unknown> = { ok: true, ...decisionToJson(decision) };
  const credential = decision.verdict === "allow" ? decision.credential : undefined;
  if (credential) {
    answer.credential = {
      ...(credential.secret === undefined ? {} : { secret: credential.secret }),
      ref: credential.ref,
      scope: credential.scope,
      issuer: credential.issuer,
      expires_at: credential.expiresAt,
    };
  }
  return answer;
}

/** Fail closed: without a policy every evaluation is a block (and no trace: nothing decided it). */
function unavailableAnswer(error: GaitError, profile: GateProfile): Record<string, unknown> {
  const decision = refusedDecision(POLICY_UNAVAILABLE, "", profile);
  return { ...decisionAnswer(decision), policy_error: describe(error) };
}

/** A policy error as the envelope names it: its message, codes (envelopeFields) and hint. */
function describe(error: GaitError): Record<string, string> {
  const { error_code, detail_code, hint } = envelopeFields(error.exitCode, {
    code: error.code,
    category: error.category,
    hint: error.hint,
  });
  return { error: error.message, error_code, ...(detail_code === undefined ? {} : { detail_code }), hint };
}

function requestInvalid(message: string): GaitError {
  return invalidInput("sidecar_request_invalid", message, {
    hint: "see docs/sidecar.md for the request shapes",
  });
}

function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const type = value.split(";", 1)[0]!.trim().toLowerCase();
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

const STATUS_BY_CATEGORY: Partial<Record<GaitError["category"], number>> = {
  invalid_input: 400,
  io_failure: 503,
  state_contention: 503,
};

/** The CLI's JSON error envelope (CONTRACTS.md §9) with a matching HTTP status. */
function errorResponse(error: unknown): SidecarResponse {
  const gaitError = asGaitError(error);
  return refuse(STATUS_BY_CATEGORY[gaitError.category] ?? 500, gaitError).response;
}

function refuse(
  status: number,
  error: GaitError,
  headers?: Record<string, string>,
): { response: SidecarResponse } {
  return { response: { status, body: errorEnvelope(error), ...(headers ? { headers } : {}) } };
}
