/**
 * Differential test of the strict zip reader against Python's zipfile: real runpacks and
 * crafted zips are mutated (byte flips, truncation, duplicated central records, renamed local
 * and central names, added extra fields, appended and hidden entries, prefixes, comments), and
 * whenever our reader (or the runpack verifier) accepts a zip, Python must list the same files
 * with the same bytes. Python runs once per batch, not once per case. Without python3 the test
 * is skipped visibly, except under CI=true where that is a failure.
 *
 * Cases come from fast-check with a random seed, printed on failure; set ZIP_DIFF_SEED to
 * replay one.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import fc from "fast-check";
import { GaitError } from "../../src/contract/errors.ts";
import { generateSigningKey, signJson } from "../../src/contract/signing.ts";
import { readZip } from "../../src/contract/zip.ts";
import { runpackZip, verifyRunpack } from "../../src/runpack/index.ts";
import { pythonOrSkip, pythonRead } from "../helpers/python-zipfile.ts";
import { build, sampleInput } from "../runpack/fixtures.ts";
import { craftZip, extraField, unicodePathField } from "./zip-craft.ts";

const CASES = 2500;
const seed = Number(process.env.ZIP_DIFF_SEED ?? Math.floor(Math.random() * 2 ** 31));

// ---------------------------------------------------------------------------------------------
// A zip as three parts, so structural mutations can edit one and reassemble a consistent file.

interface ZipModel {
  /** Local headers, data and descriptors: everything before the central directory. */
  area: Buffer;
  records: Buffer[];
  comment: Buffer;
}

function parseModel(zip: Buffer): ZipModel | undefined {
  const end = zip.lastIndexOf(Buffer.from("PK\x05\x06", "latin1"));
  if (end < 0 || end + 22 > zip.length) return undefined;
  const offset = zip.readUInt32LE(end + 16);
  const size = zip.readUInt32LE(end + 12);
  if (offset + size > end) return undefined;
  const records: Buffer[] = [];
  for (let at = offset; at + 46 <= offset + size; ) {
    const length = 46 + zip.readUInt16LE(at + 28) + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    records.push(Buffer.from(zip.subarray(at, at + length)));
    at += length;
  }
  return {
    area: Buffer.from(zip.subarray(0, offset)),
    records,
    comment: Buffer.from(zip.subarray(end + 22)),
  };
}

function assemble(model: ZipModel): Buffer {
  const directory = Buffer.concat(model.records);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(model.records.length & 0xffff, 8);
  end.writeUInt16LE(model.records.length & 0xffff, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(model.area.length, 16);
  end.writeUInt16LE(model.comment.length & 0xffff, 20);
  return Buffer.concat([model.area, directory, end, model.comment]);
}

/** Inserts bytes into the entry area, moving every entry that starts at or after `at`. */
function insertIntoArea(model: ZipModel, at: number, bytes: Buffer, keepOffsetAt = -1): void {
  model.area = Buffer.concat([model.area.subarray(0, at), bytes, model.area.subarray(at)]);
  for (const record of model.records) {
    const offset = record.readUInt32LE(42);
    if (offset >= at && offset !== keepOffsetAt) record.writeUInt32LE(offset + bytes.length, 42);
  }
}

const nameLength = (record: Buffer) => record.readUInt16LE(28);

// ---------------------------------------------------------------------------------------------
// Mutations

const NAME_BYTES = [0x2e, 0x2f, 0x5c, 0x61, 0x5a, 0x00, 0x20, 0xc3, 0xa9, 0x7f];
const APPENDED_NAMES = ["evil.js", "run.json", "manifest.json", "extra/ü.txt", "dir/", "../up.txt", "a"];

type Mutation =
  | { kind: "duplicateCentral"; record: number; renameAt: number | null; byte: number }
  | { kind: "renameLocal" | "renameCentral"; record: number; at: number; byte: number }
  | { kind: "extraCentral" | "extraLocal"; record: number; field: number; name: string }
  | { kind: "append"; name: string; data: Uint8Array; stored: boolean; hidden: boolean }
  | { kind: "prefix"; bytes: Uint8Array; shift: boolean }
  | { kind: "comment"; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant("duplicateCentral" as const),
    record: fc.nat(),
    renameAt: fc.option(fc.nat()),
    byte: fc.constantFrom(...NAME_BYTES),
  }),
  fc.record({
    kind: fc.constantFrom("renameLocal" as const, "renameCentral" as const),
    record: fc.nat(),
    at: fc.nat(),
    byte: fc.constantFrom(...NAME_BYTES),
  }),
  fc.record({
    kind: fc.constantFrom("extraCentral" as const, "extraLocal" as const),
    record: fc.nat(),
    field: fc.nat(4),
    name: fc.constantFrom(...APPENDED_NAMES),
  }),
  fc.record({
    kind: fc.constant("append" as const),
    name: fc.constantFrom(...APPENDED_NAMES),
    data: fc.uint8Array({ maxLength: 64 }),
    stored: fc.boolean(),
    hidden: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant("prefix" as const),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
    shift: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("comment" as const), bytes: fc.uint8Array({ maxLength: 24 }) }),
);

/** Extra fields to add: agreeing or lying Unicode Path, ZIP64, an unknown id, a truncated field. */
function extraFor(choice: number, rawName: Buffer, name: string): Buffer {
  switch (choice) {
    case 0:
      return unicodePathField(rawName, name);
    case 1:
      return unicodePathField(rawName, rawName.toString("utf8"));
    case 2:
      return extraField(0x0001, Buffer.alloc(8));
    case 3:
      return extraField(0xcafe, Buffer.from("data"));
    default:
      return Buffer.from([0x55, 0x54, 0x09]);
  }
}

function applyMutation(model: ZipModel, m: Mutation): void {
  const count = model.records.length;
  const record = "record" in m && count > 0 ? model.records[m.record % count]! : undefined;
  switch (m.kind) {
    case "duplicateCentral": {
      if (!record) return;
      const copy = Buffer.from(record);
      if (m.renameAt !== null && nameLength(copy) > 0) copy[46 + (m.renameAt % nameLength(copy))] = m.byte;
      model.records.push(copy);
      return;
    }
    case "renameCentral":
      if (record && nameLength(record) > 0) record[46 + (m.at % nameLength(record))] = m.byte;
      return;
    case "renameLocal": {
      const local = record?.readUInt32LE(42);
      if (local === undefined || local + 30 > model.area.length) return;
      const length = model.area.readUInt16LE(local + 26);
      if (length > 0 && local + 30 + length <= model.area.length)
        model.area[local + 30 + (m.at % length)] = m.byte;
      return;
    }
    case "extraCentral": {
      if (!record) return;
      const name = record.subarray(46, 46 + nameLength(record));
      const field = extraFor(m.field, name, m.name);
      const at = 46 + nameLength(record) + record.readUInt16LE(30);
      const grown = Buffer.concat([record.subarray(0, at), field, record.subarray(at)]);
      grown.writeUInt16LE(record.readUInt16LE(30) + field.length, 30);
      model.records[model.records.indexOf(record)] = grown;
      return;
    }
    case "extraLocal": {
      const local = record?.readUInt32LE(42);
      if (!record || local === undefined || local + 30 > model.area.length) return;
      const field = extraFor(m.field, record.subarray(46, 46 + nameLength(record)), m.name);
      const at = local + 30 + model.area.readUInt16LE(local + 26) + model.area.readUInt16LE(local + 28);
      if (at > model.area.length) return;
      model.area.writeUInt16LE(model.area.readUInt16LE(local + 28) + field.length, local + 28);
      insertIntoArea(model, at, field, local);
      return;
    }
    case "append": {
      const single = parseModel(
        craftZip([{ name: m.name, data: Buffer.from(m.data), method: m.stored ? 0 : 8 }]),
      )!;
      const central = single.records[0]!;
      central.writeUInt32LE(model.area.length, 42);
      model.area = Buffer.concat([model.area, single.area]);
      if (!m.hidden) model.records.push(central);
      return;
    }
    case "prefix":
      if (m.shift) insertIntoArea(model, 0, Buffer.from(m.bytes));
      else model.area = Buffer.concat([Buffer.from(m.bytes), model.area]);
      return;
    case "comment":
      model.comment = Buffer.from(m.bytes);
      return;
  }
}

const hexBytes = (_key: string, value: unknown) =>
  value instanceof Uint8Array ? Buffer.from(value).toString("hex") : value;

interface Case {
  base: number;
  mutations: Mutation[];
  flips: [number, number][];
  cut: number | null;
}

const caseArbitrary = (bases: number): fc.Arbitrary<Case> =>
  fc.record({
    base: fc.nat(bases - 1),
    mutations: fc.array(mutation, { maxLength: 3 }),
    flips: fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 3 }),
    cut: fc.oneof({ arbitrary: fc.constant(null), weight: 7 }, { arbitrary: fc.nat(), weight: 1 }),
  });

function mutate(base: Buffer, c: Case): Buffer {
  const model = parseModel(base)!;
  for (const m of c.mutations) applyMutation(model, m);
  const zip = assemble(model);
  for (const [at, value] of c.flips) zip[at % zip.length] = value;
  return c.cut === null ? zip : zip.subarray(0, c.cut % (zip.length + 1));
}

// ---------------------------------------------------------------------------------------------

/** What our side concluded: the files read (names and hashes) and whether the runpack verified. */
interface Outcome {
  files: [string, string][] | undefined;
  verified: boolean;
  error?: string;
}

async function ourOutcome(zip: Buffer, isRunpack: boolean): Promise<Outcome> {
  let files: [string, string][];
  try {
    files = (await readZip(zip)).entries.map((e) => [e.path, e.sha256]);
  } catch (error) {
    assert.ok(error instanceof GaitError, `reader threw a non-coded error: ${String(error)}`);
    return { files: undefined, verified: false, error: error.code };
  }
  if (!isRunpack) return { files, verified: false };
  try {
    return { files, verified: (await verifyRunpack(zip)).ok };
  } catch (error) {
    assert.ok(error instanceof GaitError, `verifier threw a non-coded error: ${String(error)}`);
    return { files, verified: false };
  }
}

async function baseZips(): Promise<{ zip: Buffer; runpack: boolean }[]> {
  const key = generateSigningKey();
  const signed = build(sampleInput(), { sign: (signable) => signJson(key, signable) }).entries;
  const text = (s: string) => Buffer.from(s, "utf8");
  return [
    { zip: await runpackZip(build().entries), runpack: true },
    { zip: await runpackZip(signed), runpack: true },
    {
      zip: craftZip(
        build().entries.map((e, i) => ({ name: e.path, data: e.data, method: i % 2 === 0 ? 0 : 8 })),
        { comment: text("crafted") },
      ),
      runpack: true,
    },
    {
      zip: craftZip([
        { name: "dir/", method: 0, unixMode: 0o040755 },
        { name: "dir/é.txt", data: text("accented"), descriptor: "unsigned" },
        { name: "empty", data: Buffer.alloc(0), method: 0 },
        { name: "big.txt", data: text("line\n".repeat(2000)), descriptor: "signed" },
      ]),
      runpack: false,
    },
  ];
}

describe("zip reader vs Python's zipfile", () => {
  it(`whenever we accept a mutated zip, Python reads the same names and bytes (seed ${seed})`, {
    timeout: 120_000,
  }, async (t) => {
    if (!pythonOrSkip(t, "the zip differential test against Python's zipfile")) return;
    const bases = await baseZips();
    const cases = fc.sample(caseArbitrary(bases.length), { numRuns: CASES, seed });
    const zips = cases.map((c) => mutate(bases[c.base]!.zip, c));
    const ours: Outcome[] = [];
    for (const [i, zip] of zips.entries()) ours.push(await ourOutcome(zip, bases[cases[i]!.base]!.runpack));
    // A 0-byte file is the empty archive writeZip([]) writes (CONTRACTS.md §4); Python calls it
    // "not a zip". Either way no file is read, so it is left out of the comparison.
    const accepted = ours.flatMap((o, i) => (o.files && zips[i]!.length > 0 ? [i] : []));
    const python = pythonRead(accepted.map((i) => zips[i]!));
    accepted.forEach((caseIndex, k) => {
      const theirs = python[k]!;
      const label = `seed ${seed}, case ${caseIndex}: ${JSON.stringify(cases[caseIndex], hexBytes)}`;
      assert.ok(theirs.ok, `we accepted but Python failed (${theirs.ok ? "" : theirs.error}); ${label}`);
      assert.deepEqual(theirs.files, ours[caseIndex]!.files, `Python read other files; ${label}`);
    });
    const verified = ours.filter((o) => o.verified).length;
    const rejectedBy = new Map<string, number>();
    for (const o of ours) if (o.error) rejectedBy.set(o.error, (rejectedBy.get(o.error) ?? 0) + 1);
    t.diagnostic(
      `${CASES} cases: ${accepted.length} read by us (and identically by Python), ${verified} runpacks verified`,
    );
    t.diagnostic(`rejections: ${JSON.stringify(Object.fromEntries([...rejectedBy].sort()))}`);
    // Guard against a vacuous run: plenty of mutations must survive to be compared.
    assert.ok(accepted.length > CASES / 25, `only ${accepted.length} cases accepted`);
    assert.ok(verified > CASES / 50, `only ${verified} runpacks verified`);
  });

  it("reads the zips Python writes (deflate, stored, directories, comment, streamed with descriptors)", async (t) => {
    if (!pythonOrSkip(t, "the zip differential test against Python's zipfile")) return;
    const script = `
import base64, io, json, zipfile
class Stream(io.RawIOBase):  # not seekable: zipfile writes data descriptors
    def __init__(self): self.data = bytearray()
    def writable(self): return True
    def write(self, b): self.data += b; return len(b)
def build(target, method, comment):
    with zipfile.ZipFile(target, "w", compression=method) as z:
        z.mkdir("dir")
        z.writestr("dir/é.txt", "accented " * 50)
        z.writestr("empty.txt", b"")
        with z.open("streamed.bin", "w") as f:
            f.write(bytes(range(256)) * 64)
        z.comment = comment
out = []
for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
    for comment in (b"", b"made by python"):
        seekable = io.BytesIO(); build(seekable, method, comment)
        streamed = Stream(); build(streamed, method, comment)
        out += [base64.b64encode(seekable.getvalue()).decode(), base64.b64encode(bytes(streamed.data)).decode()]
print(json.dumps(out))
`;
    const run = spawnSync("python3", ["-c", script], { encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    const zips = (JSON.parse(run.stdout) as string[]).map((b64) => Buffer.from(b64, "base64"));
    const python = pythonRead(zips);
    for (const [i, zip] of zips.entries()) {
      const files = (await readZip(zip)).entries.map((e) => [e.path, e.sha256]);
      assert.deepEqual(files, (python[i] as { files: unknown }).files, `python-written zip ${i}`);
      assert.equal(files.length, 3);
    }
  });
});
