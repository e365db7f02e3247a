// Bundles the CLI (one CommonJS file and its launcher) and the SDK with esbuild, then emits the
// SDK's type declarations (tsc, incremental) into dist/types.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve as resolvePath, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

/**
 * Large dependencies that only some commands load (with a dynamic import, when a flag or command
 * asks for them) stay out of the bundles and are loaded from node_modules at that moment: bundled,
 * they would multiply the bytes every CLI call reads and hashes at start-up (`gate eval` runs once
 * per tool call). They are runtime dependencies in package.json (or optional peers, for the
 * framework adapters), so an installed gait finds them; ESM-only ones load through require(esm)
 * (Node 20.19+, the engines floor).
 */
const lazyDependencies = [
  "@modelcontextprotocol/sdk",
  "zod",
  "openid-client",
  "@opentelemetry/*",
  "pdfkit",
  "age-encryption",
  "ai",
  "@openai/agents",
  "@langchain/core",
];

const common = {
  absWorkingDir: root,
  bundle: true,
  external: lazyDependencies.flatMap((name) => (name.endsWith("/*") ? [name] : [name, `${name}/*`])),
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: "linked",
  logLevel: "warning",
  // jsonc-parser's main is a UMD build that requires its parts dynamically (esbuild cannot follow).
  alias: { "jsonc-parser": "jsonc-parser/lib/esm/main.js" },
  define: { __GAIT_VERSION__: JSON.stringify(version), __GAIT_BUILD_ID__: JSON.stringify(buildId()) },
  // Bundled CommonJS dependencies (yazl, yauzl, ajv) need a require() in ESM output.
  banner: {
    js: "import { createRequire as __gaitCreateRequire } from 'node:module'; const require = __gaitCreateRequire(import.meta.url);",
  },
};

/**
 * commander requires node:child_process at load time, for executable subcommands we never use;
 * loading it drags in net, dgram and streams (several ms of every CLI call). In the CLI bundle
 * commander gets a stand-in that loads the real module on first use.
 */
const lazyChildProcessForCommander = {
  name: "lazy-child-process-for-commander",
  setup(plugin) {
    plugin.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer)
        ? { path: "lazy-child-process", namespace: "gait-lazy" }
        : undefined,
    );
    plugin.onLoad({ filter: /.*/, namespace: "gait-lazy" }, () => ({
      loader: "js",
      contents: `let real;
const load = () => (real ??= require("node:child_process"));
module.exports = new Proxy({}, { get: (_, name) => load()[name] });`,
    }));
  },
};

/**
 * In both bundles every import of a lazy dependency becomes a require() made where the importing
 * module is initialized (require(esm) loads the ESM-only ones). Left as import statements, the
 * SDK's ESM bundle would hoist them to its top and load them all with `import("gait")`, and in the
 * CLI bundle, run by the launcher through vm.Script, a real import() needs an experimental hook.
 */
const lazyDependenciesByRequire = {
  name: "lazy-dependencies-by-require",
  setup(plugin) {
    plugin.onResolve({ filter: /.*/ }, (args) =>
      isLazyDependency(args.path) && args.namespace !== "gait-lazy-dependency"
        ? { path: args.path, namespace: "gait-lazy-dependency" }
        : undefined,
    );
    plugin.onLoad({ filter: /.*/, namespace: "gait-lazy-dependency" }, (args) => ({
      loader: "js",
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
    }));
  },
};

/**
 * The gate bundle (dist/cli-gate.cjs) is the CLI with only the gate command: lazy-commands.ts
 * loads the full command list for any other word, and here that list is left out.
 */
const gateCommandOnly = {
  name: "gate-command-only",
  setup(plugin) {
    plugin.onResolve({ filter: /[\\/]commands[\\/]index\.ts$/ }, (args) =>
      args.importer.endsWith(`${sep}lazy-commands.ts`)
        ? { path: "commands", namespace: "gait-gate-only" }
        : undefined,
    );
    plugin.onLoad({ filter: /.*/, namespace: "gait-gate-only" }, () => ({
      loader: "js",
      contents:
        'throw new Error("dist/cli-gate.cjs runs only the gate command; the launcher picks dist/cli.cjs for the others");',
    }));
  },
};

function isLazyDependency(path) {
  return lazyDependencies.some((name) =>
    name.endsWith("/*") ? path.startsWith(name.slice(0, -1)) : path === name || path.startsWith(`${name}/`),
  );
}

const adapterEntryPoints = {
  "ai-sdk": "src/sdk/adapters/ai-sdk.ts",
  "openai-agents": "src/sdk/adapters/openai-agents.ts",
  langchain: "src/sdk/adapters/langchain.ts",
  mcp: "src/sdk/adapters/mcp.ts",
};

/**
 * An adapter imports the SDK from dist/sdk.js rather than bundling a copy of it: an adapter's
 * guarded tools then share the Gate, the recorder and the ToolRefused class of `gait` itself
 * (`isToolRefused` from "gait" recognises an adapter's refusals), and an adapter is a few kB.
 */
const sdkFromMainEntry = {
  name: "sdk-from-main-entry",
  setup(plugin) {
    const sdkIndex = fileURLToPath(new URL("../src/sdk/index.ts", import.meta.url));
    plugin.onResolve({ filter: /index\.ts$/ }, (args) =>
      resolvePath(args.resolveDir, args.path) === sdkIndex
        ? { path: "../sdk.js", external: true }
        : undefined,
    );
  },
};

/** CommonJS output offers import.meta as a CommonJS module can (only a module's own URL is used). */
function commonJs() {
  return {
    format: "cjs",
    define: { ...common.define, "import.meta": "__gaitImportMeta" },
    banner: { js: 'var __gaitImportMeta = { url: require("node:url").pathToFileURL(__filename).href };' },
  };
}

// Output of earlier layouts (an ESM CLI split into chunks) must not linger beside the new one.
rmSync(new URL("../dist/chunks", import.meta.url), { recursive: true, force: true });
rmSync(new URL("../dist/gait.js", import.meta.url), { force: true });
rmSync(new URL("../dist/gait.js.map", import.meta.url), { force: true });

// The trace worker thread's code, inlined into both bundles as a string (new Worker(source,
// { eval: true })): no worker file to locate beside a chunk, and it survives re-bundling by users.
const traceWorker = await build({
  ...common,
  ...commonJs(),
  entryPoints: ["src/sdk/trace-worker-thread.ts"],
  sourcemap: false,
  minify: true,
  write: false,
});
common.define.__GAIT_TRACE_WORKER_SOURCE__ = JSON.stringify(traceWorker.outputFiles[0].text);

await Promise.all([
  // The CLI: one CommonJS file, compiled by the launcher through vm.Script with a V8 code cache
  // (launcher.ts). Whitespace and syntax are minified (less to read and hash); names are kept
  // for stack traces and profiles.
  build({
    ...common,
    entryPoints: { cli: "src/cli/main.ts" },
    outfile: "dist/cli.cjs",
    ...commonJs(),
    minifyWhitespace: true,
    minifySyntax: true,
    // ASCII only: V8 keeps the source as a one-byte string, half the memory and faster to scan.
    charset: "ascii",
    plugins: [lazyChildProcessForCommander, lazyDependenciesByRequire],
    write: false,
  }).then(writeOutputs),
  // The same for `gait gate ...` (`gate eval` runs once per tool call in hook setups): less than
  // half the bytes for the launcher to read and V8 to take in (launcher.ts picks it).
  build({
    ...common,
    entryPoints: { "cli-gate": "src/cli/main.ts" },
    outfile: "dist/cli-gate.cjs",
    ...commonJs(),
    minifyWhitespace: true,
    minifySyntax: true,
    charset: "ascii",
    plugins: [lazyChildProcessForCommander, lazyDependenciesByRequire, gateCommandOnly],
    write: false,
  }).then(writeOutputs),
  // `import { createGate, guardTool } from "gait"` (package.json exports "." -> dist/sdk.js).
  build({
    ...common,
    entryPoints: { sdk: "src/sdk/index.ts" },
    outdir: "dist",
    plugins: [lazyDependenciesByRequire],
    write: false,
  }).then(writeOutputs),
  // The framework adapters (package.json exports "./ai-sdk", "./openai-agents", "./langchain",
  // "./mcp" -> dist/adapters/<name>.js), built apart so the main entry stays as it is.
  build({
    ...common,
    entryPoints: adapterEntryPoints,
    outdir: "dist/adapters",
    plugins: [sdkFromMainEntry],
    write: false,
  }).then(writeOutputs),
]);

await build({
  ...common,
  entryPoints: ["src/cli/launcher.ts"],
  outfile: "dist/gait.cjs",
  format: "cjs",
  sourcemap: false,
  banner: { js: "#!/usr/bin/env node" },
  write: false,
}).then(writeOutputs);

/**
 * What caches of our code's output are keyed by (src/contract/version.ts, BUILD_ID): a hash of
 * every source file, the lock file (dependency versions, esbuild's included) and package.json.
 */
function buildId() {
  const hash = createHash("sha256");
  for (const file of [
    "package.json",
    "package-lock.json",
    "scripts/build.mjs",
    ...sourceFiles("src").sort(),
  ]) {
    hash
      .update(`${file}\0`)
      .update(readFileSync(new URL(`../${file}`, import.meta.url)))
      .update("\0");
  }
  return hash.digest("hex").slice(0, 16);
}

/**
 * Each output file replaces the old one atomically (temp file, rename): a `gait` call running
 * while `npm install` rebuilds (an agent's hook, say) sees the old build or the new one, never a
 * missing or half-written file. The CLI bundle is made ASCII first; the bin stays executable.
 */
function writeOutputs(result) {
  for (const file of result.outputFiles) {
    const isBundle = /[\\/]cli(-gate)?\.cjs$/.test(file.path);
    const contents = isBundle ? asciiOnly(file.text) : file.contents;
    const temp = `${file.path}.${process.pid}.tmp`;
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(temp, contents, { mode: file.path.endsWith(`${sep}gait.cjs`) ? 0o755 : 0o644 });
    renameSync(temp, file.path);
  }
}

/**
 * One non-ASCII character makes V8 hold the whole bundle as a two-byte string (twice the memory,
 * slower to hash and scan). esbuild escapes strings but not tagged templates or regular
 * expressions; a \u escape means the same there (our tags read cooked strings).
 */
function asciiOnly(text) {
  return text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

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
