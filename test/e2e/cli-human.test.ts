/**
 * Human output (issue 12): what `gait gate eval` says on require_approval, colour on a terminal
 * and plain when piped, one-line usage errors, the help and version forms, `gait --json` alone,
 * and shell completion scripts. The tests' stdout is a pipe, so colour is tested with FORCE_COLOR.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { repoRoot, runGait, tempDir } from "../helpers/cli.ts";

const ESC = /\u001b\[/;
/** The env of a colour test: runGait sets NO_COLOR=1, and an empty value means unset. */
const FORCED = { NO_COLOR: "", FORCE_COLOR: "1" };
const PIPED = { NO_COLOR: "", FORCE_COLOR: "" };

/** A missing shell skips the test visibly, except in CI, where .ci/run installs it: then it must run. */
function shellSkip(shell: string): false | string {
  if (hasShell(shell) || process.env.CI === "true") return false;
  return `${shell} is not installed`;
}

function hasShell(shell: string): boolean {
  return spawnSync(shell, ["-c", "exit 0"], { stdio: "ignore" }).status === 0;
}

describe("gate eval human output", () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir());
    for (const scenario of [
      "default-allow",
      "default-block",
      "default-dry-run",
      "default-require-approval",
    ]) {
      cpSync(join(repoRoot, "test/scenarios", scenario), join(dir, scenario), { recursive: true });
    }
  });
  after(() => cleanup());

  const evalIn = (scenario: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) =>
    runGait(["gate", "eval", "--policy", "policy.yaml", "--intent", "intent.json", "--no-config", ...extra], {
      cwd: join(dir, scenario),
      env,
    });

  it("require_approval prints both digests and the exact gait approve command", async () => {
    const human = await evalIn("default-require-approval");
    assert.equal(human.code, 4);
    const json = await evalIn("default-require-approval", ["--json"]);
    const request = json.json?.approval_request as Record<string, unknown>;
    assert.ok(request, "the decision JSON carries approval_request");
    const lines = human.stdout.split("\n");
    assert.equal(lines[0], "verdict=require_approval");
    assert.ok(lines.includes(`intent_digest=${json.json?.intent_digest}`), human.stdout);
    assert.ok(lines.includes(`policy_digest=${json.json?.policy_digest}`), human.stdout);
    assert.match(String(request.command), /^gait approve --intent-digest [0-9a-f]{64} --policy-digest /);
    assert.ok(lines.includes(`  ${request.command}`), "the command, verbatim, on its own line");
    assert.ok(lines.includes(`approvals=0 of ${request.min_approvals}`), human.stdout);
    assert.match(human.stdout, /re-run this command with --approval-token <token file>/);
    assert.equal(lines.at(-2), "do not execute the tool call unless the verdict is allow");
    assert.doesNotMatch(human.stdout, ESC);
  });

  it("other verdicts print no approval lines", async () => {
    for (const scenario of ["default-allow", "default-block", "default-dry-run"]) {
      const r = await evalIn(scenario);
      assert.doesNotMatch(r.stdout, /gait approve|intent_digest=/, scenario);
    }
  });

  it("verdicts are coloured with FORCE_COLOR: allow green, block red, require_approval and dry_run yellow", async () => {
    const expected: Record<string, string> = {
      "default-allow": "\u001b[32mallow\u001b[39m",
      "default-block": "\u001b[31mblock\u001b[39m",
      "default-dry-run": "\u001b[33mdry_run\u001b[39m",
      "default-require-approval": "\u001b[33mrequire_approval\u001b[39m",
    };
    for (const [scenario, verdict] of Object.entries(expected)) {
      const r = await evalIn(scenario, [], FORCED);
      assert.equal(r.stdout.split("\n")[0], `verdict=${verdict}`, scenario);
      // The dev-key warning, when there is one, has a yellow label.
      if (r.stderr !== "") assert.match(r.stderr, /^\u001b\[33mwarning:\u001b\[39m /m, scenario);
    }
  });

  it("plain when piped, with NO_COLOR (even with FORCE_COLOR), and with FORCE_COLOR=0", async () => {
    for (const env of [
      PIPED,
      { NO_COLOR: "1" },
      { NO_COLOR: "1", FORCE_COLOR: "1" },
      { NO_COLOR: "", FORCE_COLOR: "0" },
    ]) {
      const r = await evalIn("default-block", [], env);
      assert.equal(r.code, 3);
      assert.doesNotMatch(r.stdout + r.stderr, ESC, JSON.stringify(env));
      assert.equal(r.stdout.split("\n")[0], "verdict=block");
    }
  });

  it("--json never contains escape codes, even with FORCE_COLOR", async () => {
    for (const scenario of ["default-allow", "default-block", "default-require-approval"]) {
      const r = await evalIn(scenario, ["--json"], FORCED);
      assert.doesNotMatch(r.stdout + r.stderr, ESC, scenario);
      assert.ok(r.json, "one JSON object");
    }
    for (const args of [
      ["gate", "eval", "--bogus", "--json"],
      ["nosuch", "--json"],
      ["version", "--json"],
      ["--json"],
    ]) {
      const r = await runGait(args, { env: FORCED });
      assert.doesNotMatch(r.stdout + r.stderr, ESC, args.join(" "));
      assert.ok(r.json, args.join(" "));
    }
  });
});

describe("usage errors: one line and where the help is", () => {
  const cases: Array<{ args: string[]; error: string; see: string }> = [
    { args: ["gate", "eval", "--bogus"], error: "unknown option --bogus", see: "gait gate eval" },
    { args: ["completion"], error: "missing required argument shell", see: "gait completion" },
    {
      args: ["verify", "--profile", "nope"],
      error: "option --profile <profile> argument nope is invalid. Allowed choices are standard, strict.",
      see: "gait verify",
    },
    { args: ["gate"], error: "missing subcommand", see: "gait gate" },
    { args: ["nosuch"], error: "unknown command: nosuch", see: "gait" },
    { args: ["help", "nosuch"], error: "unknown command: nosuch", see: "gait" },
    { args: ["gate", "help", "nosuch"], error: "unknown command: nosuch", see: "gait gate" },
    // Found by the command itself, with no specific hint.
    { args: ["gate", "eval", "--no-config"], error: "--intent is required", see: "gait gate eval" },
  ];

  for (const { args, error, see } of cases) {
    it(`gait ${args.join(" ")}`, async () => {
      const r = await runGait(args);
      assert.equal(r.code, 6);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr, `error: ${error}\nsee \`${see} --help\`\n`);
      const json = await runGait([...args, "--json"]);
      assert.equal(json.code, 6);
      assert.equal(json.json?.error_code, "invalid_input");
      assert.equal(json.json?.detail_code, "usage");
      assert.equal(json.json?.error_category, "invalid_input");
      assert.equal(json.json?.error, error);
      assert.equal(json.stderr, "");
    });
  }

  it("a command's specific hint stays, between the error and the see line", async () => {
    const r = await runGait(["verify"]);
    assert.equal(r.code, 6);
    assert.equal(
      r.stderr,
      "error: a runpack run_id or path is required\nhint: e.g. gait verify run_demo\nsee `gait verify --help`\n",
    );
  });

  it("error: is red and see dim with FORCE_COLOR", async () => {
    const r = await runGait(["gate", "eval", "--bogus"], { env: FORCED });
    assert.equal(
      r.stderr,
      "\u001b[31merror:\u001b[39m unknown option --bogus\n\u001b[2msee `gait gate eval --help`\u001b[22m\n",
    );
  });
});

describe("help and version forms", () => {
  it("gait help <cmd…> and gait <group> help <sub> print that command's help", async () => {
    const reference = await runGait(["gate", "eval", "--help"]);
    assert.equal(reference.code, 0);
    assert.match(reference.stdout, /^Usage: gait gate eval/);
    for (const args of [
      ["help", "gate", "eval"],
      ["gate", "help", "eval"],
    ]) {
      const r = await runGait(args);
      assert.equal(r.code, 0, args.join(" "));
      assert.equal(r.stdout, reference.stdout, args.join(" "));
      assert.equal(r.stderr, "");
    }
    const group = await runGait(["help", "gate"]);
    assert.equal(group.stdout, (await runGait(["gate", "--help"])).stdout);
    const root = await runGait(["help"]);
    assert.equal(root.code, 0);
    assert.equal(root.stdout, (await runGait(["--help"])).stdout);
    assert.match(root.stdout, /help \[command\.\.\.\]\s+show help for a command/);
  });

  it("gait -v and gait --version print the version; with --json one object", async () => {
    const version = (await runGait(["version", "--json"])).json?.version;
    assert.equal(typeof version, "string");
    for (const flag of ["-v", "--version"]) {
      const r = await runGait([flag]);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, `${version}\n`);
      const json = await runGait([flag, "--json"]);
      assert.equal(json.code, 0);
      assert.equal(json.stdout.split("\n").length, 2, "one line");
      assert.deepEqual(Object.keys(json.json ?? {}), ["correlation_id", "ok", "version"]);
      assert.equal(json.json?.ok, true);
      assert.equal(json.json?.version, version);
    }
  });

  it("gait --json alone lists the commands with their explain", async () => {
    const r = await runGait(["--json"]);
    assert.equal(r.code, 0);
    assert.equal(r.json?.ok, true);
    assert.equal(r.json?.name, "gait");
    const commands = r.json?.commands as Array<{ name: string; explain: string; commands?: unknown[] }>;
    const names = commands.map((c) => c.name);
    for (const name of ["demo", "verify", "gate", "completion", "version"])
      assert.ok(names.includes(name), name);
    for (const c of commands) assert.ok(c.explain.length > 0, c.name);
    const gate = commands.find((c) => c.name === "gate");
    const gateNames = ((gate?.commands ?? []) as Array<{ name: string }>).map((c) => c.name);
    assert.deepEqual(gateNames.slice(0, 2), ["eval", "serve"]);
    assert.match(String(r.json?.correlation_id), /^[0-9a-f]{24}$/);
  });
});

describe("gait completion", () => {
  let dir: string;
  let cleanup: () => void;
  const scripts: Record<string, string> = {};
  /** gate's subcommands, in spec order, as `gait --json` lists them. */
  let gateWords: string[] = [];
  before(async () => {
    ({ dir, cleanup } = tempDir());
    const listing = (await runGait(["--json"])).json?.commands as Array<{ name: string; commands?: [] }>;
    gateWords = (listing.find((c) => c.name === "gate")?.commands ?? []).map((c: { name: string }) => c.name);
    for (const shell of ["bash", "zsh", "fish"]) {
      const r = await runGait(["completion", shell], { env: FORCED });
      assert.equal(r.code, 0, r.stderr);
      scripts[shell] = r.stdout;
      writeFileSync(join(dir, `gait.${shell}`), r.stdout);
    }
  });
  after(() => cleanup());

  it("scripts are plain text even with FORCE_COLOR", () => {
    for (const script of Object.values(scripts)) assert.doesNotMatch(script, ESC);
  });

  it("--json, --explain and --help", async () => {
    const json = await runGait(["completion", "bash", "--json"]);
    assert.equal(json.code, 0);
    assert.equal(json.json?.shell, "bash");
    assert.equal(`${json.json?.script}`, scripts.bash);
    const explain = await runGait(["completion", "--explain"]);
    assert.equal(explain.code, 0);
    assert.match(explain.stdout, /^Print a shell completion script/);
    const help = await runGait(["completion", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: gait completion \[options\] <shell>/);
    const bad = await runGait(["completion", "tcsh", "--json"]);
    assert.equal(bad.code, 6);
    assert.equal(bad.json?.error_code, "invalid_input");
    assert.equal(bad.json?.detail_code, "usage");
  });

  it("bash: bash -n passes, and it completes commands, flags and choices", () => {
    const file = join(dir, "gait.bash");
    const syntax = spawnSync("bash", ["-n", file], { encoding: "utf8" });
    assert.equal(syntax.status, 0, syntax.stderr);
    // Drive _gait as bash's completion would: COMP_WORDS/COMP_CWORD in, COMPREPLY out.
    const probe = [
      `source ${JSON.stringify(file)}`,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: bash code
      'comp() { COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=(); _gait; echo "${COMPREPLY[*]}"; }',
      'comp gait ""',
      'comp gait gate ""',
      "comp gait gate eval --pro",
      'comp gait gate eval --profile ""',
      "comp gait verify --profile = s",
      'comp gait help gate ""',
      'comp gait completion ""',
      'comp gait gate eval --policy gate ""',
      'comp gait trace -- gait ""',
    ].join("\n");
    const r = spawnSync("bash", ["--norc", "--noprofile", "-c", probe], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const [top, gate, flag, choice, eqChoice, helpGate, shells, fileValue, wrapped] = r.stdout.split("\n");
    assert.match(top!, /^demo verify run gate .* completion help$/);
    assert.equal(gate, [...gateWords, "help"].join(" "));
    assert.equal(flag, "--profile");
    assert.equal(choice, "standard oss-prod");
    assert.equal(eqChoice, "standard strict");
    assert.equal(helpGate, gate);
    assert.equal(shells, "bash zsh fish");
    assert.equal(fileValue, "", "a file-valued flag leaves it to file completion");
    assert.equal(wrapped, "", "after -- the wrapped command's words are files");
  });

  it("zsh: zsh -n passes", { skip: shellSkip("zsh") }, () => {
    const r = spawnSync("zsh", ["-n", join(dir, "gait.zsh")], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(scripts.zsh!, /^#compdef gait\n/);
  });

  it("fish: fish -n passes, and complete -C offers commands, flags and choices", {
    skip: shellSkip("fish"),
  }, () => {
    const file = join(dir, "gait.fish");
    const syntax = spawnSync("fish", ["--no-config", "-n", file], { encoding: "utf8" });
    assert.equal(syntax.status, 0, syntax.stderr);
    const probe = [
      `source ${JSON.stringify(file)}`,
      ...["gait gate ", "gait gate eval --pro", "gait gate eval --profile ", "gait completion "].map(
        (line) => `complete -C ${JSON.stringify(line)} | string replace -r '\\t.*' '' | string join ' '`,
      ),
    ].join("\n");
    const r = spawnSync("fish", ["--no-config", "-c", probe], { encoding: "utf8", cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    const [gate, flag, choice, shells] = r.stdout.split("\n");
    assert.equal(gate, [...gateWords, "help"].sort().join(" "));
    assert.equal(flag, "--profile");
    assert.equal(choice, "oss-prod standard");
    assert.equal(shells, "bash fish zsh");
  });
});
