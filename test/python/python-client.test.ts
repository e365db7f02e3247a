/**
 * Runs the Python client's own tests (sdk/python/tests, unittest) against a live sidecar they
 * start from the built CLI. Skipped, visibly, where python3 is not installed.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { it } from "node:test";
import { repoRoot } from "../helpers/cli.ts";

const python = spawnSync("python3", ["--version"], { encoding: "utf8" });
const pythonSkip =
  python.status === 0 ? false : "python3 is not installed: the Python client tests did not run";

it("the Python client's tests pass against a live sidecar", {
  skip: pythonSkip,
  timeout: 180_000,
}, async () => {
  const child = spawn("python3", ["-m", "unittest", "discover", "-s", "sdk/python/tests", "-v"], {
    cwd: repoRoot,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => {
    output += d;
  });
  child.stderr.on("data", (d) => {
    output += d;
  });
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  assert.equal(code, 0, `python3 -m unittest failed (${python.stdout.trim()}):\n${output}`);
  assert.match(output, /^OK/m);
});
