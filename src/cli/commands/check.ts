/** `gait check`: validate the repo policy and project config and list the gaps; writes nothing. */
import { DEFAULT_CONFIG_PATH, DEFAULT_POLICY_PATH } from "../../config/index.ts";
import { exitForCheck } from "../../contract/exit.ts";
import { checkProject, type Finding } from "../../onboarding/index.ts";
import { command, stringOption } from "../command.ts";

export const checkCommand = command({
  name: "check",
  explain:
    "Validate the repo policy and project config and list gaps as findings; exit 0 (no errors), 2 (error findings) or 6 (invalid files).",
  options: [
    {
      name: "policy",
      value: "path",
      description: `policy file (default: gate.policy from the config, else ${DEFAULT_POLICY_PATH})`,
    },
    {
      name: "config",
      value: "path",
      description: `project config (default ${DEFAULT_CONFIG_PATH}, optional)`,
    },
  ],
  examples: ["gait check", "gait check --policy policies/prod.yaml --json"],
  async run(_args, options, ctx) {
    const report = await checkProject({
      cwd: ctx.cwd,
      env: ctx.env,
      policyPath: stringOption(options, "policy"),
      configPath: stringOption(options, "config"),
    });
    const count = (severity: Finding["severity"]) =>
      report.findings.filter((finding) => finding.severity === severity).length;
    const errors = count("error");
    const output: Record<string, unknown> = {
      policy_path: report.policyPath,
      config_path: report.configPath,
      config_found: report.configFound,
      profile: report.profile,
      policy_digest: report.policy.policyDigest,
      default_verdict: report.policy.policy.defaultVerdict,
      rule_count: report.policy.policy.rules.length,
      findings: report.findings,
      summary: { error: errors, warn: count("warn"), info: count("info") },
    };
    if (errors > 0) {
      output.ok = false;
      output.error = `${errors} error finding(s): the setup will not work as configured`;
    }
    return {
      exitCode: exitForCheck(errors === 0),
      output,
      human: [
        `policy ${report.policyPath} valid (digest ${report.policy.policyDigest.slice(0, 12)}…), config ${report.configFound ? `${report.configPath} valid` : "not found (defaults)"}`,
        ...report.findings.flatMap((f) => [
          `[${f.severity}] ${f.code}: ${f.summary}`,
          `  fix: ${f.remediation}`,
        ]),
        `${errors} error, ${count("warn")} warn, ${count("info")} info`,
      ],
    };
  },
});
