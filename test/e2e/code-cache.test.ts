/**
 * The built CLI's caches, as a user meets them: the launcher (dist/gait.cjs) keeps a V8 code
 * cache per command word and `gate eval` a compiled-policy cache, both in GAIT_CACHE_DIR; a hit
 * answers exactly as a cold run does, a corrupt or planted entry is ignored and replaced, a usage
 * error leaves no entry, and GAIT_NO_CACHE=1 writes nothing.
 */
import assert from "node:assert/strict";
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type CliResult, runGait, tempDir } from "../helpers/cli.ts";

const posix = typeof process.getuid === "function";

const INTENT = {
  tool_name: "tool.write",
  args: { path: "/tmp/x" },
  targets: [{ kind: "path", value: "/tmp/x", operation: "write" }],
  context: { identity: "alice", workspace: "/repo", risk_class: "high" },
};

/** The decision without what differs between any two calls (ids, times, trace files, the dev key warning). */
function stable(result: CliResult): unknown {
  assert.ok(result.json, `not JSON: ${result.stdout}\n${result.stderr}`);
  const {
    correlation_id: _c,
    trace_id: _t,
    trace_path: _p,
    observed_at: _o,
    latency_ms: _l,
    warnings: _w,
    ...rest
  } = result.json as Record<string, unknown>;
  return rest;
}

describe("CLI caches (e2e)", { skip: posix ? false : "POSIX owners and modes only" }, () => {
  const temp = tempDir("gait-e2e-cache-");
  after(temp.cleanup);
  const cacheDir = join(temp.dir, "cache");
  const env = { GAIT_CACHE_DIR: cacheDir };
  const v8 = join(cacheDir, "v8");
  const entry = (suffix: string) => readdirSync(v8).find((name) => name.endsWith(suffix));
  const evalArgs = ["gate", "eval", "--policy", "policy.yaml", "--intent", "intent.json", "--json"];
  const evalGate = (extraEnv: NodeJS.ProcessEnv = env) => runGait(evalArgs, { cwd: temp.dir, env: extraEnv });

  before(async () => {
    const init = await runGait(["policy", "init", "baseline-highrisk", "--out", "policy.yaml"], {
      cwd: temp.dir,
      env,
    });
    assert.ok([0].includes(init.code), init.stderr);
    writeFileSync(join(temp.dir, "intent.json"), JSON.stringify(INTENT));
  });

  it("writes a private code cache per command word, and a cached run answers as a cold one", async () => {
    const cold = await evalGate();
    const gateEntry = entry("-gate.v8cache");
    assert.ok(gateEntry, `no gate entry in ${readdirSync(v8).join(", ")}`);
    assert.equal(statSync(v8).mode & 0o777, 0o700);
    assert.equal(statSync(join(v8, gateEntry)).mode & 0o777, 0o600);
    const written = statSync(join(v8, gateEntry)).mtimeMs;
    const cached = await evalGate();
    assert.equal(cached.code, cold.code);
    assert.deepEqual(stable(cached), stable(cold));
    assert.equal(statSync(join(v8, gateEntry)).mtimeMs, written, "an accepted entry is not written again");
    assert.equal(readdirSync(join(cacheDir, "policy")).length, 1, "the compiled policy is cached too");
  });

  it("ignores and replaces a corrupt code cache entry", async () => {
    const reference = stable(await evalGate());
    const path = join(v8, entry("-gate.v8cache")!);
    writeFileSync(path, Buffer.alloc(4096, 7), { mode: 0o600 });
    const result = await evalGate();
    assert.deepEqual(stable(result), reference);
    assert.notDeepEqual(readFileSync(path), Buffer.alloc(4096, 7), "the rejected entry was written again");
  });

  it("does not trust an entry others can write: it is replaced by a private one", async () => {
    const path = join(v8, entry("-gate.v8cache")!);
    chmodSync(path, 0o666);
    const result = await evalGate();
    assert.equal(result.json?.ok, true);
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it("ignores and replaces a corrupt compiled-policy entry", async () => {
    const reference = stable(await evalGate());
    const policyDir = join(cacheDir, "policy");
    const [name] = readdirSync(policyDir);
    const path = join(policyDir, name!);
    const good = readFileSync(path, "utf8");
    writeFileSync(path, good.replace('"defaultVerdict":"block"', '"defaultVerdict":"allow"'), {
      mode: 0o600,
    });
    assert.deepEqual(stable(await evalGate()), reference);
    assert.equal(readFileSync(path, "utf8"), good);
  });

  it("a usage error leaves no entry for the mistyped word", async () => {
    const result = await runGait(["gaet", "eval"], { cwd: temp.dir, env });
    assert.equal(result.code, 6);
    assert.equal(entry("-gaet.v8cache"), undefined);
  });

  it("GAIT_NO_CACHE=1 writes no cache at all", async () => {
    const off = join(temp.dir, "off");
    const result = await evalGate({ GAIT_CACHE_DIR: off, GAIT_NO_CACHE: "1" });
    assert.equal(result.json?.ok, true);
    assert.equal(existsSync(off), false);
  });
});
