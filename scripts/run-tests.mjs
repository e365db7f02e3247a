// Runs every test/**/*.test.ts with Node's own test runner (TypeScript through tsx).
// Node 20's --test does not expand globs, so the file list is collected here.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

function collect(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return collect(path);
    return entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

const filter = process.argv.slice(2);
const files = collect("test")
  .filter((f) => filter.length === 0 || filter.some((needle) => f.includes(needle)))
  .sort();
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=2", "--test-reporter=spec", ...files],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
