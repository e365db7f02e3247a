/** `npm run bench`: prints every benchmark's figures. Run one section with `npm run bench -- <name>`. */
import { benchContract } from "./contract.ts";
import { benchExport } from "./export.ts";
import { benchGate } from "./gate.ts";
import { type BenchRow, printRows } from "./lib.ts";
import { benchMcp } from "./mcp.ts";
import { benchPack } from "./pack.ts";
import { benchReduce } from "./reduce.ts";
import { benchRegress } from "./regress.ts";
import { benchRunpack } from "./runpack.ts";
import { benchScout } from "./scout.ts";
import { benchSidecar } from "./sidecar.ts";

const sections: Record<string, () => Promise<BenchRow[]>> = {
  contract: benchContract,
  gate: benchGate,
  runpack: benchRunpack,
  pack: benchPack,
  regress: benchRegress,
  reduce: benchReduce,
  sidecar: benchSidecar,
  export: benchExport,
  scout: benchScout,
  mcp: benchMcp,
};

const wanted = process.argv.slice(2);
console.log(`gait benchmarks — node ${process.version}, ${process.platform}/${process.arch}`);
for (const [name, run] of Object.entries(sections)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  printRows(name, await run());
}
