/** Spawns the built CLI (dist/gait.cjs) the way a user would, in a directory of the test's choosing. */
import { type ChildProcess, spawn } from "node:child_process";
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
    const output = captureOutput(child);
    child.on("error", reject);
    child.on("close", (code) => {
      const stdout = output.stdout();
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(stdout) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      resolvePromise({ code: code ?? -1, stdout, stderr: output.stderr(), json });
    });
    child.stdin.end(options.input ?? "");
  });
}

/** Collects what a child writes on stdout and stderr, as text, while it runs. */
export function captureOutput(child: ChildProcess): { stdout(): string; stderr(): string } {
  const text = { stdout: "", stderr: "" };
  child.stdout?.on("data", (d) => {
    text.stdout += d;
  });
  child.stderr?.on("data", (d) => {
    text.stderr += d;
  });
  return { stdout: () => text.stdout, stderr: () => text.stderr };
}

/** A fresh temp dir, removed when the returned `cleanup` runs. */
export function tempDir(prefix = "gait-test-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
