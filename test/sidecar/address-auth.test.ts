import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { GaitError } from "../../src/contract/errors.ts";
import { bearerChecker, generateToken, tokenFromEnv } from "../../src/sidecar/auth.ts";
import { checkBindAllowed, isLoopbackHost, parseListenTarget } from "../../src/sidecar/index.ts";

const refusedWith = (code: string) => (error: unknown) =>
  error instanceof GaitError && error.code === code && error.exitCode === 6;

describe("sidecar listen address", () => {
  it("parses host:port, IPv6 in brackets, and port 0", () => {
    assert.deepEqual(parseListenTarget("127.0.0.1:8787"), { kind: "tcp", host: "127.0.0.1", port: 8787 });
    assert.deepEqual(parseListenTarget("[::1]:0"), { kind: "tcp", host: "::1", port: 0 });
    assert.throws(() => parseListenTarget("8787"), refusedWith("sidecar_listen_invalid"));
    assert.throws(() => parseListenTarget("127.0.0.1:99999"), refusedWith("sidecar_listen_invalid"));
  });

  it("knows loopback from everything else", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "localhost", "LOCALHOST", "::ffff:127.0.0.1"]) {
      assert.equal(isLoopbackHost(host), true, host);
    }
    for (const host of ["0.0.0.0", "::", "10.0.0.1", "192.168.1.1", "example.com", "128.0.0.1"]) {
      assert.equal(isLoopbackHost(host), false, host);
    }
  });

  it("refuses a non-loopback bind unless --allow-remote and an explicit token are both given", () => {
    const remote = parseListenTarget("0.0.0.0:8787");
    assert.throws(() => checkBindAllowed(remote, false, false), refusedWith("sidecar_remote_bind_refused"));
    assert.throws(() => checkBindAllowed(remote, false, true), refusedWith("sidecar_remote_bind_refused"));
    assert.throws(() => checkBindAllowed(remote, true, false), refusedWith("sidecar_remote_bind_refused"));
    checkBindAllowed(remote, true, true);
    checkBindAllowed(parseListenTarget("127.0.0.1:0"), false, false);
    checkBindAllowed({ kind: "socket", path: "/tmp/x.sock" }, false, false);
  });
});

describe("sidecar bearer token", () => {
  it("generates 32 random bytes as base64url", () => {
    const token = generateToken();
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(token, generateToken());
  });

  it("accepts exactly the token, and nothing else", () => {
    const token = generateToken();
    const check = bearerChecker(token);
    assert.equal(check(`Bearer ${token}`), true);
    assert.equal(check(`bearer ${token}`), true);
    assert.equal(check(undefined), false);
    assert.equal(check(""), false);
    assert.equal(check(token), false);
    assert.equal(check(`Basic ${token}`), false);
    assert.equal(check(`Bearer ${token}x`), false);
    assert.equal(check(`Bearer ${token.slice(0, -1)}`), false);
    fc.assert(
      fc.property(fc.string(), (guess) => {
        fc.pre(guess !== token);
        return check(`Bearer ${guess}`) === false;
      }),
    );
  });

  it("reads a supplied token from the named variable and refuses a missing or weak one", () => {
    assert.equal(tokenFromEnv("T", { T: "  0123456789abcdef  " }), "0123456789abcdef");
    assert.throws(() => tokenFromEnv("T", {}), refusedWith("sidecar_token_missing"));
    assert.throws(() => tokenFromEnv("T", { T: " " }), refusedWith("sidecar_token_missing"));
    assert.throws(() => tokenFromEnv("T", { T: "short" }), refusedWith("sidecar_token_weak"));
    assert.throws(() => tokenFromEnv("T", { T: "0123456789 abcdef" }), refusedWith("sidecar_token_weak"));
  });
});
