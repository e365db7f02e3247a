/** `gait keys init|rotate|verify`: create, rotate and check Ed25519 key files (docs/keys.md). */
import {
  checkPairMatches,
  type KeyIo,
  type KeyPairPaths,
  type KeySource,
  keyPairPaths,
  loadPrivateKey,
  loadPublicKey,
  rotationPrefix,
  writeKeyPair,
} from "../../contract/keys.ts";
import { generateSigningKey, type SigningKey } from "../../contract/signing.ts";
import {
  type CommandOutcome,
  command,
  group,
  type OptionSpec,
  type Options,
  stringOption,
} from "../command.ts";
import { invalidInput } from "../error-codes.ts";
import { readKeySource, verifyKeyOptions } from "../keyflags.ts";

const DEFAULT_OUT_DIR = "gait-out/keys";
const DEFAULT_PREFIX = "gait";

const outDirOption: OptionSpec = {
  name: "out-dir",
  value: "dir",
  description: "directory for the key files",
  default: DEFAULT_OUT_DIR,
};
const prefixOption: OptionSpec = {
  name: "prefix",
  value: "name",
  description: "file name prefix: <prefix>_private.key and <prefix>_public.key",
  default: DEFAULT_PREFIX,
};

function pairOutcome(
  key: SigningKey,
  paths: KeyPairPaths,
  extra: Record<string, unknown> = {},
): CommandOutcome {
  return {
    output: {
      ...extra,
      key_id: key.keyId,
      private_key_path: paths.privateKeyPath,
      public_key_path: paths.publicKeyPath,
    },
    human: [
      `private key: ${paths.privateKeyPath} (mode 0600, keep it secret)`,
      `public key:  ${paths.publicKeyPath}`,
      `key_id:      ${key.keyId}`,
    ],
  };
}

const initCommand = command({
  name: "init",
  explain:
    "Generate an Ed25519 signing key pair and write <prefix>_private.key (mode 0600) and <prefix>_public.key to the output directory.",
  options: [
    outDirOption,
    prefixOption,
    { name: "force", description: "overwrite existing key files with the same prefix" },
  ],
  examples: [
    "gait keys init",
    "gait keys init --out-dir ./keys --prefix release --json",
    "gait keys init --force   # replaces gait-out/keys/gait_*.key",
  ],
  async run(_args, options, ctx) {
    const paths = keyPairPaths(stringOption(options, "out-dir") ?? DEFAULT_OUT_DIR, prefixOf(options));
    const key = generateSigningKey();
    await writeKeyPair(key, paths, { cwd: ctx.cwd, force: options.force === true });
    return pairOutcome(key, paths);
  },
});

const rotateCommand = command({
  name: "rotate",
  explain:
    "Generate a new key pair named <prefix>_<UTC yyyymmddThhmmssZ>_private.key/_public.key, keeping the existing keys untouched.",
  options: [outDirOption, prefixOption],
  examples: ["gait keys rotate", "gait keys rotate --out-dir ./keys --prefix release --json"],
  async run(_args, options, ctx) {
    const prefix = rotationPrefix(prefixOf(options), ctx.clock());
    const paths = keyPairPaths(stringOption(options, "out-dir") ?? DEFAULT_OUT_DIR, prefix);
    const key = generateSigningKey();
    await writeKeyPair(key, paths, {
      cwd: ctx.cwd,
      overwriteHint: "a key pair with this timestamp already exists; wait a second and rotate again",
    });
    return pairOutcome(key, paths, { prefix });
  },
});

const verifyCommand = command({
  name: "verify",
  explain:
    "Check that key files or environment values decode as Ed25519 keys and, given both halves, that the public key belongs to the private key (exit 2 when they do not).",
  options: verifyKeyOptions,
  examples: [
    "gait keys verify --private-key gait-out/keys/gait_private.key --public-key gait-out/keys/gait_public.key",
    "gait keys verify --private-key-env GAIT_SIGNING_KEY --public-key gait-out/keys/gait_public.key --json",
  ],
  async run(_args, options, ctx) {
    const privateSource = readKeySource(options, "private-key");
    const publicSource = readKeySource(options, "public-key");
    if (!privateSource && !publicSource) {
      throw invalidInput("usage", "keys verify needs a key to check", {
        hint: "pass --private-key PATH (or --private-key-env VAR), optionally with --public-key PATH (or --public-key-env VAR)",
      });
    }
    const io: KeyIo = { env: ctx.env, cwd: ctx.cwd, warn: (message) => ctx.warn(message) };
    const sources = {
      ...sourceFields("private_key", privateSource),
      ...sourceFields("public_key", publicSource),
    };
    const privateKey = privateSource ? await loadPrivateKey(privateSource, io) : undefined;
    const publicKey = publicSource ? await loadPublicKey(publicSource, io) : undefined;
    if (privateKey && publicKey) checkPairMatches(privateKey, publicKey, sources);
    const keyId = (privateKey ?? publicKey)?.keyId;
    const pairChecked = privateKey !== undefined && publicKey !== undefined;
    return {
      output: { ...sources, key_id: keyId, pair_checked: pairChecked, status: "verified" },
      human: [pairChecked ? "key pair verified" : "key verified", `key_id: ${keyId}`],
    };
  },
});

function prefixOf(options: Options): string {
  return stringOption(options, "prefix") ?? DEFAULT_PREFIX;
}

/** `<role>_path` or `<role>_env` for the JSON output; paths as given, env by name. */
function sourceFields(role: string, source: KeySource | undefined): Record<string, string> {
  if (!source) return {};
  return source.path ? { [`${role}_path`]: source.path } : { [`${role}_env`]: source.env ?? "" };
}

export const keysCommand = group({
  name: "keys",
  explain: "Create, rotate and check the Ed25519 key files Gait signs traces, tokens and packs with.",
  commands: [initCommand, rotateCommand, verifyCommand],
});
