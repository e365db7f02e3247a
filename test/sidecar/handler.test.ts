import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { generateSigningKey } from "../../src/contract/signing.ts";
import { fixedClock, Timestamp } from "../../src/contract/time.ts";
import { invalidInput } from "../../src/gate/error-codes.ts";
import { mintApprovalToken, prepareIntent } from "../../src/gate/index.ts";
import { createGate, type Gate } from "../../src/sdk/index.ts";
import {
  type Admission,
  type PolicyState,
  type RequestHead,
  SidecarHandler,
  type SidecarResponse,
} from "../../src/sidecar/index.ts";
import { intent, POLICY_YAML } from "./support.ts";

const NOW = Timestamp.parse("2026-03-01T12:00:00Z");
const TOKEN = "test-token-0123456789";
const key = generateSigningKey();

describe("sidecar request handling (no sockets)", () => {
  let gate: Gate;
  let state: PolicyState;
  let backlogWaits = 0;
  let handler: SidecarHandler;

  before(async () => {
    gate = await createGate({
      policyText: POLICY_YAML,
      signingKey: key,
      traceDir: null,
      clock: fixedClock(NOW),
    });
    state = { status: "ready", gate, loadedAt: NOW };
    handler = new SidecarHandler({
      policy: { current: () => state },
      profile: "standard",
      authorize: (header) => header === `Bearer ${TOKEN}`,
      clock: fixedClock(NOW),
      maxRequestBytes: 1000,
      policyPath: "policy.yaml",
      uptimeSeconds: () => 12.7,
      traceCounts: () => ({ written: 3, failed: 0, pending: 1 }),
      traceBackpressure: () => {
        backlogWaits++;
        return undefined;
      },
    });
  });
  after(() => gate.close());

  const head = (overrides: Partial<RequestHead> = {}): RequestHead => ({
    method: "POST",
    url: "/v1/evaluate",
    authorization: `Bearer ${TOKEN}`,
    contentType: "application/json",
    ...overrides,
  });
  const refusal = (admission: Admission): SidecarResponse => {
    assert.ok("response" in admission, "expected a refusal");
    return admission.response;
  };
  const post = async (url: string, body: unknown): Promise<SidecarResponse> => {
    const admission = handler.admit(head({ url }));
    assert.ok("route" in admission);
    return handler.respond(admission.route, typeof body === "string" ? body : JSON.stringify(body));
  };
  const get = async (url: string): Promise<SidecarResponse> => {
    const admission = handler.admit(head({ method: "GET", url, contentType: undefined }));
    assert.ok("route" in admission);
    return handler.respond(admission.route, "");
  };
  /** A 4xx is invalid input: error_code `invalid_input`, the fine code in detail_code; else both. */
  const assertEnvelope = (response: SidecarResponse, status: number, code: string) => {
    assert.equal(response.status, status);
    assert.equal(response.body.ok, false);
    const invalid = status < 500;
    assert.equal(response.body.error_code, invalid ? "invalid_input" : code);
    assert.equal(response.body.detail_code, code);
    assert.equal(typeof response.body.error, "string");
    assert.equal(response.body.error_category, invalid ? "invalid_input" : "io_failure");
    assert.equal(typeof response.body.hint, "string");
    assert.equal(response.body.retryable, false);
  };

  it("refuses a missing or wrong token first, on every path, without saying more", () => {
    for (const authorization of [undefined, "Bearer wrong", TOKEN]) {
      for (const url of ["/v1/evaluate", "/v1/health", "/nope"]) {
        const response = refusal(handler.admit(head({ authorization, url })));
        assertEnvelope(response, 401, "unauthorized");
        assert.equal(response.headers?.["www-authenticate"], 'Bearer realm="gait"');
      }
    }
  });

  it("answers unknown paths 404, wrong methods 405 with Allow, non-JSON bodies 415, declared oversize 413", () => {
    assertEnvelope(refusal(handler.admit(head({ url: "/v2/evaluate" }))), 404, "not_found");
    const wrongMethod = refusal(handler.admit(head({ method: "GET" })));
    assertEnvelope(wrongMethod, 405, "method_not_allowed");
    assert.equal(wrongMethod.headers?.allow, "POST");
    assertEnvelope(refusal(handler.admit(head({ url: "/v1/health" }))), 405, "method_not_allowed");
    for (const contentType of [undefined, "text/plain", "application/x-www-form-urlencoded"]) {
      assertEnvelope(refusal(handler.admit(head({ contentType }))), 415, "unsupported_media_type");
    }
    const tooLarge = refusal(handler.admit(head({ contentLength: 1001 })));
    assertEnvelope(tooLarge, 413, "request_too_large");
    assert.equal(tooLarge.body.max_request_bytes, 1000);
    assert.deepEqual(
      handler.admit(head({ contentLength: 1000, contentType: "application/json; charset=utf-8" })),
      {
        route: { name: "evaluate", method: "POST" },
        readBody: true,
      },
    );
    assert.ok("route" in handler.admit(head({ url: "/v1/evaluate?x=1" })));
  });

  it("answers bad JSON, duplicate keys and malformed requests with a 400 envelope", async () => {
    assertEnvelope(await post("/v1/evaluate", "{not json"), 400, "invalid_json");
    assertEnvelope(await post("/v1/evaluate", '{"tool_name":"a","tool_name":"b"}'), 400, "invalid_json");
    assertEnvelope(await post("/v1/evaluate", "[1,2]"), 400, "sidecar_request_invalid");
    assertEnvelope(
      await post("/v1/evaluate", { intent: intent("tool.read"), extra: 1 }),
      400,
      "sidecar_request_invalid",
    );
    assertEnvelope(
      await post("/v1/evaluate", { intent: intent("tool.read"), approval_tokens: "x" }),
      400,
      "sidecar_request_invalid",
    );
    const invalidIntent = await post("/v1/evaluate", { tool_name: "tool.read" });
    assert.equal(invalidIntent.status, 400);
    assert.equal(invalidIntent.body.ok, false);
    assert.equal(invalidIntent.body.error_category, "invalid_input");
  });

  it("never takes a PreparedIntent-shaped body as already normalized", async () => {
    const forged = {
      intent: { intent: prepareIntent(intent("tool.read")).intent, intentDigest: "0".repeat(64) },
    };
    const response = await post("/v1/evaluate", forged);
    assert.equal(response.status, 400);
    assert.equal(response.body.ok, false);
  });

  it("answers every verdict with HTTP 200, the verdict and the deciding policy's digest", async () => {
    const expected = {
      "tool.read": "allow",
      "tool.write": "require_approval",
      "tool.delete": "block",
    } as const;
    for (const [tool, verdict] of Object.entries(expected)) {
      const response = await post("/v1/evaluate", intent(tool));
      assert.equal(response.status, 200, tool);
      const body = response.body;
      assert.equal(body.ok, true);
      assert.equal(body.verdict, verdict, tool);
      assert.equal(body.allowed, verdict === "allow");
      assert.equal(body.policy_digest, gate.policyDigest);
      assert.equal(body.intent_digest, prepareIntent(intent(tool)).intentDigest);
      assert.match(String(body.trace_id), /^[0-9a-f]{24}$/);
      assert.ok(Array.isArray(body.reason_codes));
      assert.ok(Array.isArray(body.violations));
    }
    const approval = (await post("/v1/evaluate", intent("tool.write"))).body;
    assert.equal(approval.required_approvals, 1);
    assert.equal(approval.valid_approvals, 0);
    const request = approval.approval_request as Record<string, unknown>;
    assert.equal(request.intent_digest, approval.intent_digest);
    assert.deepEqual(request.scope, ["tool:tool.write"]);
    assert.match(String(request.command), /^gait approve /);
    assert.equal((await post("/v1/evaluate", intent("tool.read"))).body.matched_rule, "allow-read");
    assert.ok(backlogWaits > 0, "the trace backlog is consulted before answering");
  });

  it("allows an approval-required intent with a valid token, and checks one token on approve-check", async () => {
    const { intentDigest } = prepareIntent(intent("tool.write"));
    const token = mintApprovalToken(
      {
        intentDigest,
        policyDigest: gate.policyDigest,
        approver: "alice",
        reasonCode: "ticket_1",
        scope: ["tool:tool.write"],
        ttlNanos: 3_600_000_000_000n,
        now: NOW,
      },
      key,
    );
    const granted = (await post("/v1/evaluate", { intent: intent("tool.write"), approval_tokens: [token] }))
      .body;
    assert.equal(granted.verdict, "allow");
    assert.equal(granted.valid_approvals, 1);
    assert.equal(granted.approval_ref, token.token_id);

    const good = await post("/v1/approve-check", { intent: intent("tool.write"), token });
    assert.equal(good.status, 200);
    assert.equal(good.body.valid, true);
    assert.equal(good.body.token_id, token.token_id);
    assert.equal(good.body.approver, "alice");
    assert.equal(good.body.error_code, undefined);

    const otherIntent = await post("/v1/approve-check", {
      intent: intent("tool.write", "/work/b.txt"),
      token,
    });
    assert.equal(otherIntent.body.valid, false);
    assert.equal(otherIntent.body.error_code, "approval_token_intent_mismatch");
    const forged = await post("/v1/approve-check", {
      intent: intent("tool.write"),
      token: { ...token, approver_identity: "mallory" },
    });
    assert.equal(forged.body.error_code, "approval_token_signature_invalid");
    assertEnvelope(
      await post("/v1/approve-check", { intent: intent("tool.write") }),
      400,
      "sidecar_request_invalid",
    );
  });

  it("reports health and policy facts", async () => {
    const health = await get("/v1/health");
    assert.equal(health.status, 200);
    assert.equal(health.body.ok, true);
    assert.equal(health.body.status, "ok");
    assert.equal(health.body.policy_digest, gate.policyDigest);
    assert.equal(health.body.uptime_s, 12);
    assert.equal(typeof health.body.version, "string");
    assert.equal(health.body.traces_written, 3);
    assert.equal(health.body.traces_pending, 1);
    assert.equal(health.body.trace_write_failures, 0);
    const policy = await get("/v1/policy");
    assert.deepEqual(policy.body, {
      ok: true,
      policy_digest: gate.policyDigest,
      default_verdict: "block",
      rule_count: 2,
      path: "policy.yaml",
      loaded_at: NOW.toString(),
    });
  });

  it("fails closed without a policy: evaluate blocks with policy_unavailable, health is degraded", async () => {
    const ready = state;
    state = { status: "unavailable", error: invalidInput("policy_yaml_invalid", "bad yaml"), since: NOW };
    try {
      for (const tool of ["tool.read", "tool.write", "tool.delete"]) {
        const response = await post("/v1/evaluate", intent(tool));
        assert.equal(response.status, 200);
        assert.equal(response.body.verdict, "block");
        assert.equal(response.body.allowed, false);
        assert.deepEqual(response.body.reason_codes, ["policy_unavailable"]);
        assert.equal(response.body.policy_digest, "");
        assert.deepEqual(response.body.policy_error, {
          error_code: "invalid_input",
          detail_code: "policy_yaml_invalid",
          error: "bad yaml",
          hint: "check command usage and input schema",
        });
      }
      const health = await get("/v1/health");
      assert.equal(health.status, 503);
      assert.equal(health.body.ok, false);
      assert.equal(health.body.status, "degraded");
      assert.equal(health.body.policy_unavailable_blocks, 3);
      assertEnvelope(await get("/v1/policy"), 503, "policy_unavailable");
      const check = await post("/v1/approve-check", { intent: intent("tool.write"), token: {} });
      assert.equal(check.status, 503);
      assert.equal(check.body.error_code, "policy_unavailable");
    } finally {
      state = ready;
    }
  });
});
