/** Every top-level command, in the order `gait --help` lists them. */
import type { Spec } from "../command.ts";
import { approveCommand } from "./approve.ts";
import { approveScriptCommand, listScriptsCommand } from "./approve-script.ts";
import { checkCommand } from "./check.ts";
import { completionCommand } from "./completion.ts";
import { delegateGroup } from "./delegate.ts";
import { demoCommand } from "./demo.ts";
import { doctorCommand } from "./doctor.ts";
import { exportCommand } from "./export.ts";
import { gateGroup } from "./gate.ts";
import { guardGroup } from "./guard.ts";
import { incidentGroup } from "./incident.ts";
import { initCommand } from "./init.ts";
import { jobGroup } from "./job.ts";
import { keysCommand } from "./keys.ts";
import { killSwitchGroup } from "./kill-switch.ts";
import { mcpGroup } from "./mcp.ts";
import { migrateCommand } from "./migrate.ts";
import { packGroup } from "./pack.ts";
import { policyGroup } from "./policy.ts";
import { registryGroup } from "./registry.ts";
import { regressGroup } from "./regress.ts";
import { runGroup } from "./run.ts";
import { scoutGroup } from "./scout.ts";
import { skillsGroup } from "./skills.ts";
import { traceGroup } from "./trace.ts";
import { verifyCommand } from "./verify.ts";
import { versionCommand } from "./version.ts";
import { enforceCommand, testCommand } from "./wrap.ts";

export const commands: Spec[] = [
  demoCommand,
  verifyCommand,
  runGroup,
  gateGroup,
  policyGroup,
  regressGroup,
  jobGroup,
  packGroup,
  guardGroup,
  incidentGroup,
  scoutGroup,
  mcpGroup,
  registryGroup,
  skillsGroup,
  approveCommand,
  killSwitchGroup,
  approveScriptCommand,
  listScriptsCommand,
  delegateGroup,
  traceGroup,
  exportCommand,
  keysCommand,
  migrateCommand,
  initCommand,
  checkCommand,
  doctorCommand,
  testCommand,
  enforceCommand,
  versionCommand,
  completionCommand,
];
