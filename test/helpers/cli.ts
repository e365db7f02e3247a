/** Spawns the built CLI (dist/gait.cjs) the way a user would, in a directory of the test's choosing. */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const repoRoot = resolve(import.meta.dirname, "../..");
export const gaitBin = join(repoRoot, "dist", "gait.cjs");

/**
 * The CLI's caches (V8 code, compiled policies) go to a directory of this test process, not the
 * user's: shared by the process's calls, so tests run both cold and cached, and removed at exit.
 */
const testCacheDir = mkdtempSync(join(tmpdir(), "gait-test-cache-"));
process.once("exit", () => rmSync(testCacheDir, { recursive: true, force: true }));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON when it is one JSON object, else undefined. */
  json: Record<string, unknown> | undefined;
}

export function runGait(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [gaitBin, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, NO_COLOR: "1", GAIT_CACHE_DIR: testCacheDir, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
      timeout: options.timeoutMs ?? 60_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(stdout) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      resolvePromise({ code: code ?? -1, stdout, stderr, json });
    });
    child.stdin.end(options.input ?? "");
  });
}

/** A fresh temp dir, removed when the returned `cleanup` runs. */
export function tempDir(prefix = "gait-test-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
