import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CommandContext, CommandOutcome } from "../../src/cli/command.ts";
import { commands } from "../../src/cli/commands/index.ts";
import { colorEnabled, type Streams, writeError, writeOutcome } from "../../src/cli/output.ts";
import { invalidInput } from "../../src/contract/errors.ts";

const ESC = "\u001b[";

function capture(color: boolean): Streams & { out: string; err: string } {
  const streams = {
    out: "",
    err: "",
    stdout: (text: string) => {
      streams.out += text;
    },
    stderr: (text: string) => {
      streams.err += text;
    },
    color: { stdout: color, stderr: color },
  };
  return streams;
}

describe("cli output: colour", () => {
  it("NO_COLOR wins, FORCE_COLOR forces (0/false off), else only a terminal that is not dumb", () => {
    const cases: Array<[NodeJS.ProcessEnv, boolean, boolean]> = [
      [{}, true, true],
      [{}, false, false],
      [{ TERM: "dumb" }, true, false],
      [{ NO_COLOR: "1" }, true, false],
      [{ NO_COLOR: "" }, true, true],
      [{ FORCE_COLOR: "1" }, false, true],
      [{ FORCE_COLOR: "3" }, false, true],
      [{ FORCE_COLOR: "true" }, false, true],
      [{ FORCE_COLOR: "1", TERM: "dumb" }, false, true],
      [{ FORCE_COLOR: "0" }, true, false],
      [{ FORCE_COLOR: "false" }, true, false],
      [{ FORCE_COLOR: "" }, false, false],
      [{ NO_COLOR: "1", FORCE_COLOR: "1" }, true, false],
    ];
    for (const [env, tty, expected] of cases) {
      assert.equal(colorEnabled(env, tty), expected, `${JSON.stringify(env)} tty=${tty}`);
    }
  });

  it("colours verdict= values by verdict, and nothing else of the text", () => {
    const streams = capture(true);
    writeOutcome(
      {
        output: {},
        human: [
          "verdict=allow",
          "verdict=block",
          "verdict=require_approval",
          "verdict=dry_run",
          "default_verdict=block",
          "simulated_verdict=block (not enforced)",
          "verdict=unknown",
        ],
      },
      { json: false, correlationId: "c", warnings: ["careful"] },
      streams,
    );
    assert.equal(
      streams.out,
      [
        `verdict=${ESC}32mallow${ESC}39m`,
        `verdict=${ESC}31mblock${ESC}39m`,
        `verdict=${ESC}33mrequire_approval${ESC}39m`,
        `verdict=${ESC}33mdry_run${ESC}39m`,
        "default_verdict=block",
        "simulated_verdict=block (not enforced)",
        "verdict=unknown",
        "",
      ].join("\n"),
    );
    assert.equal(streams.err, `${ESC}33mwarning:${ESC}39m careful\n`);
  });

  it("never colours JSON, verbatim text, or a stream without colour", () => {
    const json = capture(true);
    writeOutcome({ output: { verdict: "block" } }, { json: true, correlationId: "c", warnings: ["w"] }, json);
    writeError(invalidInput("usage", "bad"), { json: true, correlationId: "c", warnings: [] }, json);
    assert.doesNotMatch(json.out + json.err, /\u001b/);

    const verbatim = capture(true);
    writeOutcome(
      { output: {}, human: "verdict=allow", verbatim: true },
      { json: false, correlationId: "c", warnings: [] },
      verbatim,
    );
    assert.equal(verbatim.out, "verdict=allow\n");

    const plain = capture(false);
    writeOutcome(
      { output: {}, human: "verdict=allow" },
      { json: false, correlationId: "c", warnings: ["w"] },
      plain,
    );
    writeError(invalidInput("usage", "bad"), { json: false, correlationId: "c", warnings: [] }, plain);
    assert.doesNotMatch(plain.out + plain.err, /\u001b/);
  });

  it("error: is red, hint: and see dim", () => {
    const streams = capture(true);
    writeError(
      invalidInput("usage", "bad flag", { hint: "try --x" }),
      { json: false, correlationId: "c", warnings: [], seeHelp: "gait demo" },
      streams,
    );
    assert.equal(
      streams.err,
      `${ESC}31merror:${ESC}39m bad flag\n${ESC}2mhint: try --x${ESC}22m\n${ESC}2msee \`gait demo --help\`${ESC}22m\n`,
    );
  });
});

describe("cli output: usage errors", () => {
  it("a usage error says error, a specific hint, and where the help is; a generic hint is dropped", () => {
    const specific = capture(false);
    writeError(
      invalidInput("usage", "a runpack is required", { hint: "e.g. gait verify run_demo" }),
      { json: false, correlationId: "c", warnings: [], seeHelp: "gait verify" },
      specific,
    );
    assert.equal(
      specific.err,
      "error: a runpack is required\nhint: e.g. gait verify run_demo\nsee `gait verify --help`\n",
    );
    for (const hint of [undefined, "run with --help to see usage"]) {
      const generic = capture(false);
      writeError(
        invalidInput("usage", "--intent is required", hint ? { hint } : {}),
        { json: false, correlationId: "c", warnings: [], seeHelp: "gait gate eval" },
        generic,
      );
      assert.equal(generic.err, "error: --intent is required\nsee `gait gate eval --help`\n");
    }
  });

  it("other errors keep their hint, default or not", () => {
    const streams = capture(false);
    writeError(
      invalidInput("invalid_json", "bad json"),
      { json: false, correlationId: "c", warnings: [] },
      streams,
    );
    assert.equal(streams.err, "error: bad json\nhint: check command usage and input schema\n");
  });
});

describe("cli: completion covers the command specs", () => {
  it("every command path and flag of every spec appears in each script", async () => {
    const completion = commands.find((c) => c.name === "completion");
    assert.ok(completion && completion.kind === "command");
    const program = { name: "gait", version: "0.0.0", explain: "x", commands };
    const ctx = { program } as unknown as CommandContext;
    for (const shell of ["bash", "zsh", "fish"]) {
      const outcome: CommandOutcome = await completion.run([shell], {}, ctx);
      const script = String(outcome.output.script);
      assert.equal(outcome.human, script);
      assert.equal(outcome.verbatim, true);
      const walk = (specs: typeof commands, parent: string): void => {
        for (const spec of specs) {
          const path = `${parent} ${spec.name}`;
          assert.ok(script.includes(`'${path}`), `${shell}: ${path}`);
          const runs = spec.kind === "group" ? spec.defaultCommand : spec;
          for (const opt of runs?.options ?? []) {
            const flag = shell === "fish" ? `-l ${opt.name}` : `--${opt.name}`;
            assert.ok(script.includes(flag), `${shell}: ${path} ${flag}`);
            for (const choice of opt.choices ?? []) assert.ok(script.includes(choice), `${shell}: ${choice}`);
          }
          if (spec.kind === "group") walk(spec.commands, path);
        }
      };
      walk(commands, "gait");
    }
  });
});
