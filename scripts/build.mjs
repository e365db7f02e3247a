// Bundles the CLI and the SDK with esbuild so start-up stays fast (one file to load, no module graph).
import { readFileSync } from "node:fs";
import { build } from "esbuild";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

const common = {
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

await build({
  ...common,
  entryPoints: { gait: "src/cli/main.ts" },
  outdir: "dist",
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  banner: { js: `#!/usr/bin/env node\n${common.banner.js}` },
});
