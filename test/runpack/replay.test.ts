import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { digestJcs, sha256Hex } from "../../src/contract/canonical.ts";
import { GaitError } from "../../src/contract/errors.ts";
import {
  classifyStub,
  DEFAULT_EXECUTION_LIMITS,
  ExecutorRegistry,
  fileWriteExecutor,
  parseRunpackEntries,
  type RealExecutor,
  recordRunpack,
  replayReal,
  replayRunpack,
  replayStub,
  shellExecutor,
} from "../../src/runpack/index.ts";
import { tempDir } from "../helpers/cli.ts";
import { build, clock, sampleInput } from "./fixtures.ts";

const runpack = parseRunpackEntries(build().entries).runpack;

function unsafeCode(code: string) {
  return (e: unknown) =>
    e instanceof GaitError && e.category === "unsafe_operation" && e.exitCode === 8 && e.code === code;
}

describe("stub replay", () => {
  it("uses recorded results, deterministic stubs for known tool kinds, and reports the rest missing", () => {
    const report = replayStub(runpack);
    assert.equal(report.mode, "stub");
    assert.deepEqual(
      report.steps.map((s) => [s.intent_id, s.execution, s.status, s.stub_type ?? ""]),
      [
        ["i1", "recorded", "ok", ""],
        ["i2", "recorded", "error", ""],
        ["i3", "stubbed", "ok", "db"],
      ],
    );
    const i3 = runpack.intents[2]!;
    assert.equal(report.steps[2]!.result_digest, sha256Hex(`run_sample:i3:db.query:${i3.args_digest}:db`));
    assert.deepEqual(report.missing_results, []);
    assert.deepEqual(replayStub(runpack), report, "deterministic");
  });

  it("reports missing_result for an unknown tool kind without a result", () => {
    const input = sampleInput() as { intents: Record<string, unknown>[] };
    input.intents.push({ intent_id: "i4", tool_name: "tool.summarize", args: {} });
    const report = replayStub(parseRunpackEntries(build(input).entries).runpack);
    assert.deepEqual(report.missing_results, ["i4"]);
    assert.equal(report.steps[3]!.execution, "missing");
  });

  it("classifies tool names by kind tokens", () => {
    assert.equal(classifyStub("http_get"), "http");
    assert.equal(classifyStub("web.fetch"), "http");
    assert.equal(classifyStub("fs.write"), "file");
    assert.equal(classifyStub("write_file"), "file");
    assert.equal(classifyStub("sqlite.query"), "db");
    assert.equal(classifyStub("kafka.publish"), "queue");
    assert.equal(classifyStub("tool.offset"), undefined, "substring inside a word does not count");
    assert.equal(classifyStub("tool.summarize"), undefined);
  });
});

describe("real replay interlocks", () => {
  const full = {
    realTools: true,
    unsafeRealTools: true,
    allowTools: ["file.write"],
    env: { GAIT_ALLOW_REAL_REPLAY: "1" },
  };

  async function rawRunpackDir() {
    const temp = tempDir();
    const input = {
      run: { run_id: "run_real", created_at: "2026-02-05T00:00:00Z" },
      intents: [
        { intent_id: "w1", tool_name: "file.write", args: { path: "out/hello.txt", content: "hello" } },
        { intent_id: "s1", tool_name: "shell.exec", args: { command: "echo should-not-run > ran.txt" } },
        { intent_id: "e1", tool_name: "file.write", args: { path: "../escape.txt", content: "x" } },
      ],
      results: [{ intent_id: "s1", status: "ok", result: { exit_code: 0 } }],
    };
    await recordRunpack(input, { cwd: temp.dir, env: {}, clock, captureMode: "raw" });
    return temp;
  }

  it("each missing interlock refuses with exit 8 and its own reason", async () => {
    const { dir, cleanup } = await rawRunpackDir();
    try {
      const base = { ref: "run_real", cwd: dir };
      await assert.rejects(
        replayRunpack({ ...base, ...full, unsafeRealTools: false }),
        unsafeCode("real_replay_unsafe_flag_missing"),
      );
      await assert.rejects(
        replayRunpack({ ...base, ...full, allowTools: [] }),
        unsafeCode("real_replay_allow_list_empty"),
      );
      await assert.rejects(
        replayRunpack({ ...base, ...full, env: {} }),
        unsafeCode("real_replay_env_not_set"),
      );
      await assert.rejects(
        replayRunpack({ ...base, ...full, env: { GAIT_ALLOW_REAL_REPLAY: "true" } }),
        unsafeCode("real_replay_env_not_set"),
      );
      // --unsafe-real-tools-env names the variable in place of GAIT_ALLOW_REAL_REPLAY.
      await assert.rejects(
        replayRunpack({ ...base, ...full, interlockEnv: "MY_REPLAY_OK" }),
        (e: unknown) =>
          unsafeCode("real_replay_env_not_set")(e) && /MY_REPLAY_OK=1/.test((e as Error).message),
      );
      await assert.rejects(
        replayRunpack({ ...base, ...full, interlockEnv: "1BAD" }),
        (e: unknown) =>
          e instanceof GaitError &&
          e.code === "real_replay_env_name_invalid" &&
          e.category === "invalid_input",
      );
      await recordRunpack(sampleInput(), { cwd: dir, env: {}, clock });
      await assert.rejects(
        replayRunpack({ ...full, ref: "run_sample", cwd: dir }),
        unsafeCode("real_replay_reference_capture"),
      );
      assert.ok(!existsSync(join(dir, "out")), "nothing ran");
    } finally {
      cleanup();
    }
  });

  it("with every interlock, runs only allow-listed tools and confines file writes to the cwd", async () => {
    const { dir, cleanup } = await rawRunpackDir();
    try {
      const report = await replayRunpack({ ref: "run_real", cwd: dir, ...full });
      assert.equal(report.mode, "real");
      assert.equal(report.requested_unsafe, true);
      const [write, shell, outside] = report.steps;
      assert.equal(write!.execution, "executed");
      assert.equal(write!.status, "ok");
      assert.equal(readFileSync(join(dir, "out", "hello.txt"), "utf8"), "hello");
      assert.equal(shell!.execution, "recorded", "not allow-listed: recorded result");
      assert.ok(!existsSync(join(dir, "ran.txt")));
      assert.equal(outside!.execution, "executed");
      assert.equal(outside!.status, "error");
      assert.ok(!existsSync(join(dir, "..", "escape.txt")));
    } finally {
      cleanup();
    }
  });

  it("executors are pluggable through the registry", async () => {
    const calls: unknown[] = [];
    const custom: RealExecutor = {
      name: "custom",
      tools: ["tool.search"],
      execute: async (args) => {
        calls.push(args);
        return { status: "ok", result: { fake: true } };
      },
    };
    const raw = parseRunpackEntries(build(sampleInput(), { captureMode: "raw" }).entries).runpack;
    const report = await replayReal(raw, {
      allowTools: ["tool.search"],
      executors: new ExecutorRegistry([custom]),
      context: { cwd: process.cwd(), env: {}, ...DEFAULT_EXECUTION_LIMITS },
    });
    assert.deepEqual(calls, [{ q: "gait", limit: 3 }]);
    assert.equal(report.steps[0]!.result_digest, digestJcs({ fake: true }));
    assert.equal(report.steps[0]!.executor, "custom");
  });
});

describe("built-in executors", () => {
  it("shell: captures output, caps it, and kills on timeout", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const context = { cwd: dir, env: process.env, timeoutMs: 5_000, maxOutputBytes: 16 };
      const ok = await shellExecutor.execute({ command: "printf hello" }, context);
      assert.deepEqual(ok, {
        status: "ok",
        result: { exit_code: 0, stdout: "hello", stderr: "", timed_out: false, truncated: false },
      });
      const long = await shellExecutor.execute({ command: "printf '%040d' 0" }, context);
      assert.equal((long.result.stdout as string).length, 16);
      assert.equal(long.result.truncated, true);
      const slow = await shellExecutor.execute({ command: "sleep 5" }, { ...context, timeoutMs: 100 });
      assert.equal(slow.status, "error");
      assert.equal(slow.result.timed_out, true);
      const failed = await shellExecutor.execute({ command: "exit 3" }, context);
      assert.equal(failed.status, "error");
      assert.equal(failed.result.exit_code, 3);
      assert.equal((await shellExecutor.execute({}, context)).status, "error");
    } finally {
      cleanup();
    }
  });

  it("file write: refuses bad args and absolute paths outside the cwd", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const context = { cwd: dir, env: {}, ...DEFAULT_EXECUTION_LIMITS };
      assert.equal((await fileWriteExecutor.execute({ path: 1 }, context)).status, "error");
      assert.equal(
        (await fileWriteExecutor.execute({ path: "/etc/gait-x", content: "x" }, context)).status,
        "error",
      );
      const ok = await fileWriteExecutor.execute({ path: "a/b.txt", content: "hi" }, context);
      assert.deepEqual(ok, { status: "ok", result: { path: join("a", "b.txt"), bytes: 2 } });
    } finally {
      cleanup();
    }
  });
});
