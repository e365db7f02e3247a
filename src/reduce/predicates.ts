/**
 * The reducer's predicates, parsed from `--predicate`: the reference's two (`missing_result`: an
 * intent without a result; `non_ok_status`: a result whose status is not ok/success), the gate's
 * verdict on a replayed intent (`verdict:<v>` with a compiled policy), a regress grader failing on
 * the candidate (`regress:<fixture>[/<grader>]`), and a user program (`command:<cmd>`, given the
 * candidate runpack's path as its last argument, exit 0 meaning "still fails").
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { isJsonObject, sha256Hex } from "../contract/canonical.ts";
import { runProcess } from "../contract/process.ts";
import { trimLower } from "../contract/text.ts";
import { fixedClock } from "../contract/time.ts";
import {
  type CompiledPolicy,
  compilePolicy,
  evaluateRequest,
  loadPolicyFile,
  type Verdict,
} from "../gate/index.ts";
import { runRegress } from "../regress/index.ts";
import { type IntentRecord, type Runpack, runpackFileName, runpackZip } from "../runpack/index.ts";
import { invalidInput } from "./error-codes.ts";
import type { Candidate, ReducePredicate } from "./reduce.ts";

export const REFERENCE_PREDICATES = ["missing_result", "non_ok_status"] as const;
const COMMAND_TIMEOUT_MS = 60_000;
export const VERDICTS = ["allow", "block", "require_approval", "dry_run"] as const;
const PREDICATE_FORMS =
  "missing_result, non_ok_status, verdict:<allow|block|require_approval|dry_run>, regress:<fixture>[/<grader>] or command:<cmd>";

/** An intent without a result (the reference's `missing_result`). */
export function hasMissingResult(runpack: Runpack): boolean {
  const withResult = new Set(runpack.results.map((r) => r.intent_id));
  return runpack.intents.some((i) => !withResult.has(i.intent_id));
}

/** A result whose status is neither ok nor success (the reference's `non_ok_status`). */
export function hasNonOkStatus(runpack: Runpack): boolean {
  return runpack.results.some((r) => {
    const status = trimLower(r.status);
    return status !== "ok" && status !== "success";
  });
}

export const missingResultPredicate: ReducePredicate = {
  spec: "missing_result",
  slug: "missingresult",
  deterministic: true,
  holds: (c) => hasMissingResult(c.runpack),
};

export const nonOkStatusPredicate: ReducePredicate = {
  spec: "non_ok_status",
  slug: "nonokstatus",
  deterministic: true,
  holds: (c) => hasNonOkStatus(c.runpack),
};

/** The intent request the gate sees for a recorded intent (its tool and, in raw capture, its args). */
export function intentRequestFor(intent: IntentRecord): Record<string, unknown> {
  const args = intent.args ?? {};
  return {
    schema_id: "gait.gate.intent_request",
    schema_version: "1.0.0",
    created_at: intent.created_at,
    producer_version: intent.producer_version,
    tool_name: intent.tool_name,
    args,
    targets: Array.isArray(args.targets) ? args.targets : [],
    context: isJsonObject(args.context)
      ? args.context
      : { identity: "gait-reduce", workspace: "runpack", risk_class: "low" },
  };
}

/** The gate's verdict on a recorded intent; an intent the gate cannot evaluate is blocked (fail closed). */
export function verdictFor(policy: CompiledPolicy, intent: IntentRecord): Verdict {
  try {
    const at = fixedClock(intent.created_at)();
    return evaluateRequest(policy, intentRequestFor(intent), { now: at }).decision.verdict;
  } catch {
    return "block";
  }
}

export function verdictPredicate(verdict: Verdict, policy: CompiledPolicy): ReducePredicate {
  return {
    spec: `verdict:${verdict}`,
    slug: `verdict-${verdict.replaceAll("_", "")}`,
    deterministic: true,
    holds: (c) => c.runpack.intents.some((intent) => verdictFor(policy, intent) === verdict),
  };
}

/** Writes the candidate's runpack to a fresh temp directory for `use`, removed afterwards. */
async function withCandidateZip<T>(candidate: Candidate, use: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "gait-reduce-"));
  try {
    const built = candidate.build();
    const path = join(dir, runpackFileName(built.runpack.run.run_id));
    await writeFile(path, await runpackZip(built.entries), { mode: 0o600 });
    return await use(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface PredicateContext {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** `--policy`, for verdict:. */
  policy?: string;
  /** `--config` (regress config, default gait.yaml), for regress:. */
  config?: string;
  /** Per-evaluation limit for command: (ms, default 60 s); a run that times out counts as passing. */
  timeoutMs?: number;
}

export function regressPredicate(
  fixture: string,
  grader: string | undefined,
  context: PredicateContext,
): ReducePredicate {
  const wanted = grader === undefined ? `${fixture}/` : `${fixture}/${grader}`;
  return {
    spec: `regress:${fixture}${grader === undefined ? "" : `/${grader}`}`,
    slug: slugOf(`regress-${fixture}${grader === undefined ? "" : `-${grader}`}`),
    deterministic: true,
    holds: (c) =>
      withCandidateZip(c, async (path) => {
        const outcome = await runRegress({
          cwd: context.cwd,
          env: context.env,
          ...(context.config ? { config: context.config } : {}),
          candidate: path,
          output: join(dirname(path), "regress_result.json"),
        });
        const entries = outcome.result.graders.filter((g) =>
          grader === undefined ? g.name.startsWith(wanted) : g.name === wanted,
        );
        if (entries.length === 0) {
          throw invalidInput("reduce_regress_fixture_unknown", `no regress grader ${wanted} in the config`, {
            hint: `graders there: ${outcome.result.graders.map((g) => g.name).join(", ") || "none"}`,
          });
        }
        return entries.some((g) => g.status === "fail");
      }),
  };
}

export function commandPredicate(command: string, context: PredicateContext): ReducePredicate {
  return {
    spec: `command:${command}`,
    slug: `command-${sha256Hex(command).slice(0, 8)}`,
    deterministic: false,
    holds: (c) =>
      withCandidateZip(c, async (path) => {
        // Through the shell, so the command is written as on a command line; the path comes last.
        const run =
          process.platform === "win32"
            ? await runProcess("cmd.exe", ["/d", "/s", "/c", `${command} "${path}"`], processOptions(context))
            : await runProcess("/bin/sh", ["-c", `${command} "$1"`, "sh", path], processOptions(context));
        return run.exitCode === 0;
      }),
  };
}

function processOptions(context: PredicateContext) {
  return {
    cwd: context.cwd,
    env: context.env,
    timeoutMs: context.timeoutMs ?? COMMAND_TIMEOUT_MS,
  };
}

function slugOf(text: string): string {
  return text
    .replaceAll("_", "")
    .replace(/[^A-Za-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 48);
}

/** Parses `--predicate` (loading the policy for verdict:); coded invalid-input errors with hints. */
export async function parsePredicate(spec: string, context: PredicateContext): Promise<ReducePredicate> {
  const text = spec.trim();
  if (text === "missing_result") return missingResultPredicate;
  if (text === "non_ok_status") return nonOkStatusPredicate;
  const colon = text.indexOf(":");
  const kind = colon < 0 ? text : text.slice(0, colon);
  const value = colon < 0 ? "" : text.slice(colon + 1).trim();
  if (kind === "verdict" && (VERDICTS as readonly string[]).includes(value)) {
    if (!context.policy) {
      throw invalidInput("reduce_policy_required", `--predicate ${text} needs --policy <policy.yaml>`, {
        hint: `e.g. gait run reduce --from run_x --predicate ${text} --policy policy.yaml`,
      });
    }
    const loaded = await loadPolicyFile(resolve(context.cwd, context.policy), context.policy);
    return verdictPredicate(value as Verdict, compilePolicy(loaded));
  }
  if (kind === "regress" && value !== "") {
    const [fixture = "", grader, ...rest] = value.split("/");
    if (fixture !== "" && rest.length === 0 && grader !== "")
      return regressPredicate(fixture, grader, context);
  }
  if (kind === "command" && value !== "") return commandPredicate(value, context);
  throw invalidInput("reduce_predicate_invalid", `unknown predicate ${JSON.stringify(spec)}`, {
    hint: `use ${PREDICATE_FORMS}`,
  });
}
