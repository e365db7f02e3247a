/**
 * `gait registry publish|install|list|verify`: signed policy packs in static registries (a
 * folder or an https host), installed into the project with a lockfile (docs/registry.md).
 */
import { resolve } from "node:path";
import { exitForCheck } from "../../contract/exit.ts";
import { resolveSigningKey, resolveVerifyKey } from "../../contract/keys.ts";
import { showPath } from "../../contract/paths.ts";
import type { VerifyKey } from "../../contract/signing.ts";
import { parseGoDuration } from "../../contract/time.ts";
import {
  DEFAULT_MAX_DOWNLOAD_BYTES,
  DEFAULT_REMOTE_OPTIONS,
  defaultCacheDir,
  installPacks,
  type PackCheck,
  publishPack,
  type RemoteOptions,
  registryKeyRequired,
  verifyInstalled,
} from "../../registry/index.ts";
import {
  type CommandContext,
  type CommandOutcome,
  command,
  group,
  listOption,
  type OptionSpec,
  type Options,
  stringOption,
} from "../command.ts";
import { invalidInput } from "../error-codes.ts";
import {
  readSigningKeyRequest,
  readVerifyKeySources,
  signingKeyOptions,
  verifyKeyOptions,
} from "../keyflags.ts";

const cacheDirOption: OptionSpec = {
  name: "cache-dir",
  value: "dir",
  description: "registry cache (default ~/.gait/registry): <name>/<version>/<digest>/ and pins/<name>.pin",
};
const allowlistOption: OptionSpec = {
  name: "publisher-allowlist",
  value: "csv",
  repeatable: true,
  description: "accept only packs whose publisher is in this list",
};

function cacheDirOf(options: Options, ctx: CommandContext): string {
  const given = stringOption(options, "cache-dir");
  return given ? resolve(ctx.cwd, given) : defaultCacheDir();
}

async function requiredVerifyKey(options: Options, ctx: CommandContext): Promise<VerifyKey> {
  const key = await resolveVerifyKey(readVerifyKeySources(options), {
    env: ctx.env,
    cwd: ctx.cwd,
    warn: ctx.warn,
  });
  if (!key) {
    throw registryKeyRequired(false);
  }
  return key;
}

function positiveInt(options: Options, name: string, fallback: number): number {
  const text = stringOption(options, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw invalidInput("usage", `--${name} must be a positive integer`);
  return value;
}

// ---- publish

const publishCommand = command({
  name: "publish",
  explain:
    "Build a signed registry pack from a pack source folder (gait-pack.yaml and its files) and add it to the signed index of a static registry folder.",
  options: [
    { name: "dir", value: "dir", description: "pack source folder holding gait-pack.yaml" },
    {
      name: "out",
      value: "dir",
      description: "registry folder (created if missing); serve it as is from any static host",
    },
    ...signingKeyOptions,
  ],
  examples: [
    "gait registry publish --dir ./packs/baseline --out ./registry --private-key keys/publisher_private.key",
  ],
  async run(_args, options, ctx) {
    const dir = stringOption(options, "dir");
    const out = stringOption(options, "out");
    if (!dir || !out) throw invalidInput("usage", "--dir and --out are required");
    const request = readSigningKeyRequest(options);
    if (request.mode !== "prod") {
      throw registryKeyRequired(true);
    }
    const signing = await resolveSigningKey(request, { env: ctx.env, cwd: ctx.cwd, warn: ctx.warn });
    for (const warning of signing.warnings) ctx.warn(warning);
    const result = await publishPack({ dir, out, cwd: ctx.cwd, key: signing.key, clock: ctx.clock });
    const output = {
      pack_name: result.pack.pack_name,
      pack_version: result.pack.pack_version,
      digest: result.digest,
      key_id: signing.key.keyId,
      metadata_path: showPath(ctx.cwd, result.metadataPath),
      index_path: showPath(ctx.cwd, result.indexPath),
      index_digest: result.indexDigest,
      artifacts: result.pack.artifacts,
      created: result.created,
    };
    return {
      output,
      human: [
        `registry publish: ${output.pack_name}@${output.pack_version} ${result.created ? "published" : "already published (index re-signed)"}`,
        `digest=sha256:${result.digest} key_id=${signing.key.keyId}`,
        `metadata=${output.metadata_path} index=${output.index_path} artifacts=${result.pack.artifacts.length}`,
      ],
    };
  },
});

// ---- install

function remoteOptions(options: Options): RemoteOptions {
  const delay = stringOption(options, "retry-base-delay");
  return {
    ...DEFAULT_REMOTE_OPTIONS,
    allowHosts: listOption(options, "allow-host"),
    allowInsecureHttp: options["allow-insecure-http"] === true,
    retryMaxAttempts: positiveInt(options, "retry-max-attempts", DEFAULT_REMOTE_OPTIONS.retryMaxAttempts),
    retryBaseDelayMs:
      delay === undefined
        ? DEFAULT_REMOTE_OPTIONS.retryBaseDelayMs
        : Number(parseGoDuration(delay, "--retry-base-delay") / 1_000_000n),
  };
}

const installCommand = command({
  name: "install",
  explain:
    "Install a signed pack: verify the registry index and pack signatures, publisher, pin and every artifact's sha256, then install it into .gait/packs/ and the cache and record it in gait.lock.",
  args: [
    { name: "pack", description: "<name> or <name>@<version> (optional with --frozen: every locked pack)" },
  ],
  options: [
    {
      name: "source",
      value: "dir|url",
      description: "registry folder or https URL (default with --frozen/--offline: the lockfile's)",
    },
    {
      name: "allow-host",
      value: "csv",
      repeatable: true,
      description: "extra hosts redirects may go to (the source's host is always allowed)",
    },
    allowlistOption,
    { name: "pin", value: "sha256:<hex>", description: "the pack metadata digest you expect" },
    cacheDirOption,
    { name: "offline", description: "install from the cache (re-verified), no network" },
    { name: "frozen", description: "install exactly gait.lock's versions and digests; fail on any drift" },
    { name: "allow-insecure-http", description: "allow a plain http source (loopback tests only)" },
    {
      name: "max-download-bytes",
      value: "n",
      description: `largest file accepted (default ${DEFAULT_MAX_DOWNLOAD_BYTES})`,
    },
    {
      name: "retry-max-attempts",
      value: "n",
      description: "attempts on transient network failures (default 3)",
    },
    {
      name: "retry-base-delay",
      value: "duration",
      description: "first retry delay, doubled each time (default 200ms)",
    },
    ...verifyKeyOptions,
  ],
  examples: [
    "gait registry install baseline-safety --source ./registry --public-key publisher.pub",
    "gait registry install baseline-safety@1.2.0 --source https://packs.example.com/registry --public-key publisher.pub --publisher-allowlist acme --pin sha256:<digest>",
    "gait registry install --frozen --public-key publisher.pub",
    "gait registry install baseline-safety --offline --public-key publisher.pub",
  ],
  async run(args, options, ctx) {
    const key = await requiredVerifyKey(options, ctx);
    const pin = stringOption(options, "pin");
    const source = stringOption(options, "source");
    const installed = await installPacks({
      cwd: ctx.cwd,
      ...(args[0] ? { spec: args[0] } : {}),
      ...(source ? { source } : {}),
      ...(pin ? { pin } : {}),
      key,
      publisherAllowlist: listOption(options, "publisher-allowlist"),
      cacheDir: cacheDirOf(options, ctx),
      offline: options.offline === true,
      frozen: options.frozen === true,
      remote: remoteOptions(options),
      maxDownloadBytes: positiveInt(options, "max-download-bytes", DEFAULT_MAX_DOWNLOAD_BYTES),
    });
    const packs = installed.map((p) => ({
      ...p,
      install_path: showPath(ctx.cwd, p.install_path),
      signature_verified: true,
      pin: `sha256:${p.digest}`,
    }));
    return {
      output: { packs, lockfile: "gait.lock" },
      human: [
        ...installed.map(
          (p) =>
            `installed ${p.pack_name}@${p.pack_version} sha256:${p.digest}${p.from_cache ? " (from cache)" : ""} -> ${showPath(ctx.cwd, p.install_path)}`,
        ),
        "lockfile=gait.lock (commit it)",
      ],
    };
  },
});

// ---- list and verify

function checkOutput(check: PackCheck) {
  return {
    pack_name: check.report.pack_name,
    pack_version: check.report.pack_version,
    digest: check.report.digest,
    installed: check.installed,
    pinned: check.report.pin_verified,
    verified: check.signature_checked ? check.report.status === "pass" : null,
    status: check.report.status,
    failure_reasons: check.report.failure_reasons ?? [],
  };
}

const listCommand = command({
  name: "list",
  explain:
    "List the packs gait.lock records: installed or not, pinned in the cache or not, and verified (signatures checked when a key is given).",
  options: [cacheDirOption, ...verifyKeyOptions],
  examples: ["gait registry list", "gait registry list --public-key publisher.pub --json"],
  async run(_args, options, ctx) {
    const key = await resolveVerifyKey(readVerifyKeySources(options), {
      env: ctx.env,
      cwd: ctx.cwd,
      warn: ctx.warn,
    });
    const checks = await verifyInstalled({
      cwd: ctx.cwd,
      cacheDir: cacheDirOf(options, ctx),
      publisherAllowlist: [],
      ...(key ? { key } : {}),
    });
    const packs = checks.map(checkOutput);
    return {
      output: { packs },
      human:
        packs.length === 0
          ? ["no packs in gait.lock"]
          : packs.map(
              (p) =>
                `${p.pack_name}@${p.pack_version} sha256:${p.digest.slice(0, 12)} installed=${p.installed} pinned=${p.pinned} verified=${p.verified === null ? "not_checked (pass --public-key)" : p.verified}${p.failure_reasons.length ? ` problems=${p.failure_reasons.join(",")}` : ""}`,
            ),
    };
  },
});

const verifyCommand = command({
  name: "verify",
  explain:
    "Re-check every installed pack against gait.lock and its signature: metadata digest, signature, each artifact's sha256, stray files, cache pin and publisher; exit 2 with a reason per failing pack.",
  args: [{ name: "pack", description: "only this pack (default: every pack in gait.lock)" }],
  options: [cacheDirOption, allowlistOption, ...verifyKeyOptions],
  examples: [
    "gait registry verify --public-key publisher.pub",
    "gait registry verify baseline-safety --public-key publisher.pub --json",
  ],
  async run(args, options, ctx): Promise<CommandOutcome> {
    const key = await requiredVerifyKey(options, ctx);
    const checks = await verifyInstalled({
      cwd: ctx.cwd,
      cacheDir: cacheDirOf(options, ctx),
      publisherAllowlist: listOption(options, "publisher-allowlist"),
      key,
      ...(args[0] ? { name: args[0] } : {}),
    });
    const failed = checks.filter((c) => c.report.status === "fail");
    const ok = failed.length === 0;
    const output: Record<string, unknown> = {
      ok,
      packs: checks.map(checkOutput),
      reports: checks.map((c) => c.report),
    };
    if (!ok) {
      output.error = failed
        .map(
          (c) =>
            `${c.report.pack_name}@${c.report.pack_version}: ${(c.report.failure_reasons ?? []).join(", ")}`,
        )
        .join("; ");
      output.error_code = "verification_failed";
      output.hint =
        "run gait registry install --frozen to restore the locked packs, after finding out what changed them";
    }
    return {
      exitCode: exitForCheck(ok),
      output,
      human: checks.map(
        (c) =>
          `${c.report.status === "pass" ? "ok  " : "FAIL"} ${c.report.pack_name}@${c.report.pack_version} sha256:${c.report.digest}${c.report.status === "fail" ? ` reasons=${(c.report.failure_reasons ?? []).join(",")}` : ""}`,
      ),
    };
  },
});

export const registryGroup = group({
  name: "registry",
  explain:
    "Publish, install, list and verify signed policy packs from folder or https registries, pinned in gait.lock.",
  commands: [publishCommand, installCommand, listCommand, verifyCommand],
});
