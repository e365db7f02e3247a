/**
 * Who may sign approval tokens. An approval token names its approver, but the name is only what
 * the token says: whoever holds a signing key can write any name. Multi-party approval is only
 * real when each approver has a key of their own, so an approver key list binds identities to
 * public keys, and a token counts only when it is signed by a key of the approver it names.
 *
 * Without a list, one approval key verifies every token (the reference's behaviour); every token
 * then has the same signer, so `min_approvals: 2` cannot be met with it (see evaluateApprovals).
 *
 * The list is a `gait.gate.approver_keys` YAML (or JSON) file:
 *
 *   schema_id: gait.gate.approver_keys
 *   schema_version: 1.0.0
 *   approvers:
 *     - identity: alice
 *       public_key_file: keys/alice_public.key   # relative to this file
 *     - identity: bob
 *       public_key: 2452IFcJ…                     # base64 of the raw 32-byte key
 *       key_id: 8393…                             # optional: must be the key's id
 */
import { promises as fsp } from "node:fs";
import { dirname, resolve } from "node:path";
import { type Static, Type } from "@sinclair/typebox";
import { fromFsError } from "../contract/errors.ts";
import { loadPublicKey } from "../contract/keys.ts";
import { parsePublicKey, type VerifyKey } from "../contract/signing.ts";
import { findInvisibleCharacter, trimLower, trimSpace } from "../contract/text.ts";
import { readStrictYaml, type ShapeSchema } from "../contract/yaml-strict.ts";
import { invalidInput } from "./error-codes.ts";

const APPROVER_KEYS_SCHEMA_ID = "gait.gate.approver_keys";

/** Why a token's signer cannot count: the reason code suffix after `approval_token_`. */
export type SignerError = "approver_unknown" | "approver_key_mismatch" | "signature_invalid";

export interface ApprovalVerifier {
  /** The key that must have signed a token naming `approver` whose signature claims `keyId`. */
  keyFor(approver: string, keyId: string): { key: VerifyKey } | { error: SignerError };
}

/** One key verifies every approver's tokens (no approver key list configured). */
export function singleKeyVerifier(key: VerifyKey): ApprovalVerifier {
  return { keyFor: () => ({ key }) };
}

export interface ApproverKey {
  identity: string;
  key: VerifyKey;
}

/** Tokens count only when signed by a key listed for the approver they name. */
export function approverKeyVerifier(approvers: readonly ApproverKey[]): ApprovalVerifier {
  const byKeyId = new Map(approvers.map((a) => [a.key.keyId, a]));
  const keysOf = (identity: string) => approvers.filter((a) => a.identity === identity);
  return {
    keyFor(approver, keyId) {
      const own = keysOf(approver);
      if (own.length === 0) return { error: "approver_unknown" };
      // A signature without key_id can only be matched when the approver has exactly one key.
      const listed = keyId ? byKeyId.get(keyId) : own.length === 1 ? own[0] : undefined;
      if (!listed) return { error: "signature_invalid" };
      if (listed.identity !== approver) return { error: "approver_key_mismatch" };
      return { key: listed.key };
    },
  };
}

const ApproverKeysSchema = Type.Object(
  {
    schema_id: Type.Optional(Type.String()),
    schema_version: Type.Optional(Type.String()),
    approvers: Type.Optional(
      Type.Array(
        Type.Object(
          {
            identity: Type.Optional(Type.String()),
            public_key: Type.Optional(Type.String()),
            public_key_file: Type.Optional(Type.String()),
            key_id: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
      ),
    ),
  },
  { additionalProperties: false },
);
type ApproverKeysDocument = Static<typeof ApproverKeysSchema>;

/** Reads an approver key list file; key files in it are relative to the list's own folder. */
export async function loadApproverKeys(path: string, display = path): Promise<ApproverKey[]> {
  let text: string;
  try {
    text = await fsp.readFile(path, "utf8");
  } catch (error) {
    throw fromFsError(error, "read approver keys", display);
  }
  const options = { source: display, codePrefix: "approver_keys", what: "approver key list" } as const;
  return readStrictYaml(text, options, async (yaml) => {
    const { value, positions } = yaml.readWithSchema(ApproverKeysSchema as ShapeSchema);
    const doc = value as ApproverKeysDocument;
    const fail = (at: string, message: string) => yaml.errorAt(at, positions.get(at), message, HINT);
    if ((doc.schema_id ?? APPROVER_KEYS_SCHEMA_ID) !== APPROVER_KEYS_SCHEMA_ID) {
      throw fail("schema_id", `must be ${APPROVER_KEYS_SCHEMA_ID}`);
    }
    if ((doc.schema_version ?? "1.0.0") !== "1.0.0") throw fail("schema_version", "must be 1.0.0");
    const entries = doc.approvers ?? [];
    if (entries.length === 0) throw fail("approvers", "must list at least one approver");
    const approvers: ApproverKey[] = [];
    for (const [i, entry] of entries.entries()) {
      const at = `approvers[${i}]`;
      const identity = trimSpace(entry.identity ?? "");
      if (!identity) throw fail(`${at}.identity`, "is required");
      const invisible = findInvisibleCharacter(identity);
      if (invisible) throw fail(`${at}.identity`, `contains an invisible character (${invisible.codePoint})`);
      const key = await entryKey(entry, dirname(path), `${display}: ${at}`, (m) => fail(at, m));
      if (entry.key_id !== undefined && trimLower(entry.key_id) !== key.keyId) {
        throw fail(`${at}.key_id`, `does not match the public key (its key id is ${key.keyId})`);
      }
      approvers.push({ identity, key });
    }
    checkOneIdentityPerKey(approvers, display);
    return approvers;
  });
}

const HINT = "see docs/gate.md, multi-party approvals";

async function entryKey(
  entry: NonNullable<ApproverKeysDocument["approvers"]>[number],
  folder: string,
  origin: string,
  fail: (message: string) => Error,
): Promise<VerifyKey> {
  if ((entry.public_key === undefined) === (entry.public_key_file === undefined)) {
    throw fail("set exactly one of public_key and public_key_file");
  }
  if (entry.public_key !== undefined) return parsePublicKey(entry.public_key, origin);
  return loadPublicKey({ path: resolve(folder, entry.public_key_file!) }, { env: {}, cwd: folder });
}

/** A key listed for two identities would let one person approve as two. */
function checkOneIdentityPerKey(approvers: readonly ApproverKey[], display: string): void {
  const owner = new Map<string, string>();
  for (const { identity, key } of approvers) {
    const other = owner.get(key.keyId);
    if (other !== undefined && other !== identity) {
      throw invalidInput(
        "approver_keys_invalid",
        `${display}: key ${key.keyId} is listed for both ${JSON.stringify(other)} and ${JSON.stringify(identity)}`,
        { hint: "give every approver a key of their own" },
      );
    }
    owner.set(key.keyId, identity);
  }
}
