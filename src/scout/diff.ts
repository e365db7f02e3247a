/**
 * Drift between two snapshots, keyed by item id: added, removed, and changed (locator, risk,
 * definition digest, other tags). Pure; `gait scout diff` exits 2 when anything drifted.
 */
import { compareBytes } from "../contract/bytes.ts";
import {
  type InventoryItem,
  type InventorySnapshot,
  type ItemChange,
  SCOUT_SCHEMA_VERSION,
  ScoutSchemaIds,
  type SnapshotDiff,
} from "./types.ts";

const DIGEST_TAG = "definition_digest:";

export function diffSnapshots(left: InventorySnapshot, right: InventorySnapshot): SnapshotDiff {
  const before = new Map(left.items.map((item) => [item.id, item]));
  const after = new Map(right.items.map((item) => [item.id, item]));
  const added = [...after.values()].filter((item) => !before.has(item.id)).map(itemRef);
  const removed = [...before.values()].filter((item) => !after.has(item.id)).map(itemRef);
  const changed: ItemChange[] = [];
  let unchanged = 0;
  for (const [id, was] of before) {
    const now = after.get(id);
    if (!now) continue;
    const change = itemChange(was, now);
    if (change) changed.push(change);
    else unchanged++;
  }
  const byId = (a: { id: string }, b: { id: string }) => compareBytes(a.id, b.id);
  added.sort(byId);
  removed.sort(byId);
  changed.sort(byId);
  return {
    schema_id: ScoutSchemaIds.diff,
    schema_version: SCOUT_SCHEMA_VERSION,
    left_snapshot_id: left.snapshot_id,
    right_snapshot_id: right.snapshot_id,
    drift: added.length + removed.length + changed.length > 0,
    added,
    removed,
    changed,
    counts: { added: added.length, removed: removed.length, changed: changed.length, unchanged },
  };
}

function itemRef(item: InventoryItem) {
  return {
    id: item.id,
    kind: item.kind,
    name: item.name,
    locator: item.locator,
    ...(item.risk_level ? { risk_level: item.risk_level } : {}),
  };
}

function itemChange(was: InventoryItem, now: InventoryItem): ItemChange | undefined {
  const fields: ItemChange["fields"] = [];
  const digestWas = definitionDigestOf(was);
  const digestNow = definitionDigestOf(now);
  if (digestWas !== digestNow) fields.push("definition_digest");
  if (was.locator !== now.locator) fields.push("locator");
  if (was.risk_level !== now.risk_level) fields.push("risk_level");
  const otherTags = (item: InventoryItem) =>
    (item.tags ?? [])
      .filter((t) => !t.startsWith(DIGEST_TAG))
      .sort(compareBytes)
      .join("\0");
  if (otherTags(was) !== otherTags(now) || was.name !== now.name || was.kind !== now.kind)
    fields.push("tags");
  if (fields.length === 0) return undefined;
  return {
    id: now.id,
    kind: now.kind,
    name: now.name,
    fields,
    before_locator: was.locator,
    after_locator: now.locator,
    ...(was.risk_level ? { before_risk_level: was.risk_level } : {}),
    ...(now.risk_level ? { after_risk_level: now.risk_level } : {}),
    ...(digestWas !== undefined ? { before_definition_digest: digestWas } : {}),
    ...(digestNow !== undefined ? { after_definition_digest: digestNow } : {}),
  };
}

function definitionDigestOf(item: InventoryItem): string | undefined {
  return item.tags?.find((t) => t.startsWith(DIGEST_TAG))?.slice(DIGEST_TAG.length);
}
