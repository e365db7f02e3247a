// Rewrites the golden files test/golden/*.json from the CLI's current output: builds dist/ (unless
// --no-build), runs test/golden.test.ts with GAIT_UPDATE_GOLDEN=1, then formats the goldens the
// way biome wants them. `npm test` never writes goldens; this script is the only writer.
// Usage: npm run golden:update [-- --no-build]; then review `git diff test/golden`.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

function run(command, args, env = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
  if (result.status !== 0) {
    console.error(`update-golden: \`${[command, ...args].join(" ")}\` failed (exit ${result.status})`);
    process.exit(result.status ?? 1);
  }
}

if (!process.argv.includes("--no-build")) run(process.execPath, ["scripts/build.mjs"]);
run(process.execPath, ["--import", "tsx", "--test", "--test-reporter=dot", "test/golden.test.ts"], {
  GAIT_UPDATE_GOLDEN: "1",
});
run(process.execPath, [
  fileURLToPath(new URL("../node_modules/@biomejs/biome/bin/biome", import.meta.url)),
  "format",
  "--write",
  "test/golden",
]);
console.log("update-golden: test/golden rewritten; review it with `git diff test/golden`");
