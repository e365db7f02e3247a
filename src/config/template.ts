/**
 * The `.gait/config.yaml` that `gait init` writes: every supported field, the ones that need a
 * decision (keys, sidecar) commented out with how to fill them in.
 */
import type { GateProfile } from "../gate/index.ts";

export const DEFAULT_KEY_DIR = "gait-out/keys";

export interface ConfigTemplateOptions {
  /** The repo policy path, relative to the project root. */
  policyPath: string;
  /** oss-prod turns on prod keys (from `gait keys init`) and the hardened gate profile. */
  profile: GateProfile;
}

export function renderProjectConfig({ policyPath, profile }: ConfigTemplateOptions): string {
  const prod = profile === "oss-prod";
  const privateKey = `private_key: ${DEFAULT_KEY_DIR}/gait_private.key`;
  return `# Gait project defaults, read by gait commands run from this directory.
# Flags override these values; \`gait gate eval --no-config\` ignores this file.
# Paths are relative to the directory gait runs in (the project root).
# Check this file and the policy with: gait check   (and gait doctor)
gate:
  # The policy \`gait gate eval\` uses when --policy is not given.
  policy: ${policyPath}
  # standard, or oss-prod (refuses dev keys, default-allow policies and --simulate).
  profile: ${profile}
  # dev signs traces with a throwaway key per call; prod signs with private_key below.
  key_mode: ${prod ? "prod" : "dev"}
  # Signing key for prod: create it with \`gait keys init\` (writes ${DEFAULT_KEY_DIR}/gait_private.key,
  # mode 0600), then use the file, or the NAME of an environment variable holding it (not both).
  ${prod ? "" : "# "}${privateKey}
  # private_key_env: GAIT_PRIVATE_KEY
  # Key that verifies approval tokens (\`gait approve\`); without one, the signing key is used.
  # approval_public_key: ${DEFAULT_KEY_DIR}/approver_public.key
  # approval_public_key_env: GAIT_APPROVAL_PUBLIC_KEY
  # Or an approver key list (gait.gate.approver_keys) binding each approver to their own key:
  # required for min_approvals above 1 to count distinct people (docs/gate.md).
  # approvers: .gait/approvers.yaml
  # Spend each approval token once; the ledger records spent tokens until they expire.
  # approvals:
  #   single_use: true
  #   ledger: .gait-out/gate_approvals_spent.json
  rate_limit_state: .gait-out/gate_rate_limits.json
  # Where trace_<trace_id>.json files are written (without it: the current directory).
  trace_dir: gait-out/traces
sidecar:
  # Loopback address and token variable for \`gait gate serve\`.
  # listen: 127.0.0.1:8787
  # token_env: GAIT_SIDECAR_TOKEN
  # max_request_bytes: 1048576
`;
}
