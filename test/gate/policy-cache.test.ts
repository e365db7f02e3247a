/**
 * The compiled-policy cache (gate/policy-cache.ts): a hit is the same loaded policy as a fresh
 * load (same model, same digest, the digest still recomputes), an entry that does not check out
 * is ignored and replaced, and a policy that fails to load is never cached.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { generatedPolicyYaml } from "../../bench/gate.ts";
import { GaitError } from "../../src/contract/errors.ts";
import { loadPolicyFile } from "../../src/gate/policy.ts";
import { loadPolicyFileCached, loadPolicyFileWithCache } from "../../src/gate/policy-cache.ts";
import { policyDigest } from "../../src/gate/policy-digest.ts";
import { POLICY_TEMPLATE_NAMES, policyTemplate } from "../../src/gate/templates.ts";
import { tempDir } from "../helpers/cli.ts";

describe("compiled-policy cache", {
  skip: typeof process.getuid === "function" ? false : "POSIX only",
}, () => {
  const temp = tempDir("gait-policy-cache-");
  after(temp.cleanup);
  let count = 0;
  const fresh = () => ({ dir: join(temp.dir, `cache-${count++}`), buildId: "build-a" });
  const policyFile = (name: string, text: string) => {
    const path = join(temp.dir, name);
    writeFileSync(path, text);
    return path;
  };
  const entries = (dir: string) => readdirSync(dir).filter((name) => name.startsWith("policy-"));

  const policies = [
    ...POLICY_TEMPLATE_NAMES.map((name) => [name, policyTemplate(name)] as const),
    ["generated-100", generatedPolicyYaml(100)] as const,
  ];
  for (const [name, text] of policies) {
    it(`a hit loads ${name} exactly as a fresh load does`, async () => {
      const cache = fresh();
      const path = policyFile(`${name}.yaml`, text);
      const direct = await loadPolicyFile(path, name);
      const miss = await loadPolicyFileCached(path, name, cache);
      assert.equal(entries(cache.dir).length, 1, "the first load writes the entry");
      const hit = await loadPolicyFileCached(path, name, cache);
      for (const loaded of [miss, hit]) {
        assert.deepStrictEqual(loaded, direct);
        assert.equal(JSON.stringify(loaded), JSON.stringify(direct));
      }
      assert.equal(policyDigest(hit.policy), direct.policyDigest);
    });
  }

  it("a hit is read from the entry, not parsed again", async () => {
    const cache = fresh();
    const path = policyFile("read-from-entry.yaml", policyTemplate(POLICY_TEMPLATE_NAMES[0]!));
    await loadPolicyFileCached(path, "p", cache);
    const [entry] = entries(cache.dir);
    const text = readFileSync(join(cache.dir, entry!), "utf8");
    const body = JSON.parse(text.slice(65)) as { policy: { defaultVerdict: string } };
    // Re-sign a changed body: with a valid checksum the cache is believed (it is the user's own).
    body.policy.defaultVerdict = "dry_run";
    const changed = JSON.stringify(body);
    const { createHash } = await import("node:crypto");
    writeFileSync(
      join(cache.dir, entry!),
      `${createHash("sha256").update(changed).digest("hex")}\n${changed}`,
      {
        mode: 0o600,
      },
    );
    assert.equal((await loadPolicyFileCached(path, "p", cache)).policy.defaultVerdict, "dry_run");
  });

  const corruptions: Array<[string, (text: string) => string]> = [
    ["a flipped byte", (text) => `${text.slice(0, 100)}${text[100] === "a" ? "b" : "a"}${text.slice(101)}`],
    ["truncation", (text) => text.slice(0, text.length - 10)],
    ["no checksum line", (text) => text.slice(65)],
    ["garbage", () => "\u0000\u0001 not a cache entry"],
  ];
  for (const [what, corrupt] of corruptions) {
    it(`an entry with ${what} is ignored and replaced`, async () => {
      const cache = fresh();
      const path = policyFile(`corrupt-${what.replaceAll(" ", "-")}.yaml`, generatedPolicyYaml(5));
      const direct = await loadPolicyFile(path, "p");
      await loadPolicyFileCached(path, "p", cache);
      const [entry] = entries(cache.dir);
      const good = readFileSync(join(cache.dir, entry!), "utf8");
      writeFileSync(join(cache.dir, entry!), corrupt(good), { mode: 0o600 });
      assert.deepStrictEqual(await loadPolicyFileCached(path, "p", cache), direct);
      assert.equal(readFileSync(join(cache.dir, entry!), "utf8"), good, "the entry was written again");
    });
  }

  it("a changed policy file or another build misses; builds keep each other's entries", async () => {
    const cache = fresh();
    const path = policyFile("changing.yaml", generatedPolicyYaml(3));
    await loadPolicyFileCached(path, "p", cache);
    writeFileSync(path, generatedPolicyYaml(4));
    assert.equal((await loadPolicyFileCached(path, "p", cache)).policy.rules.length, 4);
    assert.equal(entries(cache.dir).length, 2);
    await loadPolicyFileCached(path, "p", { ...cache, buildId: "build-b" });
    assert.deepEqual(
      entries(cache.dir)
        .map((name) => name.split("-").at(-1))
        .sort(),
      ["a.json", "a.json", "b.json"],
    );
  });

  it("a policy that fails to load is not cached, and fails the same way every time", async () => {
    const cache = fresh();
    const path = policyFile("broken.yaml", "default_verdict: block\nrules:\n  - name: x\n    effect: nope\n");
    const errors: string[] = [];
    for (let round = 0; round < 2; round++) {
      await assert.rejects(loadPolicyFileCached(path, "broken.yaml", cache), (error: unknown) => {
        assert.ok(error instanceof GaitError);
        errors.push(error.message);
        return true;
      });
    }
    assert.equal(errors[0], errors[1]);
    assert.match(errors[0]!, /^broken\.yaml:4:/);
    assert.equal(existsSync(cache.dir), false);
  });

  it("from source (no build id) or with GAIT_NO_CACHE the cache is not used", async () => {
    const dir = join(temp.dir, "env-cache");
    const path = policyFile("env.yaml", generatedPolicyYaml(2));
    await loadPolicyFileWithCache(path, "p", { GAIT_CACHE_DIR: dir });
    await loadPolicyFileWithCache(path, "p", { GAIT_CACHE_DIR: dir, GAIT_NO_CACHE: "1" });
    assert.equal(readdirSync(temp.dir).includes("env-cache"), false, "tests run from source: no build id");
  });
});
