/**
 * `gait incident pack|timeline`: one command that gathers what an incident responder needs around
 * a run into a signed evidence pack, and the chain of events read back from a verified pack. The
 * guard module (src/guard/incident*.ts) does the work.
 */
import { resolve } from "node:path";
import { showPath } from "../../contract/paths.ts";
import {
  type BuiltIncidentPack,
  buildIncidentPack,
  DEFAULT_INCIDENT_TEMPLATE,
  DEFAULT_INCIDENT_WINDOW,
  readIncidentTimeline,
} from "../../guard/index.ts";
import { command, group, listOption, pathArgument, stringOption } from "../command.ts";
import { invalidInput } from "../error-codes.ts";
import { verifyKeyOptions } from "../keyflags.ts";
import {
  keysFrom,
  packHeadline,
  packIdentityOutput,
  packOutputOptions,
  readPackOutputRequest,
  signatureOutput,
  signatureText,
  templateLines,
  templateOption,
  templateOutput,
} from "./audit-flags.ts";

const incidentPackCommand = command({
  name: "pack",
  explain:
    "Build a signed incident pack around a run: the gate traces, approval audits, broker credential records, delegation audits and regress results found in the run's directory and the project's output directories within ±window of the run, with the policy digests, the timeline and a control index.",
  options: [
    {
      name: "from",
      value: "ref",
      description: "run_id (looked up in ./gait-out, then ~/.gait/runpacks) or runpack path",
    },
    {
      name: "window",
      value: "duration",
      description: `records from run time − window to run time + window (Go duration; default ${DEFAULT_INCIDENT_WINDOW})`,
    },
    {
      name: "dir",
      value: "dirs",
      repeatable: true,
      description: "more directories to search (comma-separated or repeated)",
    },
    ...packOutputOptions({
      template: `${templateOption.description} (default ${DEFAULT_INCIDENT_TEMPLATE})`,
      out: "output zip (default: incident_pack_<pack_id>.zip beside the runpack)",
    }),
  ],
  examples: [
    "gait incident pack --from run_demo --window 24h --case-id INC-42",
    "gait incident pack --from run_demo --window 2h --render pdf,html --key-mode prod --private-key gait-out/keys/gait_private.key",
    "gait incident pack --from ./gait-out/runpack_run_x.zip --template soc2 --dir ./ci-traces",
  ],
  run: async (args, options, ctx) => {
    const from = stringOption(options, "from");
    if (!from) {
      throw invalidInput("usage", "a run is required: --from <run_id|path>", {
        hint: "e.g. gait incident pack --from run_demo --window 24h",
      });
    }
    if (args.length > 0) {
      throw invalidInput("usage", `unexpected positional arguments: ${args.join(" ")}`, {
        hint: "name the run with --from",
      });
    }
    const built = await buildIncidentPack({
      from,
      window: stringOption(options, "window"),
      dirs: listOption(options, "dir"),
      ...(await readPackOutputRequest(options, ctx)),
    });
    return { output: packOutput(built), human: packLines(built) };
  },
});

function packOutput(built: BuiltIncidentPack): Record<string, unknown> {
  const { manifest, documents, counts } = built;
  return {
    ...packIdentityOutput(built),
    incident_window: built.window,
    searched_dirs: built.searched,
    trace_count: counts.traces,
    regress_count: counts.regress,
    approval_audit_count: counts.approval_audits,
    credential_evidence_count: counts.credential_evidence,
    delegation_audit_count: counts.delegation_audits,
    outside_window_count: counts.outside_window,
    policy_digests: documents.policyDigests?.policy_digests ?? [],
    verdicts: documents.traces.by_verdict,
    regress_status: documents.regress.status,
    timeline_events: documents.timeline?.events.length ?? 0,
    files: manifest.contents.map((entry) => entry.path),
    ...templateOutput(built),
    ...signatureOutput(built),
    next_commands: [
      `gait pack verify ${built.shownPath}`,
      `gait incident timeline ${built.shownPath}`,
      `gait pack view ${built.shownPath}`,
    ],
  };
}

function packLines(built: BuiltIncidentPack): string[] {
  const { documents, counts, window } = built;
  const v = documents.traces.by_verdict;
  return [
    packHeadline("incident", built),
    `path=${built.shownPath} ${signatureText(built)}`,
    `window=${window.from} .. ${window.to} searched: ${built.searched.join(", ")}`,
    `traces=${counts.traces} (allow=${v.allow} block=${v.block} require_approval=${v.require_approval} dry_run=${v.dry_run}) approval_audits=${counts.approval_audits} credential_evidence=${counts.credential_evidence} delegation_audits=${counts.delegation_audits} regress=${counts.regress} (${documents.regress.status}) outside_window=${counts.outside_window}`,
    `policy_digests=${(documents.policyDigests?.policy_digests ?? []).join(",") || "none"}`,
    ...templateLines(built),
    ...built.warnings.map((w) => `warning: ${w}`),
    `next: gait incident timeline ${built.shownPath}`,
  ];
}

const incidentTimelineCommand = command({
  name: "timeline",
  explain:
    "Print the chain of an incident pack in order (intent → verdict → approval → tool result → regress), read from the pack after verifying it.",
  args: [{ name: "pack", description: "incident pack zip" }],
  options: [
    { name: "path", value: "path", description: "incident pack zip (alternative to the positional)" },
    ...verifyKeyOptions,
  ],
  examples: [
    "gait incident timeline ./gait-out/incident_pack_<pack_id>.zip",
    "gait incident timeline incident.zip --public-key gait-out/keys/gait_public.key --json",
  ],
  run: async (args, options, ctx) => {
    const path = resolve(
      ctx.cwd,
      pathArgument(
        args,
        options,
        "an incident pack zip path",
        "gait incident timeline ./gait-out/incident_pack_<pack_id>.zip",
      ),
    );
    const { verification, timeline } = await readIncidentTimeline(path, await keysFrom(options, ctx));
    for (const warning of verification.warnings) ctx.warn(warning);
    const shown = showPath(ctx.cwd, path);
    return {
      output: {
        ok: true,
        path: shown,
        pack_id: verification.pack_id,
        run_id: timeline.run_id,
        signature_status: verification.signature_status,
        incident_window: timeline.incident_window,
        events: timeline.events,
      },
      human: [
        `incident timeline: pack_id=${verification.pack_id} run_id=${timeline.run_id} signature_status=${verification.signature_status}`,
        `window=${timeline.incident_window.from} .. ${timeline.incident_window.to}`,
        ...timeline.events.map(
          (e) =>
            `${String(e.seq).padStart(3)} ${e.at} ${e.stage.padEnd(11)} ${e.outcome.padEnd(16)} ${[e.tool_name, e.ref].filter(Boolean).join(" ")}${e.reason_codes.length > 0 ? ` (${e.reason_codes.join(",")})` : ""} [${e.entry}]`,
        ),
      ],
    };
  },
});

export const incidentGroup = group({
  name: "incident",
  explain:
    "Incident packs: a signed evidence pack of everything around a run within a time window, and its timeline.",
  commands: [incidentPackCommand, incidentTimelineCommand],
});
