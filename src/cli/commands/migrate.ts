/** `gait migrate <runpack>`: re-record an older or non-canonical runpack in the current v1 form. */
import { MIGRATE_TARGETS, migrateRunpack } from "../../runpack/index.ts";
import { command, stringOption } from "../command.ts";
import { invalidInput } from "../error-codes.ts";

export const migrateCommand = command({
  name: "migrate",
  explain: "Re-record a runpack in the current canonical v1 form, verify it, and write it next to the input.",
  args: [{ name: "artifact", description: "run_id or runpack path" }],
  options: [
    { name: "input", value: "path", description: "runpack (alternative to the positional)" },
    {
      name: "out",
      value: "path",
      description: "output path (default runpack_<run_id>_migrated.zip next to the input)",
    },
    {
      name: "target",
      value: "version",
      choices: MIGRATE_TARGETS,
      default: "v1",
      description: "target contract version",
    },
  ],
  examples: ["gait migrate ./old/runpack_run_x.zip", "gait migrate run_x --out ./gait-out/run_x_v1.zip"],
  run: async (args, options, ctx) => {
    const ref = args[0] ?? stringOption(options, "input");
    if (!ref) throw invalidInput("usage", "a runpack run_id or path is required");
    const out = stringOption(options, "out");
    const outcome = await migrateRunpack({
      ref,
      cwd: ctx.cwd,
      env: ctx.env,
      target: stringOption(options, "target") ?? "v1",
      ...(out ? { out } : {}),
    });
    for (const warning of outcome.warnings) ctx.warn(warning);
    return {
      output: { ...outcome },
      human: [`${outcome.status}: ${outcome.input} -> ${outcome.output}`, `run_id=${outcome.run_id}`],
    };
  },
});
