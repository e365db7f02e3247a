/**
 * A job on disk, `<job root>/<job_id>/`:
 * - `events.jsonl`: one canonical `gait.job.event` per line, only ever appended (fsynced). It is
 *   the record of truth: a job's state is what its events replay to (transition.ts).
 * - `state.json`: that state (`gait.job.state`), rewritten atomically after each event, for
 *   people and tools that read one file. Readers replay the events anyway and report whether the
 *   file agrees (`state_file`), so a writer stopped between the two writes loses nothing.
 * - `state.json.lock`: held while a change reads the events, appends one and rewrites the state,
 *   so concurrent writers (two `gait job` processes, an agent and a person) take turns; one that
 *   waits too long fails with `state_contention` (exit 1, retryable).
 * A line cut short by a crash mid-append (no newline yet) is not an event: readers skip it and
 * the next change truncates it before appending.
 */
import { open, readFile, stat, truncate } from "node:fs/promises";
import { join, resolve } from "node:path";
import { canonicalize, isJsonObject, parseJsonStrict } from "../contract/canonical.ts";
import { fromFsError } from "../contract/errors.ts";
import { withFileLock, writeFileAtomic } from "../contract/files.ts";
import type { Clock } from "../contract/time.ts";
import { invalidInput } from "./error-codes.ts";
import { JOB_EVENT_SCHEMA_ID, JOB_SCHEMA_VERSION, type JobEvent, type JobState } from "./model.ts";
import {
  applyJobCommand,
  isValidJobId,
  type JobCommand,
  jobIdError,
  jobNotFound,
  replayJobEvents,
} from "./transition.ts";

export const DEFAULT_JOB_ROOT = "./gait-out/jobs";
const JOB_LOCK_SCHEMA_ID = "gait.job.state_lock";

export interface JobFiles {
  dir: string;
  state: string;
  events: string;
  lock: string;
}

/** Where job `jobId` lives under `root` (relative roots resolve against `cwd`). */
export function jobFiles(root: string, jobId: string, cwd = process.cwd()): JobFiles {
  if (!isValidJobId(jobId)) throw jobIdError(jobId);
  const dir = resolve(cwd, root, jobId);
  const state = join(dir, "state.json");
  return { dir, state, events: join(dir, "events.jsonl"), lock: `${state}.lock` };
}

/** A job as read from disk. */
export interface JobRecord {
  job_id: string;
  state: JobState;
  events: JobEvent[];
  /**
   * How state.json compares with the state the events replay to: `consistent`, `stale` (a writer
   * stopped between appending the event and rewriting the file; the next change rewrites it),
   * `missing`, or `invalid` (not JSON). The replayed state is the one returned either way.
   */
  state_file: "consistent" | "stale" | "missing" | "invalid";
  files: JobFiles;
}

/** Reads a job without taking its lock (writers append whole lines and rename the state). */
export async function readJob(files: JobFiles, jobId: string): Promise<JobRecord> {
  const events = (await readEvents(files))?.events ?? [];
  if (events.length === 0) throw jobNotFound(jobId, files.dir);
  const state = replayJobEvents(jobId, events, files.events);
  return { job_id: jobId, state, events, state_file: await compareStateFile(files.state, state), files };
}

/** What a job pack is built from: plain data, the state being what the events replay to. */
export interface JobPackInput {
  job_id: string;
  state: JobState;
  events: JobEvent[];
}

/** The job `jobId` under `root` (relative to the working directory), for `pack build --type job`. */
export async function readJobForPack(root: string, jobId: string): Promise<JobPackInput> {
  const { state, events } = await readJob(jobFiles(root, jobId), jobId);
  return { job_id: jobId, state, events };
}

export interface JobChange {
  state: JobState;
  event: JobEvent;
}

/**
 * Applies one command under the job's lock: replays the events, asks `build` for the command
 * (given the current state, or undefined for a job not submitted yet), applies it, appends its
 * event and rewrites state.json. A refused command changes nothing and throws its error; a
 * resume that fails closed records the block and then throws.
 */
export async function changeJob(
  files: JobFiles,
  jobId: string,
  build: (state: JobState | undefined) => JobCommand | Promise<JobCommand>,
  clock: Clock,
): Promise<JobChange> {
  return withFileLock(
    files.lock,
    async () => {
      const read = await readEvents(files);
      if (read && read.tornBytes > 0) await dropTornLine(files.events, read.completeBytes);
      const events = read?.events ?? [];
      const state = events.length > 0 ? replayJobEvents(jobId, events, files.events) : undefined;
      const transition = applyJobCommand(jobId, state, await build(state), clock());
      if (transition.outcome === "refused") throw transition.error;
      await appendEvent(files.events, transition.event);
      await writeFileAtomic(files.state, stateText(transition.state));
      if (transition.outcome === "blocked") throw transition.error;
      return { state: transition.state, event: transition.event };
    },
    { schemaId: JOB_LOCK_SCHEMA_ID, clock },
  );
}

/** Fails with job_not_found unless the job has an events file (checked before taking its lock). */
export async function assertJobExists(files: JobFiles, jobId: string): Promise<void> {
  try {
    await stat(files.events);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw jobNotFound(jobId, files.dir);
    throw fromFsError(error, "read job", files.events);
  }
}

export function stateText(state: JobState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

interface EventsRead {
  events: JobEvent[];
  /** Length of the complete lines. */
  completeBytes: number;
  /** Bytes after the last newline: a line a writer did not finish. */
  tornBytes: number;
}

async function readEvents(files: JobFiles): Promise<EventsRead | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(files.events);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw fromFsError(error, "read job events", files.events);
  }
  const completeBytes = bytes.lastIndexOf(0x0a) + 1;
  const lines = bytes.subarray(0, completeBytes).toString("utf8").split("\n");
  lines.pop(); // the empty text after the last newline
  const events = lines.map((line, index) => parseEvent(line, `${files.events} line ${index + 1}`));
  return { events, completeBytes, tornBytes: bytes.length - completeBytes };
}

function parseEvent(line: string, where: string): JobEvent {
  let value: unknown;
  try {
    value = parseJsonStrict(line, where);
  } catch (error) {
    throw invalidInput("job_state_invalid", `${where} is not JSON`, {
      hint: "the job's events.jsonl was damaged; restore it from a copy",
      cause: error,
    });
  }
  if (
    !isJsonObject(value) ||
    value.schema_id !== JOB_EVENT_SCHEMA_ID ||
    value.schema_version !== JOB_SCHEMA_VERSION
  ) {
    throw invalidInput(
      "job_state_invalid",
      `${where} is not a ${JOB_EVENT_SCHEMA_ID} ${JOB_SCHEMA_VERSION}`,
      {
        hint: "the job's events.jsonl was damaged; restore it from a copy",
      },
    );
  }
  // The replay checks the rest: each event must be exactly what its inputs give.
  return value as unknown as JobEvent;
}

async function dropTornLine(path: string, length: number): Promise<void> {
  try {
    await truncate(path, length);
  } catch (error) {
    throw fromFsError(error, "repair job events", path);
  }
}

async function appendEvent(path: string, event: JobEvent): Promise<void> {
  try {
    const handle = await open(path, "a", 0o600);
    try {
      await handle.write(`${canonicalize(event)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw fromFsError(error, "append job event", path);
  }
}

async function compareStateFile(path: string, state: JobState): Promise<JobRecord["state_file"]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "missing";
    throw fromFsError(error, "read job state", path);
  }
  try {
    return canonicalize(JSON.parse(text)) === canonicalize(state) ? "consistent" : "stale";
  } catch {
    return "invalid";
  }
}
