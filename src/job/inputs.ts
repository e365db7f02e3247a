/**
 * What a job command must hold before the state machine looks at it: identities and actors that
 * read as what they are (no invisible characters, no surrounding white space), texts within
 * MAX_TEXT_LENGTH, a known checkpoint type (a decision with its question), digests and
 * fingerprints of the right form. Pure; a problem is a `job_input_invalid` error (exit 6).
 */
import type { GaitError } from "../contract/errors.ts";
import { findInvisibleCharacter } from "../contract/text.ts";
import { invalidInput } from "./error-codes.ts";
import { CHECKPOINT_TYPES, MAX_TEXT_LENGTH } from "./model.ts";
import type { JobCommand } from "./transition.ts";

export function inputError(command: JobCommand): GaitError | undefined {
  const problem = inputProblem(command);
  return problem === undefined
    ? undefined
    : invalidInput("job_input_invalid", `${command.kind}: ${problem}`, {
        hint: `see gait job ${command.kind === "checkpoint" ? "checkpoint add" : command.kind} --help`,
      });
}

function inputProblem(command: JobCommand): string | undefined {
  const actor = nameProblem("actor", command.actor, command.kind === "approve");
  if (actor) return actor;
  switch (command.kind) {
    case "submit":
      return (
        nameProblem("identity", command.identity, true) ??
        digestProblem(command.policy_digest) ??
        fingerprintProblem(command.environment_fingerprint) ??
        policyRefProblem(command.policy_ref, command.policy_digest)
      );
    case "checkpoint":
      if (!(CHECKPOINT_TYPES as readonly string[]).includes(command.checkpoint_type)) {
        return `checkpoint type must be one of ${CHECKPOINT_TYPES.join(", ")}`;
      }
      if (command.checkpoint_type === "decision_needed" && command.required_action.trim() === "") {
        return "a decision_needed checkpoint needs the decision asked of a person (--required-action)";
      }
      return (
        textProblem("summary", command.summary, true) ??
        textProblem("required action", command.required_action, false)
      );
    case "resume":
      return (
        nameProblem("identity", command.identity, true) ??
        digestProblem(command.policy_digest) ??
        fingerprintProblem(command.environment_fingerprint) ??
        (typeof command.allow_environment_mismatch === "boolean"
          ? undefined
          : "allow_environment_mismatch must be true or false")
      );
    default:
      return textProblem("reason", command.reason, false);
  }
}

/** An identity or actor: what a person reads must be what is compared. */
function nameProblem(what: string, value: string, required: boolean): string | undefined {
  if (typeof value !== "string") return `${what} must be text`;
  if (value === "") return required ? `${what} is required` : undefined;
  if (value.trim() !== value) return `${what} must not start or end with white space`;
  const invisible = findInvisibleCharacter(value);
  if (invisible) return `${what} contains an invisible character (${invisible.codePoint})`;
  return value.length > MAX_TEXT_LENGTH ? `${what} is longer than ${MAX_TEXT_LENGTH} characters` : undefined;
}

function textProblem(what: string, value: string, required: boolean): string | undefined {
  if (typeof value !== "string") return `${what} must be text`;
  if (required && value.trim() === "") return `${what} is required`;
  return value.length > MAX_TEXT_LENGTH ? `${what} is longer than ${MAX_TEXT_LENGTH} characters` : undefined;
}

function policyRefProblem(ref: string, digest: string): string | undefined {
  if (typeof ref !== "string") return "policy path must be text";
  if ((ref === "") !== (digest === "")) return "a bound policy needs both its path and its digest";
  return textProblem("policy path", ref, false);
}

function digestProblem(digest: string): string | undefined {
  return typeof digest === "string" && /^([0-9a-f]{64})?$/.test(digest)
    ? undefined
    : "policy digest must be 64 lowercase hex characters or empty";
}

function fingerprintProblem(fingerprint: string): string | undefined {
  return typeof fingerprint === "string" && /^envfp:[0-9a-f]{64}$/.test(fingerprint)
    ? undefined
    : "environment fingerprint must be envfp:<64 hex>";
}
