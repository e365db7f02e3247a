/** Every top-level command, in the order `gait --help` lists them. */
import type { Spec } from "../command.ts";
import { approveCommand } from "./approve.ts";
import { demoCommand } from "./demo.ts";
import { gateGroup } from "./gate.ts";
import { keysCommand } from "./keys.ts";
import { migrateCommand } from "./migrate.ts";
import { policyGroup } from "./policy.ts";
import { regressGroup } from "./regress.ts";
import { runGroup } from "./run.ts";
import { traceGroup } from "./trace.ts";
import { verifyCommand } from "./verify.ts";
import { versionCommand } from "./version.ts";

export const commands: Spec[] = [
  demoCommand,
  verifyCommand,
  runGroup,
  gateGroup,
  policyGroup,
  regressGroup,
  approveCommand,
  traceGroup,
  keysCommand,
  migrateCommand,
  versionCommand,
];
