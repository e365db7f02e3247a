/**
 * The `gait` binary (dist/gait.cjs): compiles the CLI bundle (dist/cli.cjs, built from main.ts)
 * with a V8 code cache and runs it. Compiling the bundle's code is the largest part of a CLI
 * call's start-up after Node's own, and Node 20 caches nothing between runs by itself.
 *
 * After the command has run (at process exit, so the cache holds every function the command
 * compiled), a missing or rejected cache entry is written for next time (code-cache.ts).
 */
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Script } from "node:vm";
import { ExitCode } from "../contract/exit.ts";
import { BUILD_ID, PRODUCER_VERSION } from "../contract/version.ts";
import { openCodeCache } from "./code-cache.ts";

const [commandWord, subcommand] = process.argv.slice(2);
if ((commandWord === "gate" && subcommand === "serve") || (commandWord === "mcp" && subcommand === "proxy")) {
  // Commands that run until stopped. Required here, not imported: esbuild keeps a required
  // module lazy, so one-shot commands load neither node:v8 nor node:perf_hooks.
  (require("./server-tuning.ts") as typeof import("./server-tuning.ts")).tuneV8ForServer();
}

if (process.argv.length === 3 && (commandWord === "--version" || commandWord === "-v")) {
  // A version probe (installers, wrappers, `gait doctor` scripts) gets the program's answer
  // without the CLI bundle, whose start-up would be most of its cost. Any other spelling
  // (`--version --json`, Go's `-version`) goes through the program.
  process.stdout.write(`${PRODUCER_VERSION}\n`);
} else {
  runCli(commandWord);
}

/** Compiles the CLI bundle (with its code cache) and runs it. */
function runCli(word: string | undefined): void {
  // `gait gate ...` has a bundle of its own, without the other commands (scripts/build.mjs).
  const bundlePath = join(__dirname, word === "gate" ? "cli-gate.cjs" : "cli.cjs");
  // The build keeps the bundle ASCII (scripts/build.mjs), so latin1 reads it alike, three times faster.
  const source = readFileSync(bundlePath, "latin1");
  const cache = openCodeCache(process.env, {
    buildId: BUILD_ID ?? "source",
    bundleStats: statSync(bundlePath),
    command: word ?? "",
  });
  // The same wrapper Node's CommonJS loader puts around a module.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundlePath,
    cachedData: cache.data,
  });
  if (cache.data === undefined || script.cachedDataRejected === true) {
    // Not after a usage error: a mistyped command word would leave a cache file of its own.
    process.once("exit", (code) => {
      if (code !== ExitCode.invalidInput) cache.save(script.createCachedData());
    });
  }
  const bundle = { exports: {} };
  script.runInThisContext()(
    bundle.exports,
    createRequire(bundlePath),
    bundle,
    bundlePath,
    dirname(bundlePath),
  );
}
