/**
 * `gait --version` and `gait -v` are answered by the launcher without the CLI bundle; the answer
 * must be the one the program gives (reached here through spellings the launcher leaves to it).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { runGait } from "../helpers/cli.ts";

const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

describe("version probe (e2e)", () => {
  it("prints what the program prints, exit 0", async () => {
    const launcher = await runGait(["--version"]);
    const short = await runGait(["-v"]);
    const program = await runGait(["-version"]); // Go's spelling: rewritten and answered by the program
    const json = await runGait(["--version", "--json"]);
    for (const result of [launcher, short, program]) {
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `${version}\n`);
      assert.equal(result.stderr, "");
    }
    assert.equal(json.code, 0);
    assert.equal((json.json as { version?: string }).version, version);
  });
});
