import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { GaitError } from "../../src/contract/errors.ts";
import { upstreamHeaders } from "../../src/mcp/upstream-headers.ts";

function refusal(run: () => unknown): GaitError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof GaitError, String(error));
    return error;
  }
  assert.fail("expected an error");
}

describe("upstreamHeaders", () => {
  it("takes literal headers and headers from environment variables", () => {
    assert.deepEqual(
      upstreamHeaders(["X-Tenant: acme", "X-Trace:  a:b "], ["Authorization=UP_AUTH"], {
        UP_AUTH: "Bearer s3cret",
      }),
      { "X-Tenant": "acme", "X-Trace": "a:b", Authorization: "Bearer s3cret" },
    );
    assert.deepEqual(upstreamHeaders([], [], {}), {});
  });

  it("refuses bad shapes, unset variables, duplicates and the transport's own headers, with a coded error", () => {
    const cases: Array<[string[], string[], Record<string, string>]> = [
      [["no colon here"], [], {}],
      [[": value"], [], {}],
      [["Bad Name: v"], [], {}],
      [["X-A: one\ntwo"], [], {}],
      [["Content-Type: text/plain"], [], {}],
      [["mcp-session-id: 1"], [], {}],
      [["X-A: 1", "x-a: 2"], [], {}],
      [["Authorization: Bearer a"], ["authorization=T"], { T: "Bearer b" }],
      [[], ["Authorization"], {}],
      [[], ["=VAR"], { VAR: "x" }],
      [[], ["Authorization=UNSET"], {}],
      [[], ["Authorization=EMPTY"], { EMPTY: "  " }],
    ];
    for (const [literal, fromEnv, env] of cases) {
      const error = refusal(() => upstreamHeaders(literal, fromEnv, env));
      assert.equal(error.code, "mcp_upstream_header_invalid", `${literal} ${fromEnv}`);
      assert.ok(error.hint, "a hint");
    }
  });

  it("never puts a header's value (or a malformed flag's text) in an error", () => {
    const secret = fc.stringMatching(/^[A-Za-z0-9]{12,24}$/).map((s) => `sk-${s}`);
    fc.assert(
      fc.property(secret, fc.constantFrom(0, 1, 2, 3, 4, 5), (token, shape) => {
        const attempts: Array<() => unknown> = [
          () => upstreamHeaders([`Authorization Bearer ${token}`], [], {}),
          () => upstreamHeaders([`Bearer ${token}: x`], [], {}),
          () => upstreamHeaders([`Authorization: Bearer ${token}\r\nX: y`], [], {}),
          () => upstreamHeaders([`Authorization: Bearer ${token}`, `authorization: ${token}`], [], {}),
          () => upstreamHeaders([], ["Authorization=T"], { T: `Bearer ${token}\n` + "x" }),
          () => upstreamHeaders([`Host: ${token}`], [], {}),
        ];
        const error = refusal(attempts[shape]!);
        const said = `${error.message} ${error.hint ?? ""}`;
        assert.ok(!said.includes(token), said);
      }),
    );
  });
});
