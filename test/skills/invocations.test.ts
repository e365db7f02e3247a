/** Finding gait calls in shell text and helper scripts. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { gaitInvocationsInScript, gaitInvocationsInShell } from "../../src/skills/index.ts";

const texts = (found: ReturnType<typeof gaitInvocationsInShell>) =>
  found.map((invocation) =>
    invocation.words.map((word) => (word.literal ? word.text : `{${word.text}}`)).join(" "),
  );

describe("gaitInvocationsInShell", () => {
  it("finds gait calls past assignments, npx, pipes, lists and substitutions; drops redirections and comments", () => {
    const shell = [
      "GAIT_ALLOW_REAL_REPLAY=1 gait run replay x --real-tools  # comment --bogus",
      "npx --no-install gait verify run_demo > out.json 2>&1 && echo done",
      'id=$(gait run record --input "$IN" --json | jq -r .run_id)',
      "echo gait is not a call; gait regress run \\",
      "  --json --junit junit.xml",
      "ls gait",
    ].join("\n");
    const found = gaitInvocationsInShell(shell, 10);
    assert.deepEqual(texts(found), [
      "run replay x --real-tools",
      "verify run_demo",
      "run record --input {$IN} --json",
      "regress run --json --junit junit.xml",
    ]);
    assert.deepEqual(
      found.map((invocation) => invocation.line),
      [10, 11, 12, 13],
    );
  });

  it("keeps quoted words whole and treats <placeholders> as values", () => {
    assert.deepEqual(texts(gaitInvocationsInShell("gait verify <run_id> --public-key 'my key.pub'")), [
      "verify {<run_id>} --public-key my key.pub",
    ]);
  });

  it("reads only prompted lines of console text", () => {
    assert.deepEqual(texts(gaitInvocationsInShell("$ gait demo\ngait output line\n", 1, true)), ["demo"]);
  });

  it("never throws, whatever the text", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        gaitInvocationsInShell(text);
        gaitInvocationsInScript(text);
      }),
    );
  });
});

describe("gaitInvocationsInScript", () => {
  it("reads gait([...]) calls: string literals are words, variables are values, a spread leaves it open", () => {
    const source = [
      'const a = gait(["policy", \'test\', policy, fixtures, "--json"]);',
      "",
      "const b = gait([",
      '  "policy", "simulate", "--baseline", baseline, ...more,',
      "]);",
      'spawnSync("gait", ["not", "this"]);',
    ].join("\n");
    const found = gaitInvocationsInScript(source);
    assert.deepEqual(
      found.map((invocation) => [
        invocation.line,
        invocation.incomplete,
        invocation.words.map((word) => (word.literal ? word.text : `{${word.text}}`)),
      ]),
      [
        [1, false, ["policy", "test", "{policy}", "{fixtures}", "--json"]],
        [3, true, ["policy", "simulate", "--baseline", "{baseline}"]],
      ],
    );
  });
});
