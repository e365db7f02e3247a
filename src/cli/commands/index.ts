/** Every top-level command, in the order `gait --help` lists them. */
import type { Spec } from "../command.ts";
import { keysCommand } from "./keys.ts";
import { versionCommand } from "./version.ts";

export const commands: Spec[] = [keysCommand, versionCommand];
