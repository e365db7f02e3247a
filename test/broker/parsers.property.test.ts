/**
 * Property tests for what a credential helper may print: random JSON, mutated sample receipts and
 * random JWT payloads. Every outcome is a broker issue the gate's check can judge, or a coded
 * GaitError of the broker's; never another exception.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parseHelperAnswer } from "../../src/broker/receipts.ts";
import { brokerRequestDigest } from "../../src/broker/request.ts";
import { parseBrokerIssue } from "../../src/broker/response.ts";
import type { BrokerIssue, BrokerRequest } from "../../src/broker/types.ts";
import { credentialMismatches } from "../../src/broker/validate.ts";
import { GaitError } from "../../src/contract/errors.ts";
import { Timestamp } from "../../src/contract/time.ts";
import { repoRoot } from "../helpers/cli.ts";

const NOW = Timestamp.parse("2026-03-01T12:00:00Z");
const REQUEST: BrokerRequest = { tool_name: "deploy.release", identity: "agent", scope: ["deploy:write"] };
const CONTEXT = { request: REQUEST, requestDigest: brokerRequestDigest(REQUEST), now: NOW };
const BROKER_CODES = new Set(["broker_response_invalid", "broker_receipt_invalid", "broker_receipt_unknown"]);

const RECEIPTS = join(repoRoot, "examples", "credential-brokers", "receipts");
const samples = readdirSync(RECEIPTS).map(
  (name) => JSON.parse(readFileSync(join(RECEIPTS, name), "utf8")) as Record<string, unknown>,
);

/** Parses, and when a credential comes out, runs the gate's check on it: nothing may throw uncoded. */
function judge(parse: () => BrokerIssue): void {
  let issue: BrokerIssue;
  try {
    issue = parse();
  } catch (error) {
    assert.ok(
      error instanceof GaitError && BROKER_CODES.has(error.code) && error.hint !== undefined,
      `uncoded failure: ${error instanceof Error ? error.stack : String(error)}`,
    );
    return;
  }
  const { response } = issue;
  assert.ok(response.credential_ref.length > 0);
  assert.ok(Number.isInteger(response.ttl_seconds));
  Timestamp.parse(response.expires_at);
  Timestamp.parse(response.issued_at);
  assert.ok(Array.isArray(credentialMismatches(issue, { ...CONTEXT, postures: [] })));
}

/** Every JSON path of an object (objects and arrays), for mutations. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== "object") return [];
  const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return keys.flatMap((key) => {
    const path = [...prefix, key];
    return [path, ...paths((value as Record<string | number, unknown>)[key], path)];
  });
}

function mutate(sample: unknown, path: (string | number)[], replacement: unknown): unknown {
  const copy = structuredClone(sample) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (replacement === undefined) delete node[last];
  else node[last] = replacement;
  return copy;
}

const jsonValue = fc.jsonValue({ maxDepth: 3 });
const oddValue = fc.oneof(
  jsonValue,
  fc.constant(undefined),
  fc.constantFrom(
    -1,
    0,
    1e300,
    -1e300,
    2 ** 53,
    1.5,
    "",
    " ",
    "2026-13-45T99:00:00Z",
    "9999-12-31T23:59:59Z",
  ),
);

describe("broker response and receipt parsers (property)", () => {
  it("random JSON: a credential or a coded broker error", () => {
    fc.assert(
      fc.property(jsonValue, (value) => {
        judge(() => parseBrokerIssue(value, "helper"));
        judge(() => parseHelperAnswer(value, CONTEXT, "helper"));
      }),
      { numRuns: 500 },
    );
  });

  it("mutated sample receipts, bare and wrapped: a credential or a coded broker error", () => {
    const mutation = fc
      .integer({ min: 0, max: samples.length - 1 })
      .chain((index) =>
        fc.tuple(
          fc.constant(samples[index]!),
          fc.constantFrom(...paths(samples[index])),
          oddValue,
          fc.boolean(),
        ),
      );
    fc.assert(
      fc.property(mutation, ([sample, path, replacement, wrap]) => {
        const mutated = mutate(sample, path, replacement);
        const type = String((sample as { receipt_type?: string }).receipt_type ?? "okta");
        judge(() =>
          parseHelperAnswer(wrap ? { receipt_type: type, receipt: mutated } : mutated, CONTEXT, "helper"),
        );
      }),
      { numRuns: 1000 },
    );
  });

  it("random JWT payloads in token receipts: a credential or a coded broker error", () => {
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value) ?? "null").toString("base64url");
    const claims = fc.record(
      {
        iss: fc.oneof(
          fc.constantFrom(
            "https://token.actions.githubusercontent.com",
            "https://acme.okta.com/oauth2/default",
            "https://t.id.cyberark.cloud/a/",
            "https://login.microsoftonline.com/t/v2.0",
          ),
          jsonValue,
        ),
        exp: oddValue,
        iat: oddValue,
        jti: oddValue,
        sub: oddValue,
        scp: oddValue,
        roles: oddValue,
      },
      { requiredKeys: [] },
    );
    const receipt = fc.tuple(claims, fc.constantFrom("value", "access_token"), fc.boolean(), oddValue);
    fc.assert(
      fc.property(receipt, ([payload, member, azure, expiresIn]) => {
        const token = `${b64({ alg: "RS256" })}.${b64(payload)}.c2ln`;
        const value: Record<string, unknown> = { [member]: token, token_type: "Bearer" };
        if (expiresIn !== undefined) value.expires_in = expiresIn;
        if (azure) value.ext_expires_in = 600;
        judge(() => parseHelperAnswer(value, CONTEXT, "helper"));
      }),
      { numRuns: 1000 },
    );
  });
});
