/**
 * Python's `zipfile` as a second zip reader for differential tests: many zips read in one batched
 * python3 call. Without python3 a test skips visibly (`pythonOrSkip`), except under CI=true, where
 * that is a failure.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import type { TestContext } from "node:test";

/** What Python saw: `[name, sha256]` per non-directory entry in central order, or its error. */
export type PythonZipView = { ok: true; files: [string, string][] } | { ok: false; error: string };

const READ_SCRIPT = `
import base64, hashlib, io, json, sys, zipfile
results = []
for line in sys.stdin:
    case = json.loads(line)
    try:
        with zipfile.ZipFile(io.BytesIO(base64.b64decode(case["zip"]))) as archive:
            files = []
            for info in archive.infolist():
                if info.is_dir():
                    continue
                with archive.open(info) as entry:
                    files.append([info.filename, hashlib.sha256(entry.read()).hexdigest()])
        results.append({"ok": True, "files": files})
    except Exception as error:
        results.append({"ok": False, "error": type(error).__name__ + ": " + str(error)})
print(json.dumps(results))
`;

/** True when python3 runs; otherwise skips `t` with `what` (a failed assertion under CI=true). */
export function pythonOrSkip(t: TestContext, what: string): boolean {
  const probe = spawnSync("python3", ["--version"], { encoding: "utf8" });
  if (probe.status === 0) return true;
  assert.notEqual(process.env.CI, "true", `python3 not found: ${what} must run in CI`);
  t.skip(`python3 not found: ${what} did not run`);
  return false;
}

/** Reads every zip with Python's zipfile, in one process. */
export function pythonRead(zips: readonly Buffer[]): PythonZipView[] {
  const input = zips.map((zip) => JSON.stringify({ zip: zip.toString("base64") })).join("\n");
  const run = spawnSync("python3", ["-c", READ_SCRIPT], { input, encoding: "utf8", maxBuffer: 256 << 20 });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as PythonZipView[];
}
