/**
 * The input edge: snapshot files (for `diff`) checked against the snapshot schema, and policies
 * (for coverage) loaded by the gate's loader. Anything wrong is exit 6 with a hint naming the file.
 */
import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { isJsonObject, parseJsonStrict } from "../contract/canonical.ts";
import { isGaitError } from "../contract/errors.ts";
import { createSchemaRegistry, type SchemaValidator } from "../contract/schema.ts";
import { type LoadedPolicy, loadPolicyFile } from "../gate/index.ts";
import { invalidInput } from "./error-codes.ts";
import { type InventorySnapshot, InventorySnapshotSchema } from "./types.ts";

const MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024;
let validator: Promise<SchemaValidator> | undefined;

export async function readSnapshotFile(cwd: string, given: string): Promise<InventorySnapshot> {
  const path = resolve(cwd, given);
  const hint = "pass gait.scout.inventory_snapshot files written by gait scout snapshot --out";
  let text: string;
  try {
    if ((await stat(path)).size > MAX_SNAPSHOT_BYTES)
      throw new Error(`larger than ${MAX_SNAPSHOT_BYTES} bytes`);
    text = await readFile(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw invalidInput("scout_snapshot_invalid", `cannot read snapshot ${given}: ${reason}`, { hint });
  }
  let value: unknown;
  try {
    value = parseJsonStrict(text, given);
  } catch (error) {
    throw invalidInput(
      "scout_snapshot_invalid",
      `snapshot ${given} is not JSON: ${(error as Error).message}`,
      { hint },
    );
  }
  validator ??= createSchemaRegistry([
    { key: "scout/inventory_snapshot", schema: InventorySnapshotSchema },
  ]).load();
  const result = (await validator).validate("scout/inventory_snapshot", value);
  if (!result.ok || !isJsonObject(value)) {
    throw invalidInput(
      "scout_snapshot_invalid",
      `${given} is not a gait.scout.inventory_snapshot: ${result.ok ? "not an object" : result.errors.join("; ")}`,
      { hint },
    );
  }
  return value as unknown as InventorySnapshot;
}

export async function loadPolicies(cwd: string, given: readonly string[]): Promise<LoadedPolicy[]> {
  const loaded: LoadedPolicy[] = [];
  for (const path of given) {
    try {
      loaded.push(await loadPolicyFile(resolve(cwd, path), path));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw invalidInput("scout_policy_invalid", `policy ${path} cannot be used for coverage: ${message}`, {
        hint:
          isGaitError(error) && error.hint
            ? error.hint
            : "pass gait.gate.policy YAML files with --policy (check with gait policy validate)",
        cause: error,
      });
    }
  }
  return loaded;
}
