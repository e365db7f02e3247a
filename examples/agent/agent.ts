/**
 * An agent guarded by the Gait SDK — no network, no model. A scripted planner asks for three
 * tool calls under examples/agent/policy.yaml:
 *
 *   1. read  /workspace/notes.txt    → allow: the tool runs
 *   2. delete /workspace/notes.txt   → block: the tool never runs, the file stays
 *   3. write /workspace/summary.txt  → require_approval: refused; a (scripted) human mints an
 *      approval token for exactly that intent, and the planner resumes the call, which now runs
 *
 * Every decision leaves a signed trace (verified at the end) and every call is recorded into a
 * runpack. Run it:  node --import tsx examples/agent/agent.ts
 * In your own project, import from "gait" instead of "../../src/sdk/index.ts".
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import {
  createGate,
  encodePrivateKey,
  encodePublicKey,
  type GateDecision,
  generateSigningKey,
  guardTool,
  type IntentRequest,
  isToolRefused,
  mintApprovalToken,
  parsePrivateKey,
  parsePublicKey,
  startRun,
  systemClock,
  type Verdict,
  verifyTrace,
} from "../../src/sdk/index.ts";

export const POLICY_PATH = join(import.meta.dirname, "policy.yaml");
const WORKSPACE = "/workspace";

export interface PlannedCall {
  tool: "read" | "write" | "delete";
  path: string;
  content?: string;
}

/** The scripted planner: what a model would have asked for. */
export const PLAN: readonly PlannedCall[] = [
  { tool: "read", path: "/workspace/notes.txt" },
  { tool: "delete", path: "/workspace/notes.txt" },
  { tool: "write", path: "/workspace/summary.txt", content: "notes reviewed; nothing deleted\n" },
];

export interface StepReport {
  call: PlannedCall;
  status: "executed" | "refused";
  /** Verdicts in order, one per attempt (a resumed call has two). */
  verdicts: Verdict[];
  /** Reason codes of the last decision. */
  reasonCodes: string[];
  traceIds: string[];
  result?: string;
  approvedBy?: string;
}

export interface AgentReport {
  workDir: string;
  steps: StepReport[];
  /** How many times each tool function actually ran. */
  toolRuns: Record<PlannedCall["tool"], number>;
  traces: Array<{ file: string; traceId: string; verdict: string; verified: boolean }>;
  runpack: { path: string; manifestDigest: string };
}

export async function runExampleAgent(options: { workDir?: string } = {}): Promise<AgentReport> {
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), "gait-example-agent-"));
  const root = join(workDir, "workspace");
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, "notes.txt"), "release checklist: tag, build, publish\n");
  const keys = writeKeys(join(workDir, "keys"));
  const traceDir = join(workDir, "traces");

  const gate = await createGate({
    policy: POLICY_PATH,
    keyMode: "prod",
    privateKey: { path: keys.tracePrivate },
    approvalPublicKey: { path: keys.approverPublic },
    traceDir,
  });
  const recorder = startRun({ runId: "run_example_agent", cwd: workDir, outDir: "runpacks" });

  // The tools: real file operations, confined to the workspace folder.
  const toolRuns = { read: 0, write: 0, delete: 0 };
  const onDisk = (path: string) => join(root, relative(WORKSPACE, path));
  const tools = {
    read: async (path: string) => {
      toolRuns.read++;
      return readFile(onDisk(path), "utf8");
    },
    delete: async (path: string) => {
      toolRuns.delete++;
      rmSync(onDisk(path));
      return `deleted ${path}`;
    },
    write: async (path: string, content = "") => {
      toolRuns.write++;
      writeFileSync(onDisk(path), content);
      return `wrote ${content.length} bytes to ${path}`;
    },
  };

  // Approval tokens a human minted, by the intent digest each is bound to.
  const approvals = new Map<string, unknown[]>();
  let current: StepReport | undefined;
  const guard = {
    gate,
    recorder,
    approvalTokens: ({ intentDigest }: { intentDigest: string }) => approvals.get(intentDigest),
    onDecision: (decision: GateDecision) => {
      current?.traceIds.push(decision.traceId);
      if (current) current.reasonCodes = decision.reasonCodes;
    },
  };
  const guarded = {
    read: guardTool(tools.read, (path) => fileIntent("tool.read", "read", path), guard),
    delete: guardTool(tools.delete, (path) => fileIntent("tool.delete", "delete", path), guard),
    write: guardTool(tools.write, (path, content) => fileIntent("tool.write", "write", path, content), guard),
  };

  const steps: StepReport[] = [];
  for (const call of PLAN) {
    const step: StepReport = { call, status: "refused", verdicts: [], reasonCodes: [], traceIds: [] };
    steps.push(step);
    current = step;
    for (let attempt = 1; attempt <= 2; attempt++) {
      try {
        step.result = await guarded[call.tool](call.path, call.content);
        step.status = "executed";
        step.verdicts.push("allow");
        break;
      } catch (error) {
        if (!isToolRefused(error)) throw error;
        step.verdicts.push(error.verdict);
        if (!error.approval || attempt > 1) break;
        // The human in the loop: reviews the refusal and signs a token for exactly this intent.
        const token = mintApprovalToken(
          {
            intentDigest: error.approval.intentDigest,
            policyDigest: error.approval.policyDigest,
            scope: error.approval.scope,
            approver: "alice@example.com",
            reasonCode: "example_reviewed_write",
            ttlNanos: 3_600_000_000_000n,
            now: systemClock(),
          },
          parsePrivateKey(readFileSync(keys.approverPrivate, "utf8"), keys.approverPrivate),
        );
        approvals.set(error.approval.intentDigest, [token]);
        step.approvedBy = token.approver_identity;
      }
    }
  }

  const stats = await gate.close();
  if (stats.failed > 0) throw new Error(`${stats.failed} traces could not be written`);
  const runpack = await recorder.finish();
  return {
    workDir,
    steps,
    toolRuns,
    traces: verifyTraces(traceDir, keys.tracePublic),
    runpack: { path: runpack.path, manifestDigest: runpack.manifestDigest },
  };
}

function fileIntent(toolName: string, operation: string, path: string, content?: string): IntentRequest {
  return {
    schema_id: "gait.gate.intent_request",
    schema_version: "1.0.0",
    tool_name: toolName,
    args: content === undefined ? { path } : { path, content },
    targets: [{ kind: "path", value: path, operation }],
    arg_provenance: [{ arg_path: "$.path", source: "user" }],
    context: { identity: "agent.example", workspace: WORKSPACE, risk_class: "medium", session_id: "example" },
  };
}

/** Two prod key pairs in `dir`: one signs traces, the other (the approver's) signs approval tokens. */
function writeKeys(dir: string) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const paths = {
    tracePrivate: join(dir, "gait_private.key"),
    tracePublic: join(dir, "gait_public.key"),
    approverPrivate: join(dir, "approver_private.key"),
    approverPublic: join(dir, "approver_public.key"),
  };
  for (const [privatePath, publicPath] of [
    [paths.tracePrivate, paths.tracePublic],
    [paths.approverPrivate, paths.approverPublic],
  ] as const) {
    const key = generateSigningKey();
    writeFileSync(privatePath, `${encodePrivateKey(key)}\n`, { mode: 0o600 });
    writeFileSync(publicPath, `${encodePublicKey(key)}\n`, { mode: 0o644 });
  }
  return paths;
}

function verifyTraces(traceDir: string, publicKeyPath: string): AgentReport["traces"] {
  const key = parsePublicKey(readFileSync(publicKeyPath, "utf8"), publicKeyPath);
  return readdirSync(traceDir)
    .filter((file) => file.startsWith("trace_"))
    .sort()
    .map((file) => {
      const check = verifyTrace(JSON.parse(readFileSync(join(traceDir, file), "utf8")), key);
      return { file, traceId: check.traceId, verdict: check.verdict, verified: check.ok };
    });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const report = await runExampleAgent();
  for (const step of report.steps) {
    const approval = step.approvedBy ? ` (approved by ${step.approvedBy})` : "";
    console.log(
      `${step.call.tool} ${step.call.path}: ${step.verdicts.join(" -> ")} => ${step.status}${approval}`,
    );
  }
  for (const trace of report.traces)
    console.log(`trace ${trace.file}: ${trace.verdict}, verified=${trace.verified}`);
  console.log(`runpack ${report.runpack.path}`);
  console.log(`work dir ${report.workDir}`);
}
