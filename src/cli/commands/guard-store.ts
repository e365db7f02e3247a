/**
 * `gait guard encrypt|decrypt|retain` (docs/encryption.md, docs/retention.md): one file to or from
 * age (or the reference's envelope, read), and retention of traces and packs with a signed,
 * deterministic report. The guard module does the work; the key hooks are the artifact store's.
 */
import { resolve } from "node:path";
import { loadProjectConfig, type RetentionDefaults } from "../../config/index.ts";
import { resolveSigningKey } from "../../contract/keys.ts";
import { showPath } from "../../contract/paths.ts";
import { type Clock, fixedClock, Timestamp } from "../../contract/time.ts";
import {
  type CryptFileOutcome,
  DECRYPT_FORMATS,
  DEFAULT_PACK_TTL,
  DEFAULT_TRACE_TTL,
  type DecryptFormat,
  decryptArtifactFile,
  encryptArtifactFile,
  RETENTION_PROFILE_TTLS,
  type RetentionOutcome,
  runRetention,
  writeRetentionReport,
} from "../../guard/index.ts";
import { checkRecipient, readRecipientsFile, storeRecipients } from "../../store/index.ts";
import { type CommandContext, command, listOption, type Options, stringOption } from "../command.ts";
import { invalidInput } from "../error-codes.ts";
import { readProjectSigningKeyRequest, signingKeyOptions } from "../keyflags.ts";
import { projectConfigOptions } from "../project-defaults.ts";
import { identityOptions } from "../store-flags.ts";

const passphraseOption = {
  name: "passphrase-env",
  value: "VAR",
  description: "environment variable holding an age passphrase (scrypt) instead of recipients/identities",
};

function requiredInput(options: Options, args: string[], example: string): string {
  const input = stringOption(options, "in") ?? args[0];
  if (!input)
    throw invalidInput("usage", "an input file is required: --in <file>", { hint: `e.g. ${example}` });
  return input;
}

function readPassphrase(options: Options, ctx: CommandContext): string | undefined {
  const name = stringOption(options, "passphrase-env");
  if (name === undefined) return undefined;
  const value = ctx.env[name];
  if (!value) {
    throw invalidInput("usage", `environment variable ${name} is unset or empty`, {
      hint: `export ${name} with the passphrase`,
    });
  }
  return value;
}

function cryptOutput(outcome: CryptFileOutcome, verb: "encrypted" | "decrypted") {
  return {
    output: { ok: true, path: outcome.shownOutput, format: outcome.format, size: outcome.size },
    human: [`${verb} (${outcome.format}) -> ${outcome.shownOutput} (${outcome.size} bytes)`],
  };
}

// ---------------------------------------------------------------------------------------------
// encrypt

const guardEncryptCommand = command({
  name: "encrypt",
  explain:
    "Encrypt a file with age (X25519 recipients, or a passphrase) into a new file any age tool can decrypt.",
  args: [{ name: "in", description: "file to encrypt (alternative to --in)" }],
  options: [
    { name: "in", value: "file", description: "file to encrypt" },
    { name: "out", value: "file", description: "output (default <in>.age; never replaced)" },
    {
      name: "recipient",
      value: "age1…",
      repeatable: true,
      description: "age recipient (comma-separated or repeated)",
    },
    { name: "recipients-file", value: "file", description: "file of age recipients, one per line" },
    passphraseOption,
    ...projectConfigOptions,
  ],
  examples: [
    "gait guard encrypt --in gait-out/runpack_run_demo.zip --recipient age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
    "gait guard encrypt --in regress_result.json --recipients-file team.recipients --out regress_result.json.age",
    "GAIT_PASSPHRASE=… gait guard encrypt --in trace_x.json --passphrase-env GAIT_PASSPHRASE",
  ],
  run: async (args, options, ctx) => {
    const passphrase = readPassphrase(options, ctx);
    const recipients = listOption(options, "recipient").map((r) => checkRecipient(r, "--recipient"));
    const file = stringOption(options, "recipients-file");
    if (file !== undefined) recipients.push(...(await readRecipientsFile(file, ctx.cwd)));
    // Without recipients given, the store's (store.encrypt in the project config).
    if (recipients.length === 0 && passphrase === undefined)
      recipients.push(...((await storeRecipients()) ?? []));
    const outcome = await encryptArtifactFile({
      input: requiredInput(
        options,
        args,
        "gait guard encrypt --in gait-out/runpack_run_demo.zip --recipient age1…",
      ),
      out: stringOption(options, "out"),
      recipients,
      ...(passphrase !== undefined ? { passphrase } : {}),
      cwd: ctx.cwd,
    });
    return cryptOutput(outcome, "encrypted");
  },
});

// ---------------------------------------------------------------------------------------------
// decrypt

const guardDecryptCommand = command({
  name: "decrypt",
  explain:
    "Decrypt an age file (or the reference's gait.guard.encrypted_artifact envelope) with an identity from a file, an environment variable or a command.",
  args: [{ name: "in", description: "file to decrypt (alternative to --in)" }],
  options: [
    { name: "in", value: "file", description: "encrypted file" },
    {
      name: "out",
      value: "file",
      description: "output (default: <in> without .age/.gaitenc; never replaced)",
    },
    {
      name: "format",
      value: "format",
      choices: DECRYPT_FORMATS,
      description: "expected format (default: detected): age, or gait-aes-gcm (the reference's envelope)",
    },
    ...identityOptions,
    passphraseOption,
    ...projectConfigOptions,
  ],
  examples: [
    "gait guard decrypt --in gait-out/runpack_run_demo.zip.age --identity key.txt",
    "gait guard decrypt --in trace_x.json.age --identity-command 'pass show gait/age-identity'",
    "gait guard decrypt --in pack.zip.gaitenc --format gait-aes-gcm --identity-env GAIT_GUARD_KEY",
  ],
  run: async (args, options, ctx) => {
    const passphrase = readPassphrase(options, ctx);
    const outcome = await decryptArtifactFile({
      input: requiredInput(
        options,
        args,
        "gait guard decrypt --in gait-out/runpack_run_demo.zip.age --identity key.txt",
      ),
      out: stringOption(options, "out"),
      ...(stringOption(options, "format")
        ? { format: stringOption(options, "format") as DecryptFormat }
        : {}),
      ...(passphrase !== undefined ? { passphrase } : {}),
      cwd: ctx.cwd,
    });
    return cryptOutput(outcome, "decrypted");
  },
});

// ---------------------------------------------------------------------------------------------
// retain

const guardRetainCommand = command({
  name: "retain",
  explain:
    "Delete traces and packs older than their TTL under a root (or list them with --dry-run) and write a signed, deterministic retention report.",
  options: [
    { name: "root", value: "dir", description: "directory to scan, recursively (default .)" },
    {
      name: "trace-ttl",
      value: "duration",
      description: "age after which trace_*.json[.age] files go (default 168h)",
    },
    {
      name: "pack-ttl",
      value: "duration",
      description:
        "age after which evidence/incident packs, packs and runpacks (*.zip[.age]) go (default 720h)",
    },
    {
      name: "profile",
      value: "profile",
      choices: Object.keys(RETENTION_PROFILE_TTLS),
      description: "TTL profile: short 24h/72h, medium 168h/336h, long 720h/1440h (trace/pack)",
    },
    { name: "dry-run", description: "list what would be deleted; delete nothing" },
    {
      name: "report-out",
      value: "file",
      description: "write the gait.guard.retention_report here, signed in <file>.sig.json",
    },
    {
      name: "now",
      value: "RFC3339",
      description: "the time ages are measured from (default: now), for reproducible reports",
    },
    ...signingKeyOptions,
    ...projectConfigOptions,
  ],
  examples: [
    "gait guard retain --dry-run",
    "gait guard retain --root gait-out --trace-ttl 24h --pack-ttl 720h --report-out retention_report.json",
    "gait guard retain --profile short --now 2026-02-06T12:00:00Z --report-out report.json",
  ],
  run: async (_args, options, ctx) => {
    const ttls = retentionTtls(options, await retentionConfig(options, ctx));
    const clock: Clock = stringOption(options, "now")
      ? fixedClock(Timestamp.parse(stringOption(options, "now")!, "--now"))
      : ctx.clock;
    const outcome = await runRetention({
      root: stringOption(options, "root") ?? ".",
      cwd: ctx.cwd,
      ...ttls,
      dryRun: options["dry-run"] === true,
      clock,
    });
    for (const path of outcome.busy) ctx.warn(`kept ${path}: it is locked or open in another process`);
    const reportOut = stringOption(options, "report-out");
    const written = reportOut ? await writeSignedReport(reportOut, outcome, options, ctx) : undefined;
    return retainOutput(outcome, written, ctx);
  },
});

async function retentionConfig(options: Options, ctx: CommandContext): Promise<RetentionDefaults> {
  if (options["no-config"] === true) return {};
  return (await loadProjectConfig(ctx.cwd, stringOption(options, "config"))).config.retention;
}

/** Flags, then the config's TTLs, then a profile (flag, then config), then the reference's defaults. */
function retentionTtls(options: Options, config: RetentionDefaults): { traceTtl: string; packTtl: string } {
  const profileName = (stringOption(options, "profile") ?? config.profile) as
    | keyof typeof RETENTION_PROFILE_TTLS
    | undefined;
  const profile = profileName ? RETENTION_PROFILE_TTLS[profileName] : undefined;
  return {
    traceTtl: stringOption(options, "trace-ttl") ?? config.traceTtl ?? profile?.trace ?? DEFAULT_TRACE_TTL,
    packTtl: stringOption(options, "pack-ttl") ?? config.packTtl ?? profile?.pack ?? DEFAULT_PACK_TTL,
  };
}

async function writeSignedReport(
  out: string,
  outcome: RetentionOutcome,
  options: Options,
  ctx: CommandContext,
) {
  const signing = await resolveSigningKey(await readProjectSigningKeyRequest(options, ctx.cwd), ctx);
  for (const warning of signing.warnings) ctx.warn(warning);
  const paths = await writeRetentionReport(resolve(ctx.cwd, out), outcome.report, signing.key);
  return { ...paths, keyId: signing.key.keyId };
}

function retainOutput(
  { report, busy }: RetentionOutcome,
  written: { reportPath: string; signaturePath: string; keyId: string } | undefined,
  ctx: CommandContext,
) {
  const verb = report.dry_run ? "would delete" : "deleted";
  return {
    output: {
      ok: true,
      dry_run: report.dry_run,
      root_path: report.root_path,
      scanned_files: report.scanned_files,
      deleted: report.deleted_files.map((file) => file.path),
      kept: report.kept_files.map((file) => file.path),
      busy,
      ...(written
        ? {
            report_path: showPath(ctx.cwd, written.reportPath),
            signature_path: showPath(ctx.cwd, written.signaturePath),
            signature_key_id: written.keyId,
          }
        : { report }),
    },
    human: [
      `retain ${report.root_path}: scanned=${report.scanned_files} ${verb}=${report.deleted_files.length} kept=${report.kept_files.length}${report.dry_run ? " (dry run)" : ""}`,
      ...report.deleted_files.map((file) => `${verb}: ${file.path} (${file.kind}, age ${file.age_seconds}s)`),
      ...busy.map((path) => `kept (locked or open): ${path}`),
      ...(written
        ? [
            `report: ${showPath(ctx.cwd, written.reportPath)} signed in ${showPath(ctx.cwd, written.signaturePath)}`,
          ]
        : []),
    ],
  };
}

export const guardStoreCommands = [guardEncryptCommand, guardDecryptCommand, guardRetainCommand];
