import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { commands } from "../../src/cli/commands/index.ts";
import { commandsFor } from "../../src/cli/lazy-commands.ts";

describe("cli start-up: lazy command loading", () => {
  it("gate loads alone, as the very spec the full list holds", async () => {
    const loaded = await commandsFor(["gate", "eval", "--policy", "p.yaml"]);
    assert.equal(loaded.length, 1);
    assert.equal(
      loaded[0],
      commands.find((c) => c.name === "gate"),
    );
  });

  it("the version alone needs no command", async () => {
    for (const argv of [["--version"], ["-v"], ["--version", "--json"], ["--json", "-v"]]) {
      assert.deepEqual(await commandsFor(argv), [], argv.join(" "));
    }
  });

  it("anything else loads the full list", async () => {
    for (const argv of [
      [],
      ["--help"],
      ["--json", "gate", "eval"],
      ["verify", "x.zip"],
      ["no-such-command"],
      ["--json"],
      ["--version", "gate"],
    ]) {
      assert.equal(await commandsFor(argv), commands, argv.join(" "));
    }
  });
});
