// Bundles the CLI and the SDK with esbuild so start-up stays fast (one file to load, no module
// graph), then emits the SDK's type declarations (tsc, incremental) into dist/types.
import { spawnSync } from "node:child_process";
import { chmodSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: "linked",
  logLevel: "warning",
  define: { __GAIT_VERSION__: JSON.stringify(version) },
  // Bundled CommonJS dependencies (yazl, yauzl, ajv) need a require() in ESM output.
  banner: {
    js: "import { createRequire as __gaitCreateRequire } from 'node:module'; const require = __gaitCreateRequire(import.meta.url);",
  },
};

// Chunk names carry content hashes: clear old ones so dist/ holds only what this build wrote.
rmSync(new URL("../dist/chunks", import.meta.url), { recursive: true, force: true });

// The trace worker thread's code, inlined into both bundles as a string (new Worker(source,
// { eval: true })): no worker file to locate beside a chunk, and it survives re-bundling by users.
const traceWorker = await build({
  ...common,
  entryPoints: ["src/sdk/trace-worker-thread.ts"],
  format: "cjs",
  banner: {},
  sourcemap: false,
  minify: true,
  write: false,
});
common.define.__GAIT_TRACE_WORKER_SOURCE__ = JSON.stringify(traceWorker.outputFiles[0].text);

await Promise.all([
  build({
    ...common,
    entryPoints: { gait: "src/cli/main.ts" },
    outdir: "dist",
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    banner: { js: `#!/usr/bin/env node\n${common.banner.js}` },
  }),
  // `import { createGate, guardTool } from "gait"` (package.json exports "." -> dist/sdk.js).
  build({ ...common, entryPoints: { sdk: "src/sdk/index.ts" }, outdir: "dist" }),
]);

// The bin must be executable: `npx gait` runs it directly through its shebang.
chmodSync(new URL("../dist/gait.js", import.meta.url), 0o755);

const declarationsStamp = new URL("../dist/types/.built", import.meta.url);
emitSdkDeclarations();

/** dist/types/sdk/index.d.ts and what it references (tsconfig.sdk.json); skipped when no source changed. */
function emitSdkDeclarations() {
  if (declarationsUpToDate()) return;
  let tsc;
  try {
    tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  } catch {
    console.warn("build: typescript is not installed; skipping the SDK type declarations");
    return;
  }
  const startedAt = new Date();
  const result = spawnSync(process.execPath, [tsc, "-p", "tsconfig.sdk.json"], {
    cwd: root,
    stdio: "inherit",
  });
  if (result.status !== 0) {
    console.error("build: emitting the SDK type declarations failed");
    process.exit(result.status ?? 1);
  }
  // tsc leaves its build info untouched when nothing changed, so keep our own stamp, dated when
  // tsc started so an edit made meanwhile still counts as newer.
  writeFileSync(declarationsStamp, "");
  utimesSync(declarationsStamp, startedAt, startedAt);
}

function declarationsUpToDate() {
  let built;
  try {
    built = statSync(declarationsStamp).mtimeMs;
  } catch {
    return false;
  }
  const inputs = ["tsconfig.json", "tsconfig.sdk.json", ...sourceFiles("src")];
  return inputs.every((file) => statSync(new URL(`../${file}`, import.meta.url)).mtimeMs < built);
}

function sourceFiles(dir) {
  return readdirSync(new URL(`../${dir}`, import.meta.url), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    return entry.isDirectory() ? sourceFiles(path) : entry.name.endsWith(".ts") ? [path] : [];
  });
}
