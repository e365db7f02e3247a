/**
 * The `store:` and `retention:` sections of .gait/config.yaml (docs/encryption.md,
 * docs/retention.md): the age recipients every artifact is encrypted to and the key hook that
 * reads them back, and the retention profile and TTLs of `gait guard retain`.
 */
import { type Static, Type } from "@sinclair/typebox";
import { parseGoDuration } from "../contract/time.ts";
import { checkRecipient, type KeyHook } from "../store/index.ts";

const closed = <T extends Parameters<typeof Type.Object>[0]>(properties: T) =>
  Type.Object(properties, { additionalProperties: false });
const text = () => Type.Optional(Type.String());

export const StoreConfigSchema = Type.Optional(
  closed({
    encrypt: Type.Optional(
      closed({ recipients: Type.Optional(Type.Array(Type.String())), recipients_file: text() }),
    ),
    identity: text(),
    identity_env: text(),
    identity_command: text(),
  }),
);

export const RETENTION_PROFILES = ["short", "medium", "long"] as const;
export type RetentionProfile = (typeof RETENTION_PROFILES)[number];

export const RetentionConfigSchema = Type.Optional(
  closed({
    profile: text(),
    trace_ttl: text(),
    pack_ttl: text(),
    session_ttl: text(),
    export_ttl: text(),
  }),
);

export interface StoreDefaults {
  /** age recipients given inline (`store.encrypt.recipients`). */
  recipients?: string[];
  /** A recipients file, one `age1…` per line (`store.encrypt.recipients_file`). */
  recipientsFile?: string;
  /** The key hook that opens encrypted artifacts. */
  identity?: KeyHook;
}

export interface RetentionDefaults {
  profile?: RetentionProfile;
  /** Go durations as written (`168h`); `gait guard retain` turns them into seconds. */
  traceTtl?: string;
  packTtl?: string;
  sessionTtl?: string;
  exportTtl?: string;
}

type Fail = (path: string, message: string, hint?: string) => Error;

export function normalizeStore(doc: Static<typeof StoreConfigSchema> | undefined, fail: Fail): StoreDefaults {
  const store: StoreDefaults = {};
  if (!doc) return store;
  const recipients = doc.encrypt?.recipients;
  if (recipients !== undefined) {
    store.recipients = recipients.map((recipient, index) => {
      try {
        return checkRecipient(recipient, `store.encrypt.recipients[${index}]`);
      } catch {
        throw fail(
          `store.encrypt.recipients.${index}`,
          "is not an age recipient (age1…)",
          "print one with: age-keygen -y key.txt",
        );
      }
    });
  }
  if (doc.encrypt?.recipients_file !== undefined)
    store.recipientsFile = nonEmpty(doc.encrypt.recipients_file, "store.encrypt.recipients_file", fail);
  if (doc.encrypt && store.recipients === undefined && store.recipientsFile === undefined) {
    throw fail(
      "store.encrypt",
      "needs recipients or recipients_file",
      "e.g. recipients: [age1…] (age-keygen -y key.txt prints one)",
    );
  }
  const hooks: KeyHook[] = [];
  if (doc.identity !== undefined) hooks.push({ file: nonEmpty(doc.identity, "store.identity", fail) });
  if (doc.identity_env !== undefined) {
    const name = doc.identity_env.trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw fail(
        "store.identity_env",
        `${JSON.stringify(doc.identity_env)} is not an environment variable name`,
        "name the variable; never put the key itself in the config",
      );
    }
    hooks.push({ env: name });
  }
  if (doc.identity_command !== undefined)
    hooks.push({ command: nonEmpty(doc.identity_command, "store.identity_command", fail) });
  if (hooks.length > 1) throw fail("store", "set one of identity, identity_env and identity_command");
  if (hooks[0]) store.identity = hooks[0];
  return store;
}

export function normalizeRetention(
  doc: Static<typeof RetentionConfigSchema> | undefined,
  fail: Fail,
): RetentionDefaults {
  const retention: RetentionDefaults = {};
  if (!doc) return retention;
  if (doc.profile !== undefined) {
    const profile = doc.profile.trim().toLowerCase();
    if (!(RETENTION_PROFILES as readonly string[]).includes(profile)) {
      throw fail(
        "retention.profile",
        `must be one of ${RETENTION_PROFILES.join(", ")}, not ${JSON.stringify(doc.profile)}`,
      );
    }
    retention.profile = profile as RetentionProfile;
  }
  const durations = [
    ["traceTtl", "trace_ttl"],
    ["packTtl", "pack_ttl"],
    ["sessionTtl", "session_ttl"],
    ["exportTtl", "export_ttl"],
  ] as const;
  for (const [key, field] of durations) {
    const value = doc[field];
    if (value === undefined) continue;
    try {
      if (parseGoDuration(value) <= 0n) throw new Error("not positive");
    } catch {
      throw fail(
        `retention.${field}`,
        `${JSON.stringify(value)} is not a positive duration`,
        "use Go duration syntax such as 24h or 720h",
      );
    }
    retention[key] = value.trim();
  }
  return retention;
}

function nonEmpty(value: string, field: string, fail: Fail): string {
  if (value.trim() === "") throw fail(field, "must not be empty", "remove the field instead");
  return value.trim();
}
