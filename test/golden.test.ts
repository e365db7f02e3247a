/**
 * Golden files (test/golden/<name>.json): the `--json` output of every CLI command, from a
 * deterministic invocation in a fresh temp dir, normalized by `normalize()` below, plus the
 * command line and its exit code. This test only compares; the goldens are (re)written by
 * `npm run golden:update` (scripts/update-golden.mjs), which runs this file with
 * GAIT_UPDATE_GOLDEN=1. Review `git diff test/golden` after an update: every change there is a
 * change of the CLI's output contract.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { type CliResult, gaitBin, repoRoot, runGait, tempDir } from "./helpers/cli.ts";

const goldenDir = join(import.meta.dirname, "golden");
const scenariosDir = join(import.meta.dirname, "scenarios");
const UPDATE = process.env.GAIT_UPDATE_GOLDEN === "1";
const POOL = 4;

/** The reference's public scenario test key pair (CONTRACTS.md §12), so signed outputs are stable. */
const TEST_PRIVATE_KEY =
  "LtpM/6+wOmOVUg1mBgb7PxrBj5J/ypDFAkaPG6bG/rvbjnYgVwkmmtIlRJoBKIqlZE3hvOzsptySWIGTZwoZ6A==";
const TEST_PUBLIC_KEY = "2452IFcJJprSJUSaASiKpWRN4bzs7KbckliBk2cKGeg=";
/** Key ids of committed test keys (the scenario key, and bob's in test/scenarios): kept verbatim. */
const STABLE_KEY_IDS = new Set([
  "8393424682c702d59a923d26924b2d4827711e6c585117077766645e22efeb52",
  "85cb9d26502ecd52b3940a17cea29391f62c65ce6b85166fede50351f845f1d0",
]);

// ---------------------------------------------------------------------------------------------
// normalization

interface NormalizeContext {
  /** The case's temp dir. */
  dir: string;
  /** When the run started (ms since epoch). */
  startedMs: number;
}

/** Timestamps produced from the wall clock during the run (plus TTLs of up to a day). */
const NOW_WINDOW_MS = { before: 5 * 60_000, after: 2 * 86_400_000 };
const RFC3339 = /(?<!\d)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})/g;
const COMPACT_UTC = /(?<!\d)(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/g;

function isNow(ms: number, ctx: NormalizeContext): boolean {
  return ms >= ctx.startedMs - NOW_WINDOW_MS.before && ms <= Date.now() + NOW_WINDOW_MS.after;
}

/**
 * The ONE place where legitimately varying output is replaced by placeholders. Everything else
 * in a golden is compared exactly.
 */
function normalize(value: unknown, ctx: NormalizeContext, key = ""): unknown {
  if (Array.isArray(value)) return value.map((v) => normalize(v, ctx, key));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [normalizeText(k, ctx), normalize(v, ctx, k)]),
    );
  }
  switch (key) {
    // sha256 of argv, and argv holds the absolute path of dist/gait.cjs (and of temp files).
    case "correlation_id":
      return "<correlation_id>";
    // Wall-clock timings.
    case "duration_ms":
    case "latency_ms":
      return "<duration_ms>";
    // Process id of `gait gate serve`.
    case "pid":
      return "<pid>";
    // `gait approve`, `gait delegate mint`: token_id hashes expires_at, which is now + ttl.
    case "token_id":
      return "<token_id>";
    // `gait kill-switch add`: entry_id hashes created_at.
    case "entry_id":
      return "<entry_id>";
  }
  // Ids of keys generated during the run (`keys init`, `keys rotate`, dev-mode keys).
  if (
    typeof value === "string" &&
    (key === "key_id" || key.endsWith("_key_id")) &&
    /^[0-9a-f]{64}$/.test(value) &&
    !STABLE_KEY_IDS.has(value)
  ) {
    return "<ephemeral_key_id>";
  }
  return typeof value === "string" ? normalizeText(value, ctx) : value;
}

function normalizeText(text: string, ctx: NormalizeContext): string {
  let out = text;
  // The case's temp dir (also as its real path), then the machine's temp root: both vary per run.
  for (const dir of new Set([realpathSync(ctx.dir), ctx.dir])) out = out.split(dir).join("<tmp>");
  for (const dir of new Set([realpathSync(tmpdir()), tmpdir()])) {
    out = out.replace(new RegExp(`${escapeRegExp(dir)}(?=$|[/\\s])`, "g"), "<os_tmpdir>");
  }
  // The Node binary the wrappers run (`gait test -- <node> child.mjs`), and its version (doctor).
  out = out.split(process.execPath).join("<node>");
  out = out.split(`Node.js ${process.versions.node}`).join("Node.js <node_version>");
  // Ids of keys generated during the run, named inside messages (the dev-mode key warning).
  out = out.replace(/\(key_id ([0-9a-f]{64})\)/g, (whole, id: string) =>
    STABLE_KEY_IDS.has(id) ? whole : "(key_id <ephemeral_key_id>)",
  );
  // Loopback ports picked by the OS (`gate serve --listen 127.0.0.1:0`).
  out = out.replace(/\b127\.0\.0\.1:(?!0\b)\d+\b/g, "127.0.0.1:<port>");
  // Timestamps of "now": approval expiry, key rotation names. Fixture timestamps are kept.
  out = out.replace(RFC3339, (t) => (isNow(Date.parse(t), ctx) ? "<now>" : t));
  out = out.replace(COMPACT_UTC, (t, y, mo, d, h, mi, s) =>
    isNow(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s), ctx) ? "<now_compact>" : t,
  );
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// ---------------------------------------------------------------------------------------------
// workspaces and cases

interface Workspace {
  dir: string;
  env: NodeJS.ProcessEnv;
  gait(args: string[]): Promise<CliResult>;
  /** Runs a preparation command and insists it exits as expected. */
  setup(args: string[], expectCode?: number): Promise<CliResult>;
  write(path: string, content: string | object, mode?: number): void;
  copyScenario(name: string): void;
}

/** GAIT_* variables of the developer's shell must not reach the CLI; HOME is the workspace's own. */
function isolatedEnv(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { HOME: join(dir, ".home"), USERPROFILE: join(dir, ".home") };
  for (const name of Object.keys(process.env)) if (name.startsWith("GAIT_")) env[name] = "";
  return env;
}

function workspace(dir: string): Workspace {
  mkdirSync(join(dir, ".home"));
  const env = isolatedEnv(dir);
  const ws: Workspace = {
    dir,
    env,
    gait: (args) => runGait(args, { cwd: dir, env }),
    async setup(args, expectCode = 0) {
      const r = await ws.gait(args);
      assert.equal(
        r.code,
        expectCode,
        `setup \`gait ${args.join(" ")}\` exited ${r.code}:\n${r.stdout}${r.stderr}`,
      );
      return r;
    },
    write(path, content, mode) {
      const file = join(dir, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, typeof content === "string" ? content : `${JSON.stringify(content, null, 2)}\n`);
      if (mode !== undefined) chmodSync(file, mode);
    },
    copyScenario(name) {
      cpSync(join(scenariosDir, name), dir, { recursive: true });
    },
  };
  return ws;
}

interface GoldenCase {
  /** Golden file name: test/golden/<name>.json. */
  name: string;
  /** Prepares the temp dir (fixtures, earlier commands). */
  setup?: (ws: Workspace) => Promise<void> | void;
  /** The command under test, --json included. */
  args: string[];
  /** Runs the command differently (e.g. a server that never exits on its own). */
  run?: (ws: Workspace, args: string[]) => Promise<CliResult>;
}

const runInput = {
  run: { run_id: "run_golden", created_at: "2026-02-05T00:00:00Z" },
  intents: [
    { intent_id: "i1", tool_name: "tool.search", args: { q: "gait" } },
    { intent_id: "i2", tool_name: "file.write", args: { path: "out/note.txt", content: "hello" } },
  ],
  results: [
    { intent_id: "i1", status: "ok", result: { hits: 1 } },
    { intent_id: "i2", status: "ok", result: { bytes: 5 } },
  ],
};

function writeKeys(ws: Workspace): void {
  ws.write("keys/gait_private.key", `${TEST_PRIVATE_KEY}\n`, 0o600);
  ws.write("keys/gait_public.key", `${TEST_PUBLIC_KEY}\n`);
}

const PROD_KEY = ["--key-mode", "prod", "--private-key", "keys/gait_private.key"];

const DELEGATE_MINT = [
  "delegate",
  "mint",
  "--delegator",
  "human.lead",
  "--delegate",
  "agent.worker",
  "--scope",
  "tool:tool.write",
  "--scope-class",
  "write",
  "--ttl",
  "1h",
  ...PROD_KEY,
  "--out",
  "delegation.json",
];

const KILL_SWITCH_ADD = [
  "kill-switch",
  "add",
  "--tool",
  "db.drop",
  "--reason",
  "incident_412",
  "--actor",
  "oncall",
  "--no-config",
];

/**
 * The gate cases reuse the approval-granted scenario: its policy, intent, approver key and a
 * token minted for exactly that policy and intent (expiring in 2099).
 */
const GATE_SCENARIO = "approval-granted";
const EVAL = ["gate", "eval", "--policy", "policy.yaml", "--intent", "intent.json", "--no-config", "--json"];

async function recordRuns(ws: Workspace): Promise<void> {
  await ws.setup(["demo"]);
  ws.write("run.json", runInput);
  await ws.setup(["run", "record", "run.json"]);
}

function writePolicyFixtures(ws: Workspace): void {
  ws.copyScenario(GATE_SCENARIO);
  const intent = JSON.parse(readFileSync(join(ws.dir, "intent.json"), "utf8"));
  ws.write("fixtures/write.json", { ...intent, expected_verdict: "require_approval" });
  ws.write("fixtures/read.json", {
    ...intent,
    tool_name: "tool.read",
    targets: [{ kind: "path", value: "/repo/out.txt", operation: "read" }],
    expected_verdict: "allow",
  });
  ws.write(
    "candidate.yaml",
    "default_verdict: block\nrules:\n  - name: allow-writes\n    effect: allow\n    match:\n      tool_names: [tool.write]\n",
  );
}

/** A rate-limit state as gate eval writes it: a tool, an identity and a destructive-budget counter. */
function writeLimitsState(ws: Workspace): void {
  const bucket = "2026-02-18T12:00:00Z";
  ws.write(".gait-out/gate_rate_limits.json", {
    schema_id: "gait.gate.rate_limit_state",
    schema_version: "1.0.0",
    counters: [
      { key: `hour|tool|${bucket}|destructive_budget|tool.write`, count: 1 },
      { key: `hour|tool|${bucket}|tool.write`, count: 3 },
      { key: `minute|identity|${bucket}|agent.a`, count: 2 },
    ],
  });
}

/** A child for the wrappers: it reports one gate trace, as an agent would. */
async function writeWrapperChild(ws: Workspace): Promise<void> {
  ws.copyScenario(GATE_SCENARIO);
  writeKeys(ws);
  await ws.setup([...EVAL, ...PROD_KEY, "--trace-out", "trace.json"], 4);
  ws.write("child.mjs", 'console.log("trace_path=trace.json");\n');
}

/** `gait gate serve` runs until stopped: take its first JSON line, then stop it (SIGTERM, by pid). */
function runServeStartup(ws: Workspace, args: string[]): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [gaitBin, ...args], {
      cwd: ws.dir,
      env: {
        ...process.env,
        NO_COLOR: "1",
        ...ws.env,
        GOLDEN_SIDECAR_TOKEN: "golden-sidecar-token-0123456789",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let firstLine: string | undefined;
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.stdout.on("data", (d) => {
      stdout += d;
      if (firstLine === undefined && stdout.includes("\n")) {
        firstLine = stdout.slice(0, stdout.indexOf("\n") + 1);
        child.kill("SIGTERM");
      }
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      const line = firstLine ?? stdout;
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(line);
      } catch {
        json = undefined;
      }
      // The exit code recorded is the one of a server stopped by SIGTERM.
      resolvePromise({ code: code ?? -1, stdout: line, stderr, json });
    });
  });
}

async function writeIncidentRun(ws: Workspace): Promise<void> {
  writeKeys(ws);
  await ws.setup(["demo"]);
}

const INCIDENT_PACK = [
  "incident",
  "pack",
  "--from",
  "run_demo",
  "--window",
  "876000h",
  "--case-id",
  "INC-42",
  "--out",
  "incident.zip",
  ...PROD_KEY,
  "--json",
];

const SESSION_START = [
  "run",
  "session",
  "start",
  "--journal",
  "sessions/agent.jsonl",
  "--session-id",
  "sess_golden",
  "--run-id",
  "run_golden_session",
];
const SESSION_APPEND = [
  "run",
  "session",
  "append",
  "--journal",
  "sessions/agent.jsonl",
  "--tool",
  "tool.write",
  "--verdict",
  "allow",
  "--trace-id",
  "trace_golden",
];
const SESSION_CHECKPOINT = ["run", "session", "checkpoint", "--journal", "sessions/agent.jsonl", ...PROD_KEY];

async function writeSession(ws: Workspace): Promise<void> {
  writeKeys(ws);
  await ws.setup(SESSION_START);
  await ws.setup(SESSION_APPEND);
}

const cases: GoldenCase[] = [
  { name: "version", args: ["version", "--json"] },
  { name: "demo", args: ["demo", "--json"] },
  { name: "demo-explain", args: ["demo", "--explain", "--json"] },
  { name: "demo-policy", args: ["demo", "--policy", "--json"] },
  { name: "demo-durable", args: ["demo", "--durable", "--json"] },
  {
    name: "verify",
    setup: (ws) => ws.setup(["demo"]).then(() => {}),
    args: ["verify", "run_demo", "--json"],
  },
  {
    name: "verify-signed",
    setup: async (ws) => {
      writeKeys(ws);
      ws.write("run.json", runInput);
      await ws.setup(["run", "record", "run.json", ...PROD_KEY]);
    },
    args: ["verify", "run_golden", "--require-signature", "--public-key", "keys/gait_public.key", "--json"],
  },
  {
    name: "verify-signature-missing",
    setup: async (ws) => {
      writeKeys(ws);
      await ws.setup(["demo"]);
    },
    args: ["verify", "run_demo", "--require-signature", "--public-key", "keys/gait_public.key", "--json"],
  },
  {
    name: "run-record",
    setup: (ws) => ws.write("run.json", runInput),
    args: ["run", "record", "run.json", "--json"],
  },
  {
    name: "run-record-signed",
    setup: (ws) => {
      writeKeys(ws);
      ws.write("run.json", runInput);
    },
    args: ["run", "record", "run.json", "--run-id", "run_signed", ...PROD_KEY, "--json"],
  },
  { name: "run-inspect", setup: recordRuns, args: ["run", "inspect", "run_golden", "--json"] },
  { name: "run-replay", setup: recordRuns, args: ["run", "replay", "run_golden", "--json"] },
  { name: "run-receipt", setup: recordRuns, args: ["run", "receipt", "run_demo", "--json"] },
  { name: "run-diff-identical", setup: recordRuns, args: ["run", "diff", "run_demo", "run_demo", "--json"] },
  { name: "run-diff-changed", setup: recordRuns, args: ["run", "diff", "run_demo", "run_golden", "--json"] },
  { name: "migrate", setup: recordRuns, args: ["migrate", "run_golden", "--json"] },
  { name: "regress-init", setup: recordRuns, args: ["regress", "init", "--from", "run_demo", "--json"] },
  {
    name: "regress-add",
    setup: async (ws) => {
      await recordRuns(ws);
      await ws.setup(["regress", "init", "--from", "run_demo"]);
    },
    args: ["regress", "add", "--from", "run_golden", "--json"],
  },
  {
    name: "regress-run",
    setup: async (ws) => {
      await recordRuns(ws);
      await ws.setup(["regress", "init", "--from", "run_demo"]);
      await ws.setup(["regress", "add", "--from", "run_golden"]);
    },
    args: ["regress", "run", "--junit", "junit.xml", "--json"],
  },
  {
    name: "regress-run-failed",
    setup: async (ws) => {
      await recordRuns(ws);
      await ws.setup(["regress", "init", "--from", "run_demo"]);
    },
    args: ["regress", "run", "--candidate", "./gait-out/runpack_run_golden.zip", "--json"],
  },
  {
    name: "regress-bootstrap",
    setup: recordRuns,
    args: ["regress", "bootstrap", "--from", "run_demo", "--json"],
  },
  {
    name: "gate-eval",
    setup: (ws) => {
      ws.copyScenario(GATE_SCENARIO);
      writeKeys(ws);
    },
    args: [...EVAL, ...PROD_KEY],
  },
  {
    name: "gate-eval-approved",
    setup: (ws) => ws.copyScenario(GATE_SCENARIO),
    args: [
      ...EVAL,
      "--approval-token",
      "tokens/alice.json",
      "--approval-public-key",
      "keys/approver_public.key",
    ],
  },
  {
    name: "gate-eval-simulate",
    setup: (ws) => ws.copyScenario(GATE_SCENARIO),
    args: [...EVAL, "--simulate"],
  },
  {
    name: "gate-eval-explain",
    setup: (ws) => ws.copyScenario(GATE_SCENARIO),
    args: [...EVAL, "--explain"],
  },
  { name: "gate-eval-usage-error", args: ["gate", "eval", "--no-config", "--json"] },
  {
    name: "gate-serve",
    setup: (ws) => {
      ws.copyScenario(GATE_SCENARIO);
      writeKeys(ws);
    },
    args: [
      "gate",
      "serve",
      "--policy",
      "policy.yaml",
      "--listen",
      "127.0.0.1:0",
      "--token-env",
      "GOLDEN_SIDECAR_TOKEN",
      "--no-config",
      ...PROD_KEY,
      "--json",
    ],
    run: runServeStartup,
  },
  {
    name: "gate-limits-show",
    setup: writeLimitsState,
    args: ["gate", "limits", "show", "--no-config", "--json"],
  },
  {
    name: "gate-limits-reset",
    setup: writeLimitsState,
    args: ["gate", "limits", "reset", "--tool", "tool.write", "--no-config", "--json"],
  },
  {
    name: "approve",
    setup: writeKeys,
    args: [
      "approve",
      "--intent-digest",
      "1".repeat(64),
      "--policy-digest",
      "2".repeat(64),
      "--ttl",
      "1h",
      "--scope",
      "tool:tool.write,phase:apply",
      "--approver",
      "alice",
      "--reason-code",
      "change_4711",
      "--max-targets",
      "2",
      ...PROD_KEY,
      "--out",
      "token.json",
      "--json",
    ],
  },
  {
    name: "delegate-mint",
    setup: writeKeys,
    args: [...DELEGATE_MINT, "--json"],
  },
  {
    name: "delegate-verify",
    setup: async (ws) => {
      writeKeys(ws);
      await ws.setup(DELEGATE_MINT);
    },
    args: [
      "delegate",
      "verify",
      "delegation.json",
      "--public-key",
      "keys/gait_public.key",
      "--delegate",
      "agent.worker",
      "--scope",
      "tool:tool.write",
      "--json",
    ],
  },
  { name: "kill-switch-add", args: [...KILL_SWITCH_ADD, "--json"] },
  {
    name: "kill-switch-list",
    setup: (ws) => ws.setup(KILL_SWITCH_ADD).then(() => {}),
    args: ["kill-switch", "list", "--no-config", "--json"],
  },
  { name: "skills-list", args: ["skills", "list", "--target", "claude", "--json"] },
  {
    name: "trace-verify",
    setup: async (ws) => {
      ws.copyScenario(GATE_SCENARIO);
      writeKeys(ws);
      await ws.setup([...EVAL, ...PROD_KEY, "--trace-out", "trace.json"], 4);
    },
    args: ["trace", "verify", "trace.json", "--public-key", "keys/gait_public.key", "--json"],
  },
  { name: "policy-init", args: ["policy", "init", "baseline-highrisk", "--out", "policy.yaml", "--json"] },
  {
    name: "policy-validate",
    setup: (ws) => ws.copyScenario(GATE_SCENARIO),
    args: ["policy", "validate", "policy.yaml", "--json"],
  },
  {
    name: "policy-validate-invalid",
    setup: (ws) =>
      ws.write("policy.yaml", "default_verdict: block\nrules:\n  - name: typo\n    efect: allow\n"),
    args: ["policy", "validate", "policy.yaml", "--json"],
  },
  {
    name: "policy-fmt",
    setup: (ws) => ws.setup(["policy", "init", "baseline-mediumrisk", "--out", "policy.yaml"]).then(() => {}),
    args: ["policy", "fmt", "policy.yaml", "--json"],
  },
  {
    name: "policy-fmt-write",
    setup: (ws) => ws.setup(["policy", "init", "baseline-mediumrisk", "--out", "policy.yaml"]).then(() => {}),
    args: ["policy", "fmt", "policy.yaml", "--write", "--json"],
  },
  {
    name: "policy-test",
    setup: (ws) => ws.copyScenario(GATE_SCENARIO),
    args: ["policy", "test", "policy.yaml", "intent.json", "--json"],
  },
  {
    name: "policy-test-fixtures",
    setup: writePolicyFixtures,
    args: ["policy", "test", "policy.yaml", "fixtures", "--json"],
  },
  {
    name: "policy-simulate",
    setup: writePolicyFixtures,
    args: [
      "policy",
      "simulate",
      "--baseline",
      "policy.yaml",
      "--policy",
      "candidate.yaml",
      "--fixtures",
      "fixtures",
      "--json",
    ],
  },
  { name: "keys-init", args: ["keys", "init", "--out-dir", "keys", "--json"] },
  {
    name: "keys-rotate",
    setup: (ws) => ws.setup(["keys", "init", "--out-dir", "keys"]).then(() => {}),
    args: ["keys", "rotate", "--out-dir", "keys", "--json"],
  },
  {
    name: "keys-verify",
    setup: writeKeys,
    args: [
      "keys",
      "verify",
      "--private-key",
      "keys/gait_private.key",
      "--public-key",
      "keys/gait_public.key",
      "--json",
    ],
  },
  { name: "init", args: ["init", "--json"] },
  { name: "check", setup: (ws) => ws.setup(["init"]).then(() => {}), args: ["check", "--json"] },
  { name: "doctor", setup: (ws) => ws.setup(["init"]).then(() => {}), args: ["doctor", "--json"] },
  {
    name: "doctor-production-readiness",
    setup: (ws) => ws.setup(["init"]).then(() => {}),
    args: ["doctor", "--production-readiness", "--json"],
  },
  {
    name: "doctor-key-flags",
    setup: async (ws) => {
      writeKeys(ws);
      await ws.setup(["init"]);
    },
    args: [
      "doctor",
      "--workdir",
      ".",
      "--output-dir",
      "out",
      ...PROD_KEY,
      "--public-key",
      "keys/gait_public.key",
      "--json",
    ],
  },
  { name: "test", setup: writeWrapperChild, args: ["test", "--json", "--", process.execPath, "child.mjs"] },
  {
    name: "enforce",
    setup: writeWrapperChild,
    args: ["enforce", "--json", "--", process.execPath, "child.mjs"],
  },
  {
    name: "trace",
    setup: writeWrapperChild,
    args: ["trace", "--public-key", "keys/gait_public.key", "--json", "--", process.execPath, "child.mjs"],
  },
  // Around the demo run alone: traces and audits written now would make the pack id vary.
  { name: "incident-pack", setup: writeIncidentRun, args: INCIDENT_PACK },
  {
    name: "incident-timeline",
    setup: async (ws) => {
      await writeIncidentRun(ws);
      await ws.setup(INCIDENT_PACK);
    },
    args: ["incident", "timeline", "incident.zip", "--public-key", "keys/gait_public.key", "--json"],
  },
  {
    name: "guard-retain-dry-run",
    setup: async (ws) => {
      writeKeys(ws);
      await ws.setup(["demo"]);
    },
    args: [
      "guard",
      "retain",
      "--root",
      "gait-out",
      "--now",
      "2099-01-01T00:00:00Z",
      "--dry-run",
      "--report-out",
      "retention_report.json",
      ...PROD_KEY,
      "--no-config",
      "--json",
    ],
  },
  { name: "run-session-start", args: [...SESSION_START, "--json"] },
  {
    name: "run-session-append",
    setup: (ws) => ws.setup(SESSION_START).then(() => {}),
    args: [...SESSION_APPEND, "--json"],
  },
  {
    name: "verify-session-chain",
    setup: async (ws) => {
      await writeSession(ws);
      await ws.setup(SESSION_CHECKPOINT);
    },
    args: ["verify", "session-chain", "--chain", "sessions/agent_chain.json", "--json"],
  },
  {
    name: "export-log",
    setup: recordRuns,
    args: [
      "export",
      "--from",
      "gait-out/runpack_run_golden.zip",
      "--log-out",
      "decisions.jsonl",
      "--no-config",
      "--json",
    ],
  },
  { name: "mcp-pins-list", args: ["mcp", "pins", "list", "--json"] },
];

// ---------------------------------------------------------------------------------------------
// running, comparing, updating

interface Golden {
  command: string;
  exit_code: number;
  output: unknown;
}

async function produce(c: GoldenCase): Promise<Golden> {
  const { dir, cleanup } = tempDir(`gait-golden-${c.name}-`);
  try {
    const ws = workspace(dir);
    const startedMs = Date.now();
    await c.setup?.(ws);
    const result = await (c.run ?? ((w, args) => w.gait(args)))(ws, c.args);
    if (result.json === undefined) {
      throw new Error(
        `gait ${c.args.join(" ")} printed no JSON object (exit ${result.code}):\n${result.stdout}${result.stderr}`,
      );
    }
    const ctx = { dir, startedMs };
    return {
      command: normalizeText(`gait ${c.args.join(" ")}`, ctx),
      exit_code: result.code,
      output: normalize(result.json, ctx),
    };
  } finally {
    cleanup();
  }
}

function goldenText(golden: Golden): string {
  return `${JSON.stringify(golden, null, 2)}\n`;
}

/** A line diff (longest common subsequence) with two lines of context around each change. */
function lineDiff(expected: string, actual: string): string {
  const a = expected.split("\n");
  const b = actual.split("\n");
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const ops: Array<{ tag: " " | "-" | "+"; line: string }> = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push({ tag: " ", line: a[i++]! });
      j++;
    } else if (i < a.length && (j >= b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      ops.push({ tag: "-", line: a[i++]! });
    } else {
      ops.push({ tag: "+", line: b[j++]! });
    }
  }
  const near = (k: number) => ops.slice(Math.max(0, k - 2), k + 3).some((o) => o.tag !== " ");
  const lines: string[] = [];
  let skipped = false;
  ops.forEach((op, k) => {
    if (op.tag !== " " || near(k)) {
      if (skipped) lines.push("  ...");
      skipped = false;
      lines.push(`${op.tag} ${op.line}`);
    } else {
      skipped = true;
    }
  });
  return lines.join("\n");
}

function goldenPath(name: string): string {
  return join(goldenDir, `${name}.json`);
}

describe(`golden --json outputs (test/golden/*.json)${UPDATE ? " [UPDATE MODE]" : ""}`, () => {
  const produced = new Map<string, Golden | Error>();

  before(async () => {
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const c = cases[next++]!;
        try {
          produced.set(c.name, await produce(c));
        } catch (error) {
          produced.set(c.name, error as Error);
        }
      }
    };
    await Promise.all(Array.from({ length: POOL }, worker));
    if (UPDATE) {
      mkdirSync(goldenDir, { recursive: true });
      for (const [name, golden] of produced) {
        if (!(golden instanceof Error)) writeFileSync(goldenPath(name), goldenText(golden));
      }
      for (const file of readdirSync(goldenDir)) {
        if (file.endsWith(".json") && !produced.has(file.slice(0, -".json".length))) {
          rmSync(join(goldenDir, file));
        }
      }
    }
  });
  after(() => produced.clear());

  it("has no golden file without a case (stale goldens are removed by golden:update)", () => {
    const names = new Set(cases.map((c) => c.name));
    const stale = existsSync(goldenDir)
      ? readdirSync(goldenDir).filter((f) => f.endsWith(".json") && !names.has(f.slice(0, -".json".length)))
      : [];
    assert.deepEqual(stale, [], "run `npm run golden:update` to remove them");
  });

  for (const c of cases) {
    it(c.name, () => {
      const golden = produced.get(c.name);
      if (!golden) throw new Error(`case ${c.name} did not run`);
      if (golden instanceof Error) throw golden;
      const path = goldenPath(c.name);
      const where = relative(repoRoot, path);
      if (!existsSync(path)) {
        throw new Error(`${where} is missing: run \`npm run golden:update\``);
      }
      // Compared as parsed JSON re-printed the same way, so formatting of the file does not matter
      // but key order does.
      const expected = goldenText(JSON.parse(readFileSync(path, "utf8")) as Golden);
      const actual = goldenText(golden);
      if (expected !== actual) {
        const message =
          `${where} differs from \`${golden.command}\` (- golden, + actual):\n${lineDiff(expected, actual)}\n` +
          "If the change is intended, run `npm run golden:update` and review git diff test/golden.";
        const error = new Error(message);
        error.stack = message;
        throw error;
      }
    });
  }
});
