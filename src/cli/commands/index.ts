/** Every top-level command, in the order `gait --help` lists them. */
import type { Spec } from "../command.ts";
import { versionCommand } from "./version.ts";

export const commands: Spec[] = [versionCommand];
