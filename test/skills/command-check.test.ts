/** checkInvocation against the CLI's real command tree: what exists passes, each kind of mistake is named. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { commands } from "../../src/cli/commands/index.ts";
import { checkInvocation, gaitInvocationsInShell } from "../../src/skills/index.ts";

/** The problem codes for one shell line (which must hold exactly one gait call). */
function codesFor(line: string, incomplete = false): string[] {
  const [invocation, ...rest] = gaitInvocationsInShell(line);
  assert.ok(invocation, `no gait call in ${line}`);
  assert.equal(rest.length, 0);
  return checkInvocation(invocation.words, commands, incomplete).map((problem) => problem.code);
}

describe("checkInvocation", () => {
  it("accepts commands that exist, with their flags, values, choices and arguments", () => {
    for (const line of [
      'gait run record --input "$RUN_RECORD" --json',
      "gait run record --input run.json --capture-mode reference --out-dir=./gait-out",
      "gait verify ./gait-out/runpack_run_x.zip -json",
      "gait regress run --json --junit ./gait-out/junit.xml",
      "gait policy test policy.yaml intent.json --json",
      'gait gate eval --policy "$P" --intent - --simulate --json',
      "gait trace -- node agent.js --whatever",
      "gait --version",
      "gait regress --help",
      "gait help regress",
      "gait regress run --allow-nondeterministic=false",
      "gait skills install --target claude --force",
    ]) {
      assert.deepEqual(codesFor(line), [], line);
    }
  });

  it("names unknown commands and bare groups", () => {
    assert.deepEqual(codesFor("gait run recrod run.json"), ["unknown_command"]);
    assert.deepEqual(codesFor("gait capture --from x"), ["unknown_command"]);
    assert.deepEqual(codesFor("gait regress"), ["group_without_command"]);
    assert.deepEqual(codesFor("gait"), ["group_without_command"]);
  });

  it("names unknown flags, missing values and values outside the choices", () => {
    assert.deepEqual(codesFor("gait verify x --no-such-flag"), ["unknown_flag"]);
    assert.deepEqual(codesFor("gait run record run.json --out-dir"), ["flag_value_missing"]);
    assert.deepEqual(codesFor("gait run record run.json --capture-mode everything"), ["flag_value_invalid"]);
    assert.deepEqual(codesFor("gait regress run --json=maybe"), ["flag_value_invalid"]);
    // A value known only at run time may be anything.
    assert.deepEqual(codesFor('gait run record run.json --capture-mode "$MODE"'), []);
  });

  it("checks the positional arguments", () => {
    assert.deepEqual(codesFor("gait policy test only-policy.yaml"), ["argument_missing"]);
    assert.deepEqual(codesFor("gait verify a.zip b.zip"), ["argument_extra"]);
    assert.deepEqual(codesFor("gait completion tcsh"), ["argument_invalid"]);
  });

  it("lets a mention stop short, but still checks what it names", () => {
    assert.deepEqual(codesFor("gait run diff", true), []);
    assert.deepEqual(codesFor("gait regress", true), []);
    assert.deepEqual(codesFor("gait regress rn", true), ["unknown_command"]);
    assert.deepEqual(codesFor("gait verify --bogus", true), ["unknown_flag"]);
  });

  it("never throws, whatever the words", () => {
    const word = fc.record({
      text: fc.oneof(
        fc.string(),
        fc.constantFrom("run", "regress", "--json", "--", "-", "help", "--out-dir"),
      ),
      literal: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(word, { maxLength: 8 }), fc.boolean(), (words, incomplete) => {
        const problems = checkInvocation(words, commands, incomplete);
        assert.ok(Array.isArray(problems));
      }),
    );
  });
});
