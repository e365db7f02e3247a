// Writes the table of every error code (src/error-codes.ts) into docs/cli.md, between its two
// markers, so the doc always lists what the modules raise: the codes the JSON error envelope
// carries in `detail_code` (and in `error_code` too, except for exits 6, 5 and 8).
// Run: npm run error-codes
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ERROR_CODE_TABLE_END, ERROR_CODE_TABLE_START, renderErrorCodeTable } from "../src/error-codes.ts";

const docPath = join(import.meta.dirname, "..", "docs", "cli.md");
const doc = readFileSync(docPath, "utf8");
const start = doc.indexOf(ERROR_CODE_TABLE_START);
const end = doc.indexOf(ERROR_CODE_TABLE_END);
if (start < 0 || end < start) {
  throw new Error(`docs/cli.md needs the markers ${ERROR_CODE_TABLE_START} and ${ERROR_CODE_TABLE_END}`);
}
const table = `${ERROR_CODE_TABLE_START}\n\n${renderErrorCodeTable()}\n\n`;
writeFileSync(docPath, doc.slice(0, start) + table + doc.slice(end));
console.log("wrote the error code table in docs/cli.md");
