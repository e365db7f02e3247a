/**
 * Key hooks: where the secret that opens encrypted artifacts comes from. A file, an environment
 * variable, or a command (a KMS or secret-manager CLI, run through the one process runner with a
 * timeout and an output cap). The secret is returned to the caller and never logged, echoed in
 * an error, or written anywhere.
 */
import { promises as fsp } from "node:fs";
import { resolve } from "node:path";
import { fromFsError } from "../contract/errors.ts";
import type { HelperFailure } from "../contract/process.ts";
import { parseRecipients } from "./age.ts";
import { invalidInput, verificationFailed } from "./error-codes.ts";

/** Exactly one of the three. */
export type KeyHook = { file: string } | { env: string } | { command: string };

export interface KeyHookContext {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Limit for a key command (default KEY_COMMAND_TIMEOUT_MS). */
  timeoutMs?: number;
}

export const KEY_COMMAND_TIMEOUT_MS = 10_000;
/** Far more than any key file or identity list; a command printing more is misconfigured. */
export const KEY_MAX_BYTES = 64 * 1024;

export interface KeyMaterial {
  text: string;
  /** Where it came from, for messages: `file key.txt`, `$GAIT_AGE_KEY`, `command "…"`. */
  source: string;
}

export function describeKeyHook(hook: KeyHook): string {
  if ("file" in hook) return `file ${hook.file}`;
  if ("env" in hook) return `$${hook.env}`;
  return `identity command ${JSON.stringify(hook.command)}`;
}

/** Fetches the secret a hook names. */
export async function readKeyMaterial(hook: KeyHook, context: KeyHookContext): Promise<KeyMaterial> {
  const source = describeKeyHook(hook);
  if ("file" in hook) return { text: await readKeyFile(resolve(context.cwd, hook.file), hook.file), source };
  if ("env" in hook) return { text: readKeyEnv(hook.env, context.env), source };
  return { text: await runKeyCommand(hook.command, context), source };
}

async function readKeyFile(path: string, shown: string): Promise<string> {
  try {
    const handle = await fsp.open(path, "r");
    try {
      const buffer = Buffer.alloc(KEY_MAX_BYTES + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      if (bytesRead > KEY_MAX_BYTES) {
        throw invalidInput(
          "store_identity_invalid",
          `key file ${shown} is larger than ${KEY_MAX_BYTES} bytes`,
          {
            hint: "point at the identity file itself (age-keygen output), not at another file",
            details: { path: shown },
          },
        );
      }
      return buffer.subarray(0, bytesRead).toString("utf8");
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw fromFsError(error, "read key file", shown);
  }
}

function readKeyEnv(name: string, env: KeyHookContext["env"]): string {
  const value = env[name];
  if (value === undefined || value.trim() === "") {
    throw invalidInput("store_identity_invalid", `environment variable ${name} is unset or empty`, {
      hint: `export ${name} with the key (e.g. the contents of an age-keygen key file)`,
      details: { env: name },
    });
  }
  return value;
}

const KEY_COMMAND_HINTS: Record<HelperFailure["kind"], string> = {
  spawn: "check that /bin/sh exists",
  timeout: "make the command print the key and exit",
  too_large: "the command must print only the key",
  exit: "run the command yourself to see why it failed",
};

/**
 * Runs the key command through sh (it is a command line the user wrote, like git's credential
 * helpers). Its stdout is the key; its stderr is never repeated, since helpers may print secrets.
 */
async function runKeyCommand(command: string, context: KeyHookContext): Promise<string> {
  const timeoutMs = context.timeoutMs ?? KEY_COMMAND_TIMEOUT_MS;
  const name = `identity command ${JSON.stringify(command)}`;
  // Loaded here: the process runner (and node:child_process) is needed only by this hook.
  const { runHelper } = await import("../contract/process.ts");
  const answer = await runHelper("/bin/sh", ["-c", command], {
    cwd: context.cwd,
    env: context.env,
    timeoutMs,
    maxOutputBytes: KEY_MAX_BYTES,
  });
  const fail = (why: string, hint: string) =>
    verificationFailed("store_key_command_failed", `${name} ${why}`, { hint, details: { command } });
  if ("failure" in answer) throw fail(answer.failure.why, KEY_COMMAND_HINTS[answer.failure.kind]);
  if (answer.stdout.trim() === "") throw fail("printed nothing", "the command must print the key on stdout");
  return answer.stdout;
}

/** The recipients of a recipients file (`age -R` format), `path` relative to `cwd`. */
export async function readRecipientsFile(path: string, cwd: string): Promise<string[]> {
  let text: string;
  try {
    text = await fsp.readFile(resolve(cwd, path), "utf8");
  } catch (error) {
    throw fromFsError(error, "read recipients file", path);
  }
  return parseRecipients(text, path);
}
