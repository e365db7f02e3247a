import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  DEFAULT_CONFIG_PATH,
  loadProjectConfig,
  parseListenAddress,
  parseProjectConfig,
} from "../../src/config/index.ts";
import { renderProjectConfig } from "../../src/config/template.ts";
import { GaitError } from "../../src/contract/errors.ts";
import { tempDir } from "../helpers/cli.ts";

const parse = (text: string) => parseProjectConfig(text, "config.yaml");

function rejects(text: string, code: string, message: RegExp): GaitError {
  try {
    parse(text);
  } catch (error) {
    assert.ok(error instanceof GaitError, String(error));
    assert.equal(error.code, code);
    assert.equal(error.exitCode, 6);
    assert.match(error.message, message);
    return error;
  }
  assert.fail("expected the config to be rejected");
}

describe("project config (.gait/config.yaml)", () => {
  it("reads every section into typed defaults", () => {
    const config = parse(`gate:
  policy: policies/gait.yaml
  profile: OSS-PROD
  key_mode: prod
  private_key: keys/gait_private.key
  approval_public_key_env: APPROVER_PUB
  rate_limit_state: state/limits.json
  trace_dir: traces
run:
  out_dir: out
  capture_mode: raw
sidecar:
  listen: 127.0.0.1:8787
  token_env: SIDECAR_TOKEN
  max_request_bytes: 65536
export:
  otlp_endpoint: http://127.0.0.1:4318
  log_out: gait-out/decisions.jsonl
store:
  encrypt:
    recipients: [age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p]
  identity_command: pass show gait/age
retention:
  profile: Short
  trace_ttl: 12h
`);
    assert.deepEqual(config, {
      gate: {
        policy: "policies/gait.yaml",
        profile: "oss-prod",
        keyMode: "prod",
        privateKey: { path: "keys/gait_private.key" },
        approvalPublicKey: { env: "APPROVER_PUB" },
        rateLimitState: "state/limits.json",
        traceDir: "traces",
      },
      run: { outDir: "out", captureMode: "raw" },
      sidecar: { listen: "127.0.0.1:8787", tokenEnv: "SIDECAR_TOKEN", maxRequestBytes: 65536 },
      export: { otlpEndpoint: "http://127.0.0.1:4318", logOut: "gait-out/decisions.jsonl" },
      store: {
        recipients: ["age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"],
        identity: { command: "pass show gait/age" },
      },
      retention: { profile: "short", traceTtl: "12h" },
    });
  });

  it("treats an empty or comment-only file and empty sections as all defaults", () => {
    const empty = { gate: {}, run: {}, sidecar: {}, export: {}, store: {}, retention: {} };
    assert.deepEqual(parse(""), empty);
    assert.deepEqual(parse("# nothing yet\n"), empty);
    assert.deepEqual(parse("gate:\nsidecar:\n  # listen: 127.0.0.1:1\n"), empty);
  });

  it("rejects unknown keys with their line and column and a suggestion", () => {
    const error = rejects(
      "gate:\n  policy: a.yaml\n  key_mod: prod\n",
      "config_unknown_field",
      /config\.yaml:3:3: unknown field "key_mod" in gate/,
    );
    assert.equal(error.hint, 'did you mean "key_mode"?');
    rejects("gates:\n  policy: a\n", "config_unknown_field", /1:1: unknown field "gates" at the top level/);
  });

  it("rejects bad store and retention values", () => {
    rejects("store:\n  encrypt:\n    recipients: [nope]\n", "config_invalid", /store\.encrypt\.recipients/);
    rejects("store:\n  encrypt: {}\n", "config_invalid", /needs recipients/);
    rejects("store:\n  identity: k.txt\n  identity_env: K\n", "config_invalid", /one of identity/);
    rejects("retention:\n  profile: forever\n", "config_invalid", /short, medium, long/);
    rejects("retention:\n  trace_ttl: soon\n", "config_invalid", /positive duration/);
  });

  it("rejects bad values at their position", () => {
    rejects(
      "gate:\n  profile: strict\n",
      "config_invalid",
      /2:12: gate\.profile: must be one of standard, oss-prod/,
    );
    rejects("gate:\n  key_mode: none\n", "config_invalid", /gate\.key_mode: must be one of dev, prod/);
    rejects("run:\n  capture_mode: full\n", "config_invalid", /run\.capture_mode/);
    rejects("sidecar:\n  listen: 8787\n", "config_invalid", /sidecar\.listen: "8787" is not host:port/);
    rejects("sidecar:\n  max_request_bytes: 0\n", "config_invalid", /must be at least 1/);
    rejects("sidecar:\n  max_request_bytes: big\n", "config_invalid", /must be an integer/);
    rejects("gate:\n  policy: '  '\n", "config_invalid", /gate\.policy: must not be empty/);
    rejects("gate: [a]\n", "config_invalid", /gate: must be a mapping/);
  });

  it("refuses a key given as both a file and an environment variable, and key material as a variable name", () => {
    rejects(
      "gate:\n  private_key: k.key\n  private_key_env: K\n",
      "config_invalid",
      /gate\.private_key: set either gate\.private_key or gate\.private_key_env, not both/,
    );
    const error = rejects(
      "gate:\n  private_key_env: 'bm90IGEgbmFtZQ=='\n",
      "config_invalid",
      /is not an environment variable name/,
    );
    assert.match(error.hint, /never put the key itself/);
  });

  it("rejects duplicate keys and broken YAML", () => {
    rejects("gate:\n  policy: a\n  policy: b\n", "config_yaml_invalid", /duplicate key/);
    rejects("gate: [\n", "config_yaml_invalid", /invalid YAML in project config/);
  });

  it("parses listen addresses, IPv6 in brackets", () => {
    assert.deepEqual(parseListenAddress("127.0.0.1:8787"), { host: "127.0.0.1", port: 8787 });
    assert.deepEqual(parseListenAddress("[::1]:9000"), { host: "::1", port: 9000 });
    assert.deepEqual(parseListenAddress("localhost:0"), { host: "localhost", port: 0 });
    assert.equal(parseListenAddress("127.0.0.1"), undefined);
    assert.equal(parseListenAddress("127.0.0.1:70000"), undefined);
    assert.equal(parseListenAddress("::1:80"), undefined);
  });

  it("loads the default file when present, defaults when absent, and fails on a missing explicit path", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const absent = await loadProjectConfig(dir);
      assert.equal(absent.found, false);
      assert.equal(absent.path, DEFAULT_CONFIG_PATH);
      await assert.rejects(loadProjectConfig(dir, "custom.yaml"), (error: GaitError) => {
        assert.equal(error.code, "config_not_found");
        assert.equal(error.exitCode, 6);
        return true;
      });
      mkdirSync(join(dir, ".gait"));
      writeFileSync(join(dir, DEFAULT_CONFIG_PATH), "gate:\n  policy: p.yaml\n");
      const present = await loadProjectConfig(dir);
      assert.equal(present.found, true);
      assert.equal(present.config.gate.policy, "p.yaml");
      writeFileSync(join(dir, "custom.yaml"), "gate:\n  profile: oss-prod\n");
      assert.equal((await loadProjectConfig(dir, "custom.yaml")).config.gate.profile, "oss-prod");
    } finally {
      cleanup();
    }
  });

  it("writes init templates that parse back to what they promise", () => {
    const standard = parse(renderProjectConfig({ policyPath: ".gait.yaml", profile: "standard" }));
    assert.equal(standard.gate.policy, ".gait.yaml");
    assert.equal(standard.gate.profile, "standard");
    assert.equal(standard.gate.keyMode, "dev");
    assert.equal(standard.gate.privateKey, undefined);
    assert.equal(standard.gate.traceDir, "gait-out/traces");
    const prod = parse(renderProjectConfig({ policyPath: "p/gait.yaml", profile: "oss-prod" }));
    assert.equal(prod.gate.policy, "p/gait.yaml");
    assert.equal(prod.gate.keyMode, "prod");
    assert.deepEqual(prod.gate.privateKey, { path: "gait-out/keys/gait_private.key" });
  });
});
