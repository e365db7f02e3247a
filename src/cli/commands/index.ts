/** Every top-level command, in the order `gait --help` lists them. */
import type { Spec } from "../command.ts";
import { approveCommand } from "./approve.ts";
import { gateGroup } from "./gate.ts";
import { keysCommand } from "./keys.ts";
import { traceGroup } from "./trace.ts";
import { versionCommand } from "./version.ts";

export const commands: Spec[] = [gateGroup, approveCommand, traceGroup, keysCommand, versionCommand];
