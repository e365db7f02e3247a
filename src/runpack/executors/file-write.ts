/**
 * File write: `{path, content}` → writes `content` (UTF-8) to `path`, atomically. The target
 * must resolve inside the working directory, through real directories only, so a recorded path
 * cannot reach elsewhere on the machine.
 */
import { mkdir, realpath } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { writeFileAtomic } from "../../contract/files.ts";
import type { ExecutionResult, RealExecutor } from "./executor.ts";

export const fileWriteExecutor: RealExecutor = {
  name: "file_write",
  tools: ["file.write", "fs.write", "write_file"],
  async execute(args, context): Promise<ExecutionResult> {
    const { path, content } = args;
    if (typeof path !== "string" || path.trim() === "" || typeof content !== "string") {
      return failed("args must carry a string path and a string content");
    }
    const root = await realpath(context.cwd);
    const target = resolve(root, path);
    if (!isInside(root, target))
      return failed(`path ${JSON.stringify(path)} is outside the working directory`);
    try {
      await mkdir(dirname(target), { recursive: true });
      if (!isInside(root, await realpath(dirname(target))))
        return failed(`path ${JSON.stringify(path)} leads outside the working directory`);
      await writeFileAtomic(target, content, { mode: 0o644 });
    } catch (error) {
      return failed(error instanceof Error ? error.message : String(error));
    }
    return { status: "ok", result: { path: relative(root, target), bytes: Buffer.byteLength(content) } };
  },
};

function isInside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}

function failed(error: string): ExecutionResult {
  return { status: "error", result: { error } };
}
