/**
 * Policy loading (CONTRACTS.md §5.4–5.5): strict YAML → normalized policy + digest. Unknown keys,
 * duplicate keys, wrong types and bad values are coded errors (exit 6) naming the YAML path and the
 * line and column; legacy draft fields get a migration hint.
 */
import { readFileSync, statSync } from "node:fs";
import { fromFsError } from "../contract/errors.ts";
import {
  DEFAULT_YAML_MAX_BYTES,
  readStrictYaml,
  type ShapeSchema,
  type StrictYamlDocument,
} from "../contract/yaml-strict.ts";
import { invalidInput } from "./error-codes.ts";
import { MAX_POLICY_RULES } from "./limits.ts";
import { policyDigest } from "./policy-digest.ts";
import type { LoadedPolicy, Policy } from "./policy-model.ts";
import { normalizePolicyDocument } from "./policy-normalize.ts";
import { type PolicyDocumentInput, PolicyDocumentSchema } from "./policy-schema.ts";

export { policyDigestInput } from "./policy-digest.ts";
export { formatPolicyYaml, policyToDocument, yamlHasComments } from "./policy-format.ts";

/** Top-level fields of the pre-v1 policy proposal; they never meant anything to the evaluator. */
const LEGACY_POLICY_FIELDS = ["version", "name", "boundaries", "defaults", "trust_sources", "unknown_server"];

/** Parses policy YAML text; `source` names it in error messages (a path or "<stdin>"). */
export function parsePolicyYaml(text: string, source: string): LoadedPolicy {
  return readStrictYaml(text, { source, codePrefix: "policy", what: "policy" }, (yaml) => {
    rejectLegacyFields(yaml);
    const { value, positions } = yaml.readWithSchema(PolicyDocumentSchema as ShapeSchema);
    const rules = (value as PolicyDocumentInput).rules ?? [];
    if (rules.length > MAX_POLICY_RULES) {
      throw yaml.errorAt(
        "rules",
        positions.get("rules"),
        `has ${rules.length} rules, more than ${MAX_POLICY_RULES}`,
      );
    }
    const policy = normalizePolicyDocument(value as PolicyDocumentInput, (path, message, hint) =>
      yaml.errorAt(path, positions.get(path) ?? nearestPosition(positions, path), message, hint),
    );
    return loaded(policy);
  });
}

/** Reads and parses a policy file; `source` (default: the path) names it in error messages. */
export async function loadPolicyFile(path: string, source = path): Promise<LoadedPolicy> {
  const text = (await readPolicyBytes(path, source)).toString("utf8");
  return { ...parsePolicyYaml(text, source), path };
}

/**
 * A policy file's bytes; a file too large to be a policy is refused before it is read. Read
 * synchronously, as other small inputs (cli/io.ts): a thread-pool round trip costs more than the
 * read itself.
 */
export async function readPolicyBytes(path: string, source = path): Promise<Buffer> {
  try {
    if (statSync(path).size > DEFAULT_YAML_MAX_BYTES) {
      throw invalidInput(
        "policy_too_large",
        `${source}: the policy is larger than ${DEFAULT_YAML_MAX_BYTES} bytes`,
        { hint: "a policy is small; check that the right file was given" },
      );
    }
    return readFileSync(path);
  } catch (error) {
    throw fromFsError(error, "read policy", source);
  }
}

/** A normalized policy with its digest. */
function loaded(policy: Policy): LoadedPolicy {
  return { policy, policyDigest: policyDigest(policy) };
}

function rejectLegacyFields(yaml: StrictYamlDocument): void {
  const found = yaml.rootEntries().filter((entry) => LEGACY_POLICY_FIELDS.includes(entry.key));
  const [first] = found;
  if (!first) return;
  const fields = [...new Set(found.map((entry) => entry.key))].sort();
  const where = found
    .map((entry) =>
      entry.position ? `${entry.key} at ${entry.position.line}:${entry.position.column}` : entry.key,
    )
    .join(", ");
  throw invalidInput(
    "policy_legacy_fields",
    `legacy policy proposal fields are not supported [${fields.join(", ")}] in ${yaml.options.source} (${where})`,
    {
      hint: "rewrite the policy with schema_id, schema_version, default_verdict, fail_closed and rules (see `gait policy init`)",
      details: {
        ...(first.position ? { line: first.position.line, column: first.position.column } : {}),
        migration: { kind: "policy_field", fields },
      },
    },
  );
}

/** For errors about a missing field: the position of the closest enclosing path that was present. */
function nearestPosition(positions: Map<string, { line: number; column: number }>, path: string) {
  let current = path;
  while (current !== "") {
    const cut = Math.max(current.lastIndexOf("."), current.lastIndexOf("["));
    current = cut > 0 ? current.slice(0, cut) : "";
    const found = positions.get(current);
    if (found) return found;
  }
  return undefined;
}
