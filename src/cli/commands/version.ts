import { PRODUCER_VERSION } from "../../contract/version.ts";
import { command } from "../command.ts";

export const versionCommand = command({
  name: "version",
  explain: "Print the gait version.",
  run: () => ({ output: { version: PRODUCER_VERSION }, human: `gait ${PRODUCER_VERSION}` }),
});
