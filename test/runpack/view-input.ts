/**
 * A raw-capture run for the view tests: an allowed call, a call that needed approval, a call whose
 * tool name, args, reason codes and result are hostile markup, a blocked call and one without a
 * result. Results of refused calls carry the gate's decision, as a guarded tool records them.
 */
export const HOSTILE_TOOL = "<script>window.__gait_pwned = 1; alert('tool')</script>";
export const HOSTILE_ARG = '<img src=x onerror="window.__gait_pwned = 2">';

export function viewInput(runId = "run_view_42"): Record<string, unknown> {
  return {
    run: {
      run_id: runId,
      created_at: "2026-02-05T10:00:00Z",
      timeline: [
        { event: "run_started", ts: "2026-02-05T10:00:00Z" },
        { event: "tool_call", ts: "2026-02-05T10:00:01Z", ref: "call_0001" },
        { event: "run_finished", ts: "2026-02-05T10:00:09Z" },
      ],
    },
    capture_mode: "raw",
    intents: [
      {
        intent_id: "call_0001",
        tool_name: "http.fetch",
        args: { url: "https://shop.example/cart/42" },
        created_at: "2026-02-05T10:00:01Z",
      },
      {
        intent_id: "call_0002",
        tool_name: "payments.charge",
        args: { amount: 12900, currency: "EUR" },
        created_at: "2026-02-05T10:00:03.25Z",
      },
      {
        intent_id: "call_0003",
        tool_name: HOSTILE_TOOL,
        args: { html: HOSTILE_ARG, note: "</pre></details><script>window.__gait_pwned = 3</script>" },
        created_at: "2026-02-05T10:00:05Z",
      },
      {
        intent_id: "call_0004",
        tool_name: "fs.delete",
        args: { path: "/var/data" },
        created_at: "2026-02-05T10:00:06Z",
      },
      { intent_id: "call_0005", tool_name: "email.send", args: { to: "ops@example.com" } },
    ],
    results: [
      {
        intent_id: "call_0001",
        status: "ok",
        result: { status: 200, items: 3 },
        created_at: "2026-02-05T10:00:01.42Z",
      },
      {
        intent_id: "call_0002",
        status: "error",
        result: { verdict: "require_approval", reason_codes: ["approval_required_payments"] },
        created_at: "2026-02-05T10:00:03.26Z",
      },
      {
        intent_id: "call_0003",
        status: "error",
        result: {
          verdict: "block",
          reason_codes: ["<b onmouseover=alert(1)>bold</b>"],
          error: "<script>window.__gait_pwned = 4</script>",
        },
        created_at: "2026-02-05T10:00:05.01Z",
      },
      {
        intent_id: "call_0004",
        status: "error",
        result: { verdict: "block", reason_codes: ["destructive_fs"] },
        created_at: "2026-02-05T10:00:06.002Z",
      },
    ],
    refs: {
      receipts: [
        {
          ref_id: "trace_call_0001",
          source_type: "gait.trace",
          source_locator: "trace_8f2a.json",
          redaction_mode: "reference",
          retrieved_at: "2026-02-05T10:00:01Z",
        },
        {
          ref_id: "kb_pricing",
          source_type: "kb",
          source_locator: "<a href='https://evil.example'>kb://pricing</a>",
          query_digest: "a".repeat(64),
          content_digest: "b".repeat(64),
          redaction_mode: "reference",
          retrieved_at: "2026-02-05T10:00:02Z",
        },
      ],
    },
  };
}
