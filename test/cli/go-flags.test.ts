import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { command, group, type ProgramSpec } from "../../src/cli/command.ts";
import { commands } from "../../src/cli/commands/index.ts";
import { normalizeGoFlags } from "../../src/cli/program.ts";

const real: ProgramSpec = { name: "gait", version: "0.0.0", explain: "test", commands };

const noop = () => ({ output: {} });
const synthetic: ProgramSpec = {
  name: "gait",
  version: "0.0.0",
  explain: "test",
  commands: [
    command({
      name: "count",
      explain: "x",
      args: [{ name: "n", description: "a number" }],
      options: [
        { name: "limit", value: "n", description: "x" },
        { name: "tag", value: "t", description: "x", repeatable: true },
        { name: "output", short: "o", value: "path", description: "x" },
        { name: "quiet", short: "q", description: "x" },
        { name: "no-config", description: "x" },
      ],
      run: noop,
    }),
    group({
      name: "wrap",
      explain: "x",
      commands: [
        command({
          name: "verify",
          explain: "x",
          options: [{ name: "key", value: "k", description: "x" }],
          run: noop,
        }),
      ],
      defaultCommand: command({
        name: "wrap",
        explain: "x",
        options: [{ name: "timeout", value: "d", description: "x" }],
        run: noop,
      }),
    }),
  ],
};

const rewrite = (info: ProgramSpec, words: string) => normalizeGoFlags(info, words.split(" ")).argv.join(" ");
const errorOf = (info: ProgramSpec, words: string) => normalizeGoFlags(info, words.split(" ")).error?.message;

describe("cli: Go flag spellings rewritten for commander", () => {
  it("single-dash long flags become double-dash, anywhere among the positionals", () => {
    assert.equal(rewrite(real, "verify -json run_demo"), "verify --json run_demo");
    assert.equal(rewrite(real, "verify run_demo -json"), "verify run_demo --json");
    assert.equal(rewrite(real, "-json verify run_demo"), "--json verify run_demo");
    assert.equal(rewrite(real, "verify -explain"), "verify --explain");
    assert.equal(rewrite(real, "verify -help"), "verify --help");
  });

  it("value flags take `=value` or the next word, whatever it looks like, as one --name=value word", () => {
    assert.equal(
      rewrite(real, "gate eval -policy p.yaml -intent i.json -json"),
      "gate eval --policy=p.yaml --intent=i.json --json",
    );
    assert.equal(rewrite(real, "gate eval --policy p.yaml"), "gate eval --policy=p.yaml");
    assert.equal(
      rewrite(real, "gate eval -policy=p.yaml --intent=i.json"),
      "gate eval --policy=p.yaml --intent=i.json",
    );
    assert.equal(rewrite(synthetic, "count -limit -1"), "count --limit=-1");
    assert.equal(rewrite(synthetic, "count --limit -json"), "count --limit=-json");
    assert.equal(rewrite(synthetic, "count -limit=a=b"), "count --limit=a=b");
    // A value that names a command is still a value.
    assert.equal(rewrite(real, "gate eval --policy help --json"), "gate eval --policy=help --json");
    // No value left: commander reports the missing argument.
    assert.equal(rewrite(real, "gate eval -policy"), "gate eval --policy");
  });

  it("repeatable flags keep every occurrence", () => {
    assert.equal(rewrite(synthetic, "count -tag a --tag b -tag=c"), "count --tag=a --tag=b --tag=c");
  });

  it("booleans take Go's explicit values; false removes the flag, the last occurrence wins", () => {
    assert.equal(rewrite(real, "verify --json=true x"), "verify --json x");
    for (const yes of ["1", "t", "T", "TRUE", "true", "True"])
      assert.equal(rewrite(real, `verify -json=${yes} x`), "verify --json x");
    for (const no of ["0", "f", "F", "FALSE", "false", "False"])
      assert.equal(rewrite(real, `verify -json=${no} x`), "verify x");
    assert.equal(rewrite(real, "verify --json --json=false x"), "verify x");
    assert.equal(rewrite(real, "verify --json=false --json x"), "verify --json x");
    assert.equal(rewrite(synthetic, "count -no-config=true -no-config"), "count --no-config --no-config");
    assert.equal(rewrite(synthetic, "count -quiet=false"), "count");
  });

  it("a boolean with any other value is a usage error naming the flag as typed", () => {
    const result = normalizeGoFlags(real, ["verify", "-json=yes", "x"]);
    assert.equal(result.error?.code, "usage");
    assert.equal(result.error?.message, 'invalid boolean value "yes" for -json (use true or false)');
    assert.equal(result.seeHelp, "gait verify");
    assert.match(errorOf(real, "verify --json= x") ?? "", /invalid boolean value "" for --json/);
  });

  it("short flags that exist stay short; their values are consumed", () => {
    assert.equal(rewrite(real, "-v"), "-v");
    assert.equal(rewrite(real, "-v -json"), "-v --json");
    assert.equal(rewrite(real, "-version"), "--version");
    assert.equal(rewrite(real, "--v"), "-v");
    assert.equal(rewrite(real, "verify -h"), "verify -h");
    assert.equal(rewrite(synthetic, "count -o -out.json -q"), "count -o -out.json -q");
    assert.equal(rewrite(synthetic, "count -o=x.json"), "count --output=x.json");
    assert.equal(rewrite(synthetic, "count -output x.json"), "count --output=x.json");
  });

  it("everything after -- passes unchanged (the child of gait test|enforce|trace)", () => {
    assert.equal(
      rewrite(real, "test -json -timeout 2m -- node -e x -json --policy=p"),
      "test --json --timeout=2m -- node -e x -json --policy=p",
    );
    assert.equal(
      rewrite(synthetic, "wrap -timeout 1s -json -- sh -c true"),
      "wrap --timeout=1s --json -- sh -c true",
    );
    assert.equal(rewrite(synthetic, "wrap verify -key k"), "wrap verify --key=k");
  });

  it("negative numbers, lone - and other words pass unchanged", () => {
    assert.equal(rewrite(synthetic, "count -5"), "count -5");
    assert.equal(rewrite(synthetic, "count -2.5e3"), "count -2.5e3");
    assert.equal(rewrite(real, "gate eval --intent - -json"), "gate eval --intent=- --json");
    assert.equal(rewrite(real, "verify -"), "verify -");
  });

  it("an unknown single-dash word is a usage error, with a suggestion when one is close", () => {
    assert.equal(errorOf(real, "verify -jsn run_demo"), "unknown option -jsn\n(Did you mean --json?)");
    assert.equal(errorOf(real, "verify -zzzzzz"), "unknown option -zzzzzz");
    // Commander would read -vx as -v -x and print the version.
    assert.equal(errorOf(real, "-vx"), "unknown option -vx");
    // The rest is still rewritten, so -json later on still asks for the JSON envelope.
    assert.deepEqual(normalizeGoFlags(real, ["verify", "-jsn", "-json"]).argv, ["verify", "-jsn", "--json"]);
    // Single letters and unknown --words are commander's to report (with its own suggestion).
    assert.equal(errorOf(real, "verify -x"), undefined);
    assert.equal(errorOf(real, "verify --jsn"), undefined);
  });

  it("after an unknown command only the global flags are rewritten: commander names the command", () => {
    assert.equal(errorOf(real, "nosuch -foo -json"), undefined);
    assert.equal(rewrite(real, "nosuch -foo -json"), "nosuch -foo --json");
    assert.equal(rewrite(real, "help gate eval -json"), "help gate eval --json");
  });

  it("commander's own spellings come back as they were (apart from --name value joined)", () => {
    for (const words of [
      "verify --json run_demo",
      "gate eval --policy=p.yaml --intent=i.json --json",
      "policy test --fixtures=a --fixtures=b --json",
      "--help",
      "--version",
      "gate --help",
    ])
      assert.equal(rewrite(real, words), words);
  });
});
