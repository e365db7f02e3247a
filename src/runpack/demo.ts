/**
 * `gait demo`: offline, no keys. Records a fixed three-tool-call run (`run_demo`) through the
 * same recorder as `gait run record` (which verifies the written file), and returns what to try next.
 */
import { fixedClock } from "../contract/time.ts";
import { recordRunpack } from "./record.ts";

const DEMO_RUN_ID = "run_demo";
const DEMO_CREATED_AT = "2026-02-05T00:00:00Z";

const demoCalls = [
  {
    intent_id: "intent_1",
    tool_name: "tool.search",
    args: { query: "gait runpack verification" },
    result: { hits: 3, top: "docs/runpack.md" },
  },
  {
    intent_id: "intent_2",
    tool_name: "tool.fetch",
    args: { url: "https://example.com/docs/runpack.md" },
    result: { status: 200, bytes: 4096 },
  },
  {
    intent_id: "intent_3",
    tool_name: "tool.summarize",
    args: { max_words: 50, source: "docs/runpack.md" },
    result: { summary: "A runpack is a signed, offline-verifiable zip of one agent run." },
  },
];

/** The demo's run record input: the same document a user could pass to `gait run record`. */
function demoRecordInput() {
  return {
    run: {
      run_id: DEMO_RUN_ID,
      created_at: DEMO_CREATED_AT,
      timeline: [
        { event: "run_started", ts: DEMO_CREATED_AT },
        ...demoCalls.map((call) => ({ event: "tool_call", ts: DEMO_CREATED_AT, ref: call.intent_id })),
        { event: "run_finished", ts: DEMO_CREATED_AT },
      ],
    },
    intents: demoCalls.map(({ intent_id, tool_name, args }) => ({ intent_id, tool_name, args })),
    results: demoCalls.map(({ intent_id, result }) => ({ intent_id, status: "ok", result })),
    refs: { receipts: [] },
    capture_mode: "reference",
  };
}

export interface DemoOutcome {
  mode: "standard";
  run_id: string;
  bundle: string;
  manifest_digest: string;
  ticket_footer: string;
  verify: "ok";
  next_commands: string[];
}

export async function runDemo(context: {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
}): Promise<DemoOutcome> {
  const recorded = await recordRunpack(demoRecordInput(), {
    cwd: context.cwd,
    env: context.env,
    clock: fixedClock(DEMO_CREATED_AT),
    // As `gait run record` records it (the demo's runpack and manifest digest stay as they were).
    contextEvidenceMode: "best_effort",
  });
  // recordRunpack re-verifies the written file and throws (exit 2) if it does not check out.
  return {
    mode: "standard",
    run_id: recorded.runId,
    bundle: recorded.bundle,
    manifest_digest: recorded.manifestDigest,
    ticket_footer: recorded.ticketFooter,
    verify: "ok",
    // The reference's list: check the runpack, turn it into a CI gate, then the other demos.
    next_commands: [
      `gait verify ${DEMO_RUN_ID}`,
      `gait regress bootstrap --from ${DEMO_RUN_ID} --junit ./gait-out/junit.xml`,
      "gait demo --durable",
      "gait demo --policy",
    ],
  };
}
