/**
 * Reference parity for durable jobs (issue 13, item 6: `gait demo --durable`; REFERENCE.md §2.1
 * and §4; CONTRACTS.md §7.1):
 * - `gait demo --durable --json` carries the reference's fields with its values (`job_id`
 *   job_demo_durable, `pack_path` ./gait-out/pack_job_demo_durable.zip, `simulated_failure`,
 *   `job_status`), and its pack holds the job pack entries, with a `job_payload.json` valid against
 *   the public `pack/job.schema.json`;
 * - a job in every status gives a payload the public schema accepts, and a paused job reads as the
 *   public sample `pack_job_valid.json` does (`stop_reason` paused_by_user, `status_reason_code`
 *   paused).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import {
  createSchemaRegistry,
  readSchemaDirectory,
  type SchemaValidator,
} from "../../src/contract/schema.ts";
import { Timestamp } from "../../src/contract/time.ts";
import { withZip } from "../../src/contract/zip.ts";
import {
  applyJobCommand,
  environmentFingerprint,
  type JobCommand,
  type JobEvent,
  type JobState,
} from "../../src/job/index.ts";
import { jobPayloadFor } from "../../src/pack/index.ts";
import { runGait, tempDir } from "../helpers/cli.ts";
import { conformanceAvailable, conformanceDir, conformanceSkip } from "../helpers/conformance.ts";

const PUBLIC_JOB_SCHEMA = "pack/job.schema.json";

describe("durable jobs against the reference", { skip: conformanceSkip }, () => {
  let publicSchemas: SchemaValidator;
  before(async () => {
    publicSchemas = await createSchemaRegistry(
      conformanceAvailable ? readSchemaDirectory(join(conformanceDir, "schemas", "v1")) : [],
    ).load();
  });

  const assertPublicPayload = (payload: unknown, what: string) => {
    const result = publicSchemas.validate(PUBLIC_JOB_SCHEMA, payload);
    assert.ok(result.ok, `${what}: ${result.ok ? "" : result.errors.join("; ")}`);
  };

  it("gait demo --durable: the reference's fields and a job pack the public schema accepts", async () => {
    const { dir, cleanup } = tempDir("gait-parity-durable-");
    try {
      const demo = await runGait(["demo", "--durable", "--json"], { cwd: dir });
      assert.equal(demo.code, 0, demo.stdout + demo.stderr);
      const { job_id, job_status, pack_path, simulated_failure } = demo.json!;
      assert.deepEqual(
        { job_id, job_status, pack_path, simulated_failure },
        {
          job_id: "job_demo_durable",
          job_status: "completed",
          pack_path: "./gait-out/pack_job_demo_durable.zip",
          simulated_failure: true,
        },
      );
      const entries = await withZip(join(dir, "gait-out/pack_job_demo_durable.zip"), {}, async (zip) => {
        const read = async (path: string) => (await zip.read(path)).data.toString("utf8");
        return {
          names: zip.entries.map((entry) => entry.path).sort(),
          payload: JSON.parse(await read("job_payload.json")) as Record<string, unknown>,
          state: JSON.parse(await read("job_state.json")) as Record<string, unknown>,
          events: (await read("job_events.jsonl")).trimEnd().split("\n"),
        };
      });
      assert.deepEqual(entries.names, [
        "job_events.jsonl",
        "job_payload.json",
        "job_state.json",
        "pack_manifest.json",
        "proof_records.jsonl",
      ]);
      assertPublicPayload(entries.payload, "job_payload.json");
      assert.deepEqual(
        {
          ...entries.payload,
          environment_fingerprint: String(entries.payload.environment_fingerprint).slice(0, 6),
        },
        {
          schema_id: "gait.pack.job",
          schema_version: "1.0.0",
          created_at: "2026-02-05T00:00:00Z",
          job_id: "job_demo_durable",
          status: "completed",
          stop_reason: "completed",
          status_reason_code: "completed",
          environment_fingerprint: "envfp:",
          checkpoint_count: 5,
          approval_count: 1,
        },
      );
      assert.equal(entries.state.status, "completed");
      assert.equal(entries.events.length, 8);
      // The job's own files are what was packed.
      const jobDir = join(dir, "gait-out/jobs/job_demo_durable");
      assert.deepEqual(entries.state, JSON.parse(readFileSync(join(jobDir, "state.json"), "utf8")));
      assert.deepEqual(
        entries.events,
        readFileSync(join(jobDir, "events.jsonl"), "utf8").trimEnd().split("\n"),
      );
    } finally {
      cleanup();
    }
  });

  it("every status gives a payload the public schema accepts; paused reads as the public sample", () => {
    const env = environmentFingerprint({ platform: "linux", arch: "x64", node_major: 20, cwd: "/w" });
    const submit: JobCommand = {
      kind: "submit",
      actor: "",
      identity: "agent",
      policy_digest: "",
      policy_ref: "",
      environment_fingerprint: env,
    };
    const checkpoint = (type: "decision_needed" | "blocked" | "completed"): JobCommand => ({
      kind: "checkpoint",
      actor: "",
      checkpoint_type: type,
      summary: type,
      required_action: "decide",
    });
    const note = (kind: "pause" | "cancel" | "stop"): JobCommand => ({ kind, actor: "", reason: "" });
    const paths: Record<string, JobCommand[]> = {
      running: [submit],
      paused: [submit, note("pause")],
      decision_needed: [submit, checkpoint("decision_needed")],
      blocked: [submit, checkpoint("blocked")],
      completed: [submit, checkpoint("completed")],
      cancelled: [submit, note("cancel")],
      emergency_stopped: [submit, note("stop")],
    };
    const sample = JSON.parse(readFileSync(join(conformanceDir, "testdata", "pack_job_valid.json"), "utf8"));
    for (const [status, commands] of Object.entries(paths)) {
      let state: JobState | undefined;
      const events: JobEvent[] = [];
      for (const command of commands) {
        const t = applyJobCommand("job_demo", state, command, Timestamp.parse("2026-02-14T00:00:00Z"));
        assert.equal(t.outcome, "applied");
        if (t.outcome !== "applied") return;
        state = t.state;
        events.push(t.event);
      }
      const payload = jobPayloadFor({
        job_id: "job_demo",
        state: state as unknown as Record<string, never>,
        events: events as unknown as Record<string, never>[],
      });
      assert.equal(payload.status, status);
      assertPublicPayload(payload, status);
      if (status === "paused") {
        assert.deepEqual(
          [payload.stop_reason, payload.status_reason_code, payload.created_at],
          [sample.stop_reason, sample.status_reason_code, sample.created_at],
        );
      }
    }
  });
});
