/**
 * Deterministic zip writing and the one strict zip reader (CONTRACTS.md §4, §3.5).
 *
 * Writer: the zip format is emitted here directly (deflate via node:zlib) rather than through
 * yazl, because yazl derives the DOS time fields from the *local* time zone and cannot emit Go's
 * extended-timestamp extra field and data-descriptor layout. Every entry mirrors the reference's
 * `core/zipx`: sorted by byte order, Deflate at a fixed level, DOS time 1980-01-01 00:00:00 plus
 * the 0x5455 extra field (mtime 315532800), flag 0x08 with a data descriptor, unix mode
 * 0644/0755 with creator "unix", no directories, no comment. Compressed bytes differ from Go's
 * (different deflate implementation); every digest is over uncompressed content.
 *
 * Reader: parsed here too, not through yauzl, because a verifier must see exactly the bytes other
 * readers see: names from the raw central-directory bytes (yauzl prefers the 0x7075 Unicode Path
 * field), local headers and data descriptors that agree with the central directory, entries that
 * tile the file without overlaps or hidden bytes, and limits checked before anything is inflated.
 * `openZip` verifies the structure; reads then inflate under a hard cap and check size, CRC-32
 * and deflate framing, and `sha256` streams large entries. Every failure is a coded GaitError.
 */
import { createHash } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import { type FileHandle, lstat, mkdir, open, realpath } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { compareBytes } from "./bytes.ts";
import type { ContractErrorCode } from "./error-codes.ts";
import { fromFsError, GaitError, gaitError, invalidInput, verificationFailed } from "./errors.ts";
import { writeFileAtomic } from "./files.ts";

export interface ZipEntryInput {
  /** Relative path with forward slashes, e.g. `manifest.json` or `source/runpack.zip`. */
  path: string;
  /** Entry content; strings are written as UTF-8. */
  data: Buffer | string;
  /** Mode 0755 instead of 0644. */
  executable?: boolean;
}

export interface ZipLimits {
  /** Largest declared uncompressed entry (default 100 MiB, CONTRACTS.md §3.5); data must match it. */
  maxEntryBytes?: number;
  /** Largest sum of declared uncompressed entry sizes (default 1 GiB). */
  maxTotalBytes?: number;
  /** Most entries in the central directory, directories included (default 10 000). */
  maxEntries?: number;
  /** Highest uncompressed/compressed ratio for entries above 1 MiB (default 1000). */
  maxCompressionRatio?: number;
}

/** A file entry read into memory by `readZip`. */
export interface ZipEntry extends ZipEntryInfo, ZipEntryData {}

export interface ZipArchive {
  /** File entries in central-directory order; directory entries are left out. */
  entries: ZipEntry[];
}

const DEFAULT_ZIP_LIMITS: Readonly<Required<ZipLimits>> = Object.freeze({
  maxEntryBytes: 100 * 1024 * 1024,
  maxTotalBytes: 1024 * 1024 * 1024,
  maxEntries: 10_000,
  maxCompressionRatio: 1000,
});

/** Entries smaller than this are never called bombs: tiny repetitive files compress extremely well. */
const RATIO_EXEMPT_BYTES = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Writing

const DEFLATE_LEVEL = 5; // the reference's level; zlib still produces different bytes than Go
const DOS_TIME_1980 = 0; // 00:00:00
const DOS_DATE_1980 = (1 << 5) | 1; // 1980-01-01
const UNIX_TIME_1980 = 315_532_800;
const FLAG_DATA_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;
const VERSION_20 = 20;
const CREATOR_UNIX = 3 << 8;
const METHOD_STORE = 0;
const METHOD_DEFLATE = 8;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const SIG_LOCAL = 0x04034b50;
const SIG_DESCRIPTOR = 0x08074b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_END = 0x06054b50;
const ZIP32_MAX = 0xffffffff;

const deflateRaw = promisify(zlib.deflateRaw);

/** Go's extended-timestamp extra field (id 0x5455, flags=1, mtime) with the fixed 1980 time. */
const EXTENDED_TIMESTAMP = (() => {
  const field = Buffer.alloc(9);
  field.writeUInt16LE(0x5455, 0);
  field.writeUInt16LE(5, 2);
  field.writeUInt8(1, 4);
  field.writeUInt32LE(UNIX_TIME_1980, 5);
  return field;
})();

interface PreparedEntry {
  name: Buffer;
  flags: number;
  mode: number;
  crc: number;
  size: number;
  compressed: Buffer;
}

/** Builds a deterministic zip in memory: same entries (in any order) → same bytes. */
export async function writeZip(entries: readonly ZipEntryInput[]): Promise<Buffer> {
  validateEntryInputs(entries);
  if (entries.length === 0) return Buffer.alloc(0);
  const sorted = [...entries].sort((a, b) => compareBytes(a.path, b.path));
  const prepared = await Promise.all(sorted.map(prepareEntry));
  return assembleZip(prepared);
}

/** writeZip to `path`, atomically, with file mode 0600. */
export async function writeZipFile(path: string, entries: readonly ZipEntryInput[]): Promise<void> {
  await writeFileAtomic(path, await writeZip(entries));
}

function validateEntryInputs(entries: readonly ZipEntryInput[]): void {
  const seen = new Set<string>();
  for (const entry of entries) {
    const problem = entryPathProblem(entry.path);
    if (problem) {
      throw invalidInput(
        "zip_invalid_entry_path",
        `zip entry path ${JSON.stringify(entry.path)} ${problem}`,
        {
          hint: "use a relative path with forward slashes and no '.' or '..' segments",
          details: { path: entry.path },
        },
      );
    }
    if (seen.has(entry.path)) {
      throw invalidInput("zip_duplicate_entry", `zip entry ${JSON.stringify(entry.path)} appears twice`, {
        hint: "give every zip entry a distinct path",
        details: { path: entry.path },
      });
    }
    seen.add(entry.path);
  }
}

function entryPathProblem(path: string): string | undefined {
  if (typeof path !== "string" || path === "") return "is empty";
  if (path.includes("\\")) return "contains a backslash";
  if (path.includes("\0")) return "contains a NUL character";
  if (isAbsoluteName(path)) return "is absolute";
  const segments = path.split("/");
  if (segments.includes("..")) return "contains a '..' segment";
  if (segments.some((s) => s === "" || s === ".")) return "has an empty or '.' segment";
  if (Buffer.byteLength(path) > 0xffff) return "is too long";
  return undefined;
}

async function prepareEntry(entry: ZipEntryInput): Promise<PreparedEntry> {
  const data = typeof entry.data === "string" ? Buffer.from(entry.data, "utf8") : entry.data;
  const name = Buffer.from(entry.path, "utf8");
  const nonAscii = name.length !== entry.path.length;
  return {
    name,
    flags: FLAG_DATA_DESCRIPTOR | (nonAscii ? FLAG_UTF8 : 0),
    mode: S_IFREG | (entry.executable ? 0o755 : 0o644),
    crc: crc32(data),
    size: data.length,
    compressed: await deflateRaw(data, { level: DEFLATE_LEVEL }),
  };
}

function assembleZip(entries: readonly PreparedEntry[]): Buffer {
  const parts: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    if (entry.size >= ZIP32_MAX || entry.compressed.length >= ZIP32_MAX || offset >= ZIP32_MAX) {
      throw zipTooLargeToWrite();
    }
    const local = localHeader(entry);
    const descriptor = dataDescriptor(entry);
    parts.push(local, entry.compressed, descriptor);
    centrals.push(centralHeader(entry, offset));
    offset += local.length + entry.compressed.length + descriptor.length;
  }
  const centralSize = centrals.reduce((sum, c) => sum + c.length, 0);
  if (entries.length > 0xffff || offset + centralSize >= ZIP32_MAX) throw zipTooLargeToWrite();
  parts.push(...centrals, endOfCentralDirectory(entries.length, centralSize, offset));
  return Buffer.concat(parts);
}

function zipTooLargeToWrite(): GaitError {
  return invalidInput("zip_too_large", "zip archive exceeds the 4 GiB / 65535-entry zip32 limits", {
    hint: "split the content into smaller archives",
  });
}

function localHeader(entry: PreparedEntry): Buffer {
  const header = Buffer.alloc(30);
  header.writeUInt32LE(SIG_LOCAL, 0);
  header.writeUInt16LE(VERSION_20, 4);
  header.writeUInt16LE(entry.flags, 6);
  header.writeUInt16LE(METHOD_DEFLATE, 8);
  header.writeUInt16LE(DOS_TIME_1980, 10);
  header.writeUInt16LE(DOS_DATE_1980, 12);
  // crc and sizes (14..25) stay zero: they follow in the data descriptor (flag 0x08), like Go.
  header.writeUInt16LE(entry.name.length, 26);
  header.writeUInt16LE(EXTENDED_TIMESTAMP.length, 28);
  return Buffer.concat([header, entry.name, EXTENDED_TIMESTAMP]);
}

function dataDescriptor(entry: PreparedEntry): Buffer {
  const descriptor = Buffer.alloc(16);
  descriptor.writeUInt32LE(SIG_DESCRIPTOR, 0);
  descriptor.writeUInt32LE(entry.crc, 4);
  descriptor.writeUInt32LE(entry.compressed.length, 8);
  descriptor.writeUInt32LE(entry.size, 12);
  return descriptor;
}

function centralHeader(entry: PreparedEntry, localOffset: number): Buffer {
  const header = Buffer.alloc(46);
  header.writeUInt32LE(SIG_CENTRAL, 0);
  header.writeUInt16LE(CREATOR_UNIX | VERSION_20, 4);
  header.writeUInt16LE(VERSION_20, 6);
  header.writeUInt16LE(entry.flags, 8);
  header.writeUInt16LE(METHOD_DEFLATE, 10);
  header.writeUInt16LE(DOS_TIME_1980, 12);
  header.writeUInt16LE(DOS_DATE_1980, 14);
  header.writeUInt32LE(entry.crc, 16);
  header.writeUInt32LE(entry.compressed.length, 20);
  header.writeUInt32LE(entry.size, 24);
  header.writeUInt16LE(entry.name.length, 28);
  header.writeUInt16LE(EXTENDED_TIMESTAMP.length, 30);
  // comment length, disk number and internal attributes (32..37) stay zero.
  header.writeUInt32LE((entry.mode << 16) >>> 0, 38);
  header.writeUInt32LE(localOffset, 42);
  return Buffer.concat([header, entry.name, EXTENDED_TIMESTAMP]);
}

function endOfCentralDirectory(count: number, centralSize: number, centralOffset: number): Buffer {
  const end = Buffer.alloc(22);
  end.writeUInt32LE(SIG_END, 0);
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(centralOffset, 16);
  return end;
}

// ---------------------------------------------------------------------------------------------
// Reading: one strict reader for every verifier. The rules and the reasons for them are listed in
// docs/runpack.md ("How zips are read"); in short, a zip is accepted only when every reader we
// know of (Go, Python's zipfile, Info-ZIP, streaming readers) would see the same entries with
// the same bytes, and only within the limits, all checked before any data is inflated.

/** A file entry that passed every structural check; its data is checked when it is read. */
export interface ZipEntryInfo {
  /** The entry name exactly as stored: valid UTF-8, relative, forward slashes. */
  path: string;
  /** Declared uncompressed size; a read fails unless the data inflates to exactly this. */
  size: number;
  compressedSize: number;
}

export interface ZipEntryData {
  data: Buffer;
  /** Hex sha256 of `data`. */
  sha256: string;
}

export interface ZipReadOptions {
  /** Refuse to buffer an entry larger than this (default: the reader's `maxEntryBytes`). */
  maxBytes?: number;
}

/** An opened, structurally verified zip. Reads check size, CRC-32 and deflate framing. */
export interface ZipReader {
  /** File entries in central-directory order; directory entries are checked, then left out. */
  readonly entries: readonly ZipEntryInfo[];
  /** An entry's bytes, inflated in memory (at most `maxBytes`). */
  read(path: string, options?: ZipReadOptions): Promise<ZipEntryData>;
  /** An entry's hex sha256; large entries are streamed, so memory stays bounded. */
  sha256(path: string): Promise<string>;
  close(): Promise<void>;
}

const SIG_ZIP64_LOCATOR = 0x07064b50;
const END_SIGNATURE = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const END_BYTES = 22;
const CENTRAL_BYTES = 46;
const LOCAL_BYTES = 30;
const MAX_COMMENT_BYTES = 0xffff;
const FLAG_ENCRYPTED = 0x0001;
/** Deflate speed hints (bits 1-2), the data descriptor and UTF-8 names: every other bit is refused. */
const ALLOWED_FLAGS = 0x0006 | FLAG_DATA_DESCRIPTOR | FLAG_UTF8;
/** The flag bits that change how an entry is read, so local and central headers must agree on them. */
const MATCHING_FLAGS = FLAG_DATA_DESCRIPTOR | FLAG_UTF8;
const EXTRA_ZIP64 = 0x0001;
const EXTRA_UNICODE_PATH = 0x7075;
/** Python's zipfile refuses "version needed to extract" above 6.3; so do we, to agree with it. */
const MAX_VERSION_NEEDED = 63;
const MAX_CENTRAL_DIRECTORY_BYTES = 64 * 1024 * 1024;
const S_IFDIR = 0o040000;
const DOS_DIRECTORY = 0x10;
/**
 * Large entries are read and inflated this much at a time: memory stays at a few chunks, and each
 * chunk is a thread-pool round trip for the read and the inflate (256 KB chunks made verify of a
 * 100 MB entry 76–80% of the inflate+sha256 floor's speed; 1 MB, 90–93%).
 */
const STREAM_CHUNK_BYTES = 1024 * 1024;
/** Entries up to this size are hashed from one in-memory inflate (faster); larger ones stream. */
const BUFFERED_HASH_BYTES = 4 * 1024 * 1024;

const utf8Strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Random access to the archive bytes: an in-memory buffer or an open file. */
interface ByteSource {
  size: number;
  /** Exactly `length` bytes at `start`; may alias the caller's buffer (see `aliasesInput`). */
  read(start: number, length: number): Promise<Buffer>;
  aliasesInput: boolean;
  close(): Promise<void>;
}

/** One central-directory record, fields as stored. */
interface CentralRecord {
  path: string;
  name: Buffer;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  versionNeeded: number;
  diskStart: number;
  externalAttributes: number;
  localOffset: number;
  extra: Buffer;
}

/** A record whose local header agreed with it, with the byte range it occupies. */
interface LocatedEntry extends CentralRecord {
  dataStart: number;
  /** End of the entry's local header + data + data descriptor. */
  end: number;
}

interface EndRecord {
  count: number;
  directorySize: number;
  directoryOffset: number;
}

/**
 * Opens a zip (a path or the archive bytes) and checks its whole structure: end record, central
 * directory, every local header and data descriptor, entry names and kinds, the byte layout and
 * the declared sizes against the limits. No entry data is inflated here. An empty (0-byte) input
 * is the empty archive `writeZip([])` produces. Close the reader (or use `withZip`).
 */
export async function openZip(source: string | Buffer, limits: ZipLimits = {}): Promise<ZipReader> {
  const effective = { ...DEFAULT_ZIP_LIMITS, ...limits };
  const label = sourceLabel(source);
  const bytes = await openSource(source);
  try {
    return new StrictZipReader(bytes, await readLayout(bytes, effective), effective, label);
  } catch (error) {
    await bytes.close();
    throw asZipError(error, "zip_corrupt", label);
  }
}

/** Opens a zip, hands it to `use`, and closes it whatever happens. */
export async function withZip<T>(
  source: string | Buffer,
  limits: ZipLimits,
  use: (zip: ZipReader) => Promise<T>,
): Promise<T> {
  const zip = await openZip(source, limits);
  try {
    return await use(zip);
  } finally {
    await zip.close();
  }
}

/** Reads every file entry into memory (within the limits): for small archives and extraction. */
export function readZip(source: string | Buffer, limits: ZipLimits = {}): Promise<ZipArchive> {
  return withZip(source, limits, async (zip) => {
    const entries: ZipEntry[] = [];
    for (const info of zip.entries) entries.push({ ...info, ...(await zip.read(info.path)) });
    return { entries };
  });
}

class StrictZipReader implements ZipReader {
  readonly entries: readonly ZipEntryInfo[];
  private readonly byPath: Map<string, LocatedEntry>;

  constructor(
    private readonly bytes: ByteSource,
    located: readonly LocatedEntry[],
    private readonly limits: Required<ZipLimits>,
    private readonly label: string,
  ) {
    this.entries = located.map((e) => ({ path: e.path, size: e.size, compressedSize: e.compressedSize }));
    this.byPath = new Map(located.map((e) => [e.path, e]));
  }

  async read(path: string, options: ZipReadOptions = {}): Promise<ZipEntryData> {
    const entry = this.entry(path);
    const cap = options.maxBytes ?? this.limits.maxEntryBytes;
    if (entry.size > cap) throw entryTooLarge(path, entry.size, cap);
    return this.guard(() => readBuffered(this.bytes, entry));
  }

  async sha256(path: string): Promise<string> {
    const entry = this.entry(path);
    if (entry.size <= BUFFERED_HASH_BYTES) return (await this.read(path)).sha256;
    return this.guard(() => hashStreamed(this.bytes, entry));
  }

  close(): Promise<void> {
    return this.bytes.close();
  }

  private entry(path: string): LocatedEntry {
    const entry = this.byPath.get(path);
    if (!entry) {
      throw invalidInput("zip_entry_not_found", `zip has no file entry ${JSON.stringify(path)}`, {
        hint: "read one of the paths listed in the reader's entries",
        details: { entry: path },
      });
    }
    return entry;
  }

  private async guard<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      throw asZipError(error, "zip_corrupt", this.label);
    }
  }
}

async function openSource(source: string | Buffer): Promise<ByteSource> {
  if (typeof source !== "string") {
    return {
      size: source.length,
      read: async (start, length) => source.subarray(start, checkedEnd(source.length, start, length)),
      aliasesInput: true,
      close: async () => undefined,
    };
  }
  let handle: FileHandle;
  try {
    handle = await open(source, "r");
  } catch (error) {
    throw fromFsError(error, "open zip", source);
  }
  try {
    const { size } = await handle.stat();
    return {
      size,
      read: (start, length) => readExactly(handle, start, checkedEnd(size, start, length) - start),
      aliasesInput: false,
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw fromFsError(error, "read zip", source);
  }
}

function checkedEnd(size: number, start: number, length: number): number {
  if (start < 0 || length < 0 || start + length > size) {
    throw zipError("zip_corrupt", "a zip structure points past the end of the file");
  }
  return start + length;
}

async function readExactly(handle: FileHandle, start: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, start + filled);
    if (bytesRead === 0) throw zipError("zip_corrupt", "the zip file ended early (was it truncated?)");
    filled += bytesRead;
  }
  return buffer;
}

/** Every structural check, in an order that never inflates and never trusts one header alone. */
async function readLayout(bytes: ByteSource, limits: Required<ZipLimits>): Promise<LocatedEntry[]> {
  if (bytes.size === 0) return [];
  const end = await readEndRecord(bytes);
  if (end.count > limits.maxEntries) {
    throw zipError("zip_too_large", `zip has ${end.count} entries; the limit is ${limits.maxEntries}`);
  }
  if (end.directorySize > MAX_CENTRAL_DIRECTORY_BYTES) {
    throw zipError("zip_too_large", `zip central directory is over ${MAX_CENTRAL_DIRECTORY_BYTES} bytes`);
  }
  const records = parseCentralDirectory(await bytes.read(end.directoryOffset, end.directorySize), end.count);
  rejectDuplicates(records);
  let declaredTotal = 0;
  for (const record of records) {
    checkRecord(record, limits);
    declaredTotal += record.size;
  }
  if (declaredTotal > limits.maxTotalBytes) {
    throw zipError("zip_too_large", `zip content exceeds ${limits.maxTotalBytes} bytes`);
  }
  const located: LocatedEntry[] = [];
  for (const record of records) located.push(await locateEntry(bytes, record, end.directoryOffset));
  checkLayout(located, end.directoryOffset);
  // Some writers (Java's) deflate the empty data of directories: prove it inflates to nothing.
  for (const entry of located) if (isDirectoryName(entry.path)) await readBuffered(bytes, entry);
  return located.filter((entry) => !isDirectoryName(entry.path));
}

/**
 * The end record is the last signature in the file, as Python's zipfile finds it, and its
 * comment must end exactly at the end of the file: a second candidate in a comment or trailing
 * bytes could make another reader pick a different central directory.
 */
async function readEndRecord(bytes: ByteSource): Promise<EndRecord> {
  const tailLength = Math.min(bytes.size, END_BYTES + MAX_COMMENT_BYTES);
  const tailStart = bytes.size - tailLength;
  const tail = await bytes.read(tailStart, tailLength);
  const at = tail.lastIndexOf(END_SIGNATURE);
  if (at < 0) throw zipError("zip_invalid", "no end-of-central-directory record (is it a zip?)");
  if (at + END_BYTES > tail.length || at + END_BYTES + tail.readUInt16LE(at + 20) !== tail.length) {
    throw zipError(
      "zip_stray_bytes",
      "the zip's end record is not at the end of the file (data was appended?)",
    );
  }
  const position = tailStart + at;
  const end = {
    count: tail.readUInt16LE(at + 10),
    directorySize: tail.readUInt32LE(at + 12),
    directoryOffset: tail.readUInt32LE(at + 16),
  };
  const zip64Locator =
    position >= 20 && (await bytes.read(position - 20, 4)).readUInt32LE(0) === SIG_ZIP64_LOCATOR;
  if (
    zip64Locator ||
    end.count === 0xffff ||
    end.directorySize === ZIP32_MAX ||
    end.directoryOffset === ZIP32_MAX
  ) {
    throw zip64Unsupported();
  }
  const diskNumbers = [tail.readUInt16LE(at + 4), tail.readUInt16LE(at + 6)];
  if (diskNumbers.some((n) => n !== 0) || tail.readUInt16LE(at + 8) !== end.count) {
    throw unsupportedArchive("spans several disks");
  }
  if (end.directoryOffset + end.directorySize > position) {
    throw zipError("zip_corrupt", "the zip's central directory overlaps its end record");
  }
  if (end.directoryOffset + end.directorySize < position) {
    throw zipError("zip_stray_bytes", "the zip has bytes between its central directory and its end record");
  }
  return end;
}

function parseCentralDirectory(directory: Buffer, count: number): CentralRecord[] {
  const records: CentralRecord[] = [];
  let at = 0;
  const recordFollows = () =>
    at + CENTRAL_BYTES <= directory.length && directory.readUInt32LE(at) === SIG_CENTRAL;
  while (records.length < count && recordFollows()) {
    const nameLength = directory.readUInt16LE(at + 28);
    const extraLength = directory.readUInt16LE(at + 30);
    const next = at + CENTRAL_BYTES + nameLength + extraLength + directory.readUInt16LE(at + 32);
    if (next > directory.length) break;
    const name = directory.subarray(at + CENTRAL_BYTES, at + CENTRAL_BYTES + nameLength);
    const flags = directory.readUInt16LE(at + 8);
    records.push({
      path: decodeName(name, flags),
      name,
      flags,
      method: directory.readUInt16LE(at + 10),
      crc: directory.readUInt32LE(at + 16),
      compressedSize: directory.readUInt32LE(at + 20),
      size: directory.readUInt32LE(at + 24),
      versionNeeded: directory.readUInt16LE(at + 6),
      diskStart: directory.readUInt16LE(at + 34),
      externalAttributes: directory.readUInt32LE(at + 38),
      localOffset: directory.readUInt32LE(at + 42),
      extra: directory.subarray(
        at + CENTRAL_BYTES + nameLength,
        at + CENTRAL_BYTES + nameLength + extraLength,
      ),
    });
    at = next;
  }
  if (records.length !== count || at !== directory.length) {
    throw zipError(
      "zip_corrupt",
      "the zip's central directory does not hold the records its end record declares",
    );
  }
  return records;
}

/**
 * Names come from the raw central-directory bytes only. Non-ASCII names need the UTF-8 flag:
 * without it Python and others decode them as CP437 and would see a different name.
 */
function decodeName(raw: Buffer, flags: number): string {
  const ascii = raw.every((byte) => byte < 0x80);
  if (!ascii && (flags & FLAG_UTF8) === 0) {
    throw invalidName(raw.toString("latin1"), "is not ASCII and lacks the UTF-8 flag");
  }
  try {
    return utf8Strict.decode(raw);
  } catch {
    throw invalidName(raw.toString("latin1"), "is not valid UTF-8");
  }
}

/** Duplicates are compared the way the contract says: trimmed and slash-normalized (§3.5, §4). */
function rejectDuplicates(records: readonly CentralRecord[]): void {
  const seen = new Set<string>();
  for (const { path } of records) {
    const key = normalizedName(path);
    if (seen.has(key)) {
      throw zipError("zip_duplicate_entry", `zip entry ${JSON.stringify(key)} appears more than once`, key);
    }
    seen.add(key);
  }
}

function normalizedName(path: string): string {
  return path.trim().replaceAll("\\", "/");
}

function isDirectoryName(path: string): boolean {
  return path.endsWith("/");
}

function checkRecord(record: CentralRecord, limits: Required<ZipLimits>): void {
  checkEntryName(record.path);
  checkFlagsAndMethod(record.flags, record.method, record.path);
  if ((record.versionNeeded & 0xff) > MAX_VERSION_NEEDED) {
    throw unsupportedEntry(record.path, `needs zip version ${(record.versionNeeded & 0xff) / 10}`);
  }
  if (record.diskStart !== 0) throw unsupportedArchive("spans several disks");
  if ([record.size, record.compressedSize, record.localOffset].includes(ZIP32_MAX)) {
    throw zip64Unsupported();
  }
  checkExtraFields(record.extra, record, "central directory");
  if (isDirectoryName(record.path)) checkDirectory(record);
  else checkFileKind(record);
  checkDeclaredSizes(record, limits);
}

/**
 * Traversal and absolute paths are judged on the normalized name (so `..\x` is traversal), then
 * the stored name must already be in normal form: no backslashes, surrounding spaces, control
 * characters, or empty and `.` segments that readers resolve differently.
 */
function checkEntryName(path: string): void {
  const normalized = normalizedName(path);
  if (normalized === "") throw invalidName(path, "is empty");
  if (isAbsoluteName(normalized)) {
    throw zipError("zip_absolute_path", `zip entry ${JSON.stringify(path)} has an absolute path`, path);
  }
  if (normalized.split("/").includes("..")) {
    throw zipError("zip_path_traversal", `zip entry ${JSON.stringify(path)} escapes the archive root`, path);
  }
  if (normalized !== path) throw invalidName(path, "has a backslash or surrounding whitespace");
  if (/[\u0000-\u001f\u007f-\u009f]/.test(path)) throw invalidName(path, "contains a control character");
  const segments = (isDirectoryName(path) ? path.slice(0, -1) : path).split("/");
  if (segments.some((segment) => segment === "" || segment === ".")) {
    throw invalidName(path, "has an empty or '.' segment");
  }
}

function isAbsoluteName(path: string): boolean {
  return path.startsWith("/") || /^[A-Za-z]:/.test(path);
}

function checkFlagsAndMethod(flags: number, method: number, path: string): void {
  if ((flags & FLAG_ENCRYPTED) !== 0) throw unsupportedEntry(path, "is encrypted");
  if ((flags & ~ALLOWED_FLAGS) !== 0) {
    throw unsupportedEntry(path, `sets unsupported general-purpose flags 0x${flags.toString(16)}`);
  }
  if (method !== METHOD_DEFLATE && method !== METHOD_STORE) {
    throw unsupportedEntry(path, `uses compression method ${method} (only store and deflate are read)`);
  }
}

/**
 * Extra fields must be well formed. ZIP64 fields are refused. An Info-ZIP Unicode Path field
 * (0x7075) is honoured by unzip and others, so it must name exactly the raw name we use.
 */
function checkExtraFields(extra: Buffer, record: CentralRecord, where: string): void {
  let at = 0;
  while (at < extra.length) {
    if (at + 4 > extra.length || at + 4 + extra.readUInt16LE(at + 2) > extra.length) {
      throw zipError(
        "zip_corrupt",
        `zip entry ${JSON.stringify(record.path)} has a malformed ${where} extra field`,
        record.path,
      );
    }
    const id = extra.readUInt16LE(at);
    const end = at + 4 + extra.readUInt16LE(at + 2);
    if (id === EXTRA_ZIP64) throw zip64Unsupported();
    if (id === EXTRA_UNICODE_PATH && !extra.subarray(at + 9, end).equals(record.name)) {
      throw zipError(
        "zip_unicode_path_mismatch",
        `zip entry ${JSON.stringify(record.path)} carries a Unicode Path extra field (${where}) naming another file`,
        record.path,
      );
    }
    at = end;
  }
}

/** Directory entries are skipped, so they must be empty (their data is checked when the zip opens). */
function checkDirectory(record: CentralRecord): void {
  const type = (record.externalAttributes >>> 16) & S_IFMT;
  if (type !== 0 && type !== S_IFDIR) throw specialEntry(record.path, type);
  if (record.size !== 0 || record.crc !== 0) {
    throw unsupportedEntry(record.path, "is a directory entry that carries data");
  }
}

/** Only regular files: the unix type bits (when set) must say so, and the DOS directory bit must not. */
function checkFileKind(record: CentralRecord): void {
  const type = (record.externalAttributes >>> 16) & S_IFMT;
  if (type === S_IFLNK) {
    throw zipError(
      "zip_symlink_entry",
      `zip entry ${JSON.stringify(record.path)} is a symbolic link`,
      record.path,
    );
  }
  if ((type !== 0 && type !== S_IFREG) || (record.externalAttributes & DOS_DIRECTORY) !== 0) {
    throw specialEntry(record.path, type);
  }
}

function checkDeclaredSizes(record: CentralRecord, limits: Required<ZipLimits>): void {
  const { path, size, compressedSize } = record;
  // Deflate never expands data by more than a few bytes per 16 KiB block.
  const maxCompressed = limits.maxEntryBytes + Math.ceil(limits.maxEntryBytes / 1000) + 1024;
  if (size > limits.maxEntryBytes || compressedSize > maxCompressed) {
    throw entryTooLarge(path, size, limits.maxEntryBytes);
  }
  if (size > RATIO_EXEMPT_BYTES && size / Math.max(compressedSize, 1) > limits.maxCompressionRatio) {
    throw bombSuspected(path, limits.maxCompressionRatio);
  }
  if (record.method === METHOD_STORE && compressedSize !== size) {
    throw zipError(
      "zip_corrupt",
      `stored zip entry ${JSON.stringify(path)} declares two different sizes`,
      path,
    );
  }
}

/**
 * Reads the local header an entry points at and requires it to agree with the central record:
 * name bytes, method, the flag bits that matter, CRC-32 and sizes (with a data descriptor, the
 * local fields may be zero and the descriptor after the data must agree instead).
 */
async function locateEntry(bytes: ByteSource, record: CentralRecord, limit: number): Promise<LocatedEntry> {
  const { path } = record;
  const mismatch = (what: string) =>
    zipError(
      "zip_header_mismatch",
      `zip entry ${JSON.stringify(path)}: the local header's ${what} differs from the central directory`,
      path,
    );
  if (record.localOffset + LOCAL_BYTES > limit) {
    throw zipError("zip_corrupt", `zip entry ${JSON.stringify(path)} points outside the entry area`, path);
  }
  const header = await bytes.read(record.localOffset, LOCAL_BYTES);
  if (header.readUInt32LE(0) !== SIG_LOCAL) {
    throw zipError(
      "zip_corrupt",
      `zip entry ${JSON.stringify(path)} has no local header at its offset`,
      path,
    );
  }
  const flags = header.readUInt16LE(6);
  if ((flags & ~ALLOWED_FLAGS) !== 0 || (flags & MATCHING_FLAGS) !== (record.flags & MATCHING_FLAGS)) {
    throw mismatch("flags");
  }
  if (header.readUInt16LE(8) !== record.method) throw mismatch("compression method");
  const nameLength = header.readUInt16LE(26);
  const dataStart = record.localOffset + LOCAL_BYTES + nameLength + header.readUInt16LE(28);
  if (dataStart + record.compressedSize > limit) {
    throw zipError("zip_corrupt", `zip entry ${JSON.stringify(path)} runs into the central directory`, path);
  }
  const variable = await bytes.read(
    record.localOffset + LOCAL_BYTES,
    dataStart - record.localOffset - LOCAL_BYTES,
  );
  if (!variable.subarray(0, nameLength).equals(record.name)) throw mismatch("name");
  checkExtraFields(variable.subarray(nameLength), record, "local header");
  const hasDescriptor = (record.flags & FLAG_DATA_DESCRIPTOR) !== 0;
  const agrees = (local: number, central: number) => local === central || (hasDescriptor && local === 0);
  if (!agrees(header.readUInt32LE(14), record.crc)) throw mismatch("CRC-32");
  if (!agrees(header.readUInt32LE(18), record.compressedSize)) throw mismatch("compressed size");
  if (!agrees(header.readUInt32LE(22), record.size)) throw mismatch("size");
  const dataEnd = dataStart + record.compressedSize;
  const descriptor = hasDescriptor ? await descriptorLength(bytes, dataEnd, limit, record) : 0;
  return { ...record, dataStart, end: dataEnd + descriptor };
}

/** The data descriptor (with or without its optional signature) must repeat the central values. */
async function descriptorLength(
  bytes: ByteSource,
  at: number,
  limit: number,
  record: CentralRecord,
): Promise<number> {
  const found = await bytes.read(at, Math.min(16, limit - at));
  const repeats = (offset: number) =>
    found.length >= offset + 12 &&
    found.readUInt32LE(offset) === record.crc &&
    found.readUInt32LE(offset + 4) === record.compressedSize &&
    found.readUInt32LE(offset + 8) === record.size;
  if (found.length >= 4 && found.readUInt32LE(0) === SIG_DESCRIPTOR && repeats(4)) return 16;
  if (repeats(0)) return 12;
  throw zipError(
    "zip_header_mismatch",
    `zip entry ${JSON.stringify(record.path)}: its data descriptor is missing or differs from the central directory`,
    record.path,
  );
}

/**
 * Entries must tile the bytes before the central directory exactly, in offset order: an overlap
 * lets a small file expand many times over (several records sharing data), and a gap or prefix
 * can hide an entry that readers walking local headers would see but we would not.
 */
function checkLayout(entries: readonly LocatedEntry[], directoryOffset: number): void {
  const ordered = [...entries].sort((a, b) => a.localOffset - b.localOffset);
  let expected = 0;
  for (const entry of ordered) {
    if (entry.localOffset < expected) {
      throw zipError(
        "zip_overlapping_entries",
        `zip entry ${JSON.stringify(entry.path)} overlaps another entry's data`,
        entry.path,
      );
    }
    if (entry.localOffset > expected) throw strayBytes(expected, entry.localOffset);
    expected = entry.end;
  }
  if (expected !== directoryOffset) throw strayBytes(expected, directoryOffset);
}

async function readBuffered(bytes: ByteSource, entry: LocatedEntry): Promise<ZipEntryData> {
  const compressed = await bytes.read(entry.dataStart, entry.compressedSize);
  let data = compressed;
  if (entry.method === METHOD_DEFLATE) data = inflateExactly(compressed, entry);
  else if (bytes.aliasesInput) data = Buffer.from(compressed); // never hand out views of the input
  checkCrc(crc32(data), entry);
  return { data, sha256: createHash("sha256").update(data).digest("hex") };
}

/**
 * Inflates in one native call that stops at the declared size (headers can lie), then requires
 * the deflate stream to end exactly at the entry's compressed size: bytes after it would be
 * invisible to us but not to readers that walk local headers.
 */
function inflateExactly(compressed: Buffer, entry: LocatedEntry): Buffer {
  let result: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    // `info: true` also returns the engine, whose bytesWritten is the input the stream consumed.
    result = zlib.inflateRawSync(compressed, {
      maxOutputLength: Math.max(1, entry.size),
      info: true,
    }) as unknown as typeof result;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw sizeMismatch(entry);
    throw error;
  }
  if (result.buffer.length !== entry.size) throw sizeMismatch(entry);
  if (result.engine.bytesWritten !== compressed.length) throw trailingCompressedBytes(entry);
  return result.buffer;
}

/** sha256 of a large entry, streamed chunk by chunk: memory stays at a few chunks whatever its size. */
async function hashStreamed(bytes: ByteSource, entry: LocatedEntry): Promise<string> {
  const hash = createHash("sha256");
  let crc = 0;
  let produced = 0;
  const consume = async (output: AsyncIterable<Buffer>) => {
    for await (const chunk of output) {
      produced += chunk.length;
      if (produced > entry.size) throw sizeMismatch(entry); // stops the inflater at the declared size
      hash.update(chunk);
      crc = crc32(chunk, crc);
    }
  };
  const input = Readable.from(readChunks(bytes, entry.dataStart, entry.compressedSize));
  if (entry.method === METHOD_STORE) await consume(input);
  else {
    const inflater = zlib.createInflateRaw({ chunkSize: STREAM_CHUNK_BYTES });
    await pipeline(input, inflater, consume);
    if (inflater.bytesWritten !== entry.compressedSize) throw trailingCompressedBytes(entry);
  }
  if (produced !== entry.size) throw sizeMismatch(entry);
  checkCrc(crc, entry);
  return hash.digest("hex");
}

async function* readChunks(bytes: ByteSource, start: number, length: number): AsyncGenerator<Buffer> {
  for (let done = 0; done < length; done += STREAM_CHUNK_BYTES) {
    yield await bytes.read(start + done, Math.min(STREAM_CHUNK_BYTES, length - done));
  }
}

function checkCrc(actual: number, entry: LocatedEntry): void {
  if (actual !== entry.crc) {
    throw zipError(
      "zip_corrupt",
      `zip entry ${JSON.stringify(entry.path)} fails its CRC-32 check`,
      entry.path,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Extraction

export interface ExtractOptions {
  /** Replace files that already exist under the destination (default false: refuse). */
  overwrite?: boolean;
}

/**
 * Extracts a zip into `destDir` after validating every entry. Each target is resolved and must
 * stay inside `destDir`; existing symlinks are never followed (neither as parent directories nor
 * as targets). Returns the absolute paths written, in entry order.
 */
export async function extractZip(
  source: string | Buffer,
  destDir: string,
  limits: ZipLimits = {},
  options: ExtractOptions = {},
): Promise<string[]> {
  const { entries } = await readZip(source, limits);
  let root: string;
  try {
    await mkdir(destDir, { recursive: true, mode: 0o750 });
    root = await realpath(destDir);
  } catch (error) {
    throw fromFsError(error, "create extraction directory", destDir);
  }
  const targets = entries.map((entry) => ({ entry, target: targetInside(root, entry.path) }));
  const written: string[] = [];
  for (const { entry, target } of targets) {
    await ensureRealDirectories(root, dirname(target));
    await writeNoFollow(target, entry.data, options.overwrite ?? false);
    written.push(target);
  }
  return written;
}

function targetInside(root: string, path: string): string {
  const target = resolve(root, ...path.split("/"));
  const rel = relative(root, target);
  if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw zipError(
      "zip_path_traversal",
      `zip entry ${JSON.stringify(path)} escapes the target directory`,
      path,
    );
  }
  return target;
}

/** Creates each directory below `root` one level at a time, refusing symlinks and non-directories. */
async function ensureRealDirectories(root: string, dir: string): Promise<void> {
  let current = root;
  for (const segment of relative(root, dir).split(sep).filter(Boolean)) {
    current = join(current, segment);
    try {
      await mkdir(current, { mode: 0o750 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw fromFsError(error, "extract", current);
    }
    const info = await lstat(current).catch((error) => {
      throw fromFsError(error, "extract", current);
    });
    if (!info.isDirectory()) {
      throw gaitError("unsafe_operation", "extract_unsafe_target", `${current} is not a plain directory`, {
        hint: "extract into an empty directory",
        details: { path: current },
      });
    }
  }
}

async function writeNoFollow(target: string, data: Buffer, overwrite: boolean): Promise<void> {
  const { O_WRONLY, O_CREAT, O_EXCL, O_TRUNC, O_NOFOLLOW } = fsConstants;
  const flags = O_WRONLY | O_CREAT | O_NOFOLLOW | (overwrite ? O_TRUNC : O_EXCL);
  let handle: FileHandle | undefined;
  try {
    handle = await open(target, flags, 0o644);
    await handle.writeFile(data);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST" || code === "ELOOP") {
      throw gaitError("unsafe_operation", "extract_target_exists", `${target} already exists`, {
        hint: "extract into an empty directory",
        details: { path: target },
        cause: error,
      });
    }
    throw fromFsError(error, "extract", target);
  } finally {
    await handle?.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Errors and checksums

/** Integrity problems in an artifact are verification failures; "not a zip at all" is bad input. */
function zipError(code: ContractErrorCode, message: string, path?: string, cause?: unknown): GaitError {
  const options = {
    hint:
      code === "zip_invalid"
        ? "check that the file is a zip archive"
        : "the archive is damaged or unsafe; re-create it from a trusted source",
    details: path === undefined ? undefined : { entry: path },
    cause,
  };
  return code === "zip_invalid"
    ? invalidInput(code, message, options)
    : verificationFailed(code, message, options);
}

function invalidName(path: string, problem: string): GaitError {
  return zipError("zip_invalid_entry_name", `zip entry name ${JSON.stringify(path)} ${problem}`, path);
}

function unsupportedEntry(path: string, problem: string): GaitError {
  return zipError("zip_unsupported_entry", `zip entry ${JSON.stringify(path)} ${problem}`, path);
}

function unsupportedArchive(problem: string): GaitError {
  return zipError("zip_unsupported_archive", `the zip ${problem}`);
}

function zip64Unsupported(): GaitError {
  return unsupportedArchive("uses ZIP64 records, which no archive within the size limits needs");
}

function specialEntry(path: string, type: number): GaitError {
  return zipError(
    "zip_special_entry",
    `zip entry ${JSON.stringify(path)} is not a regular file or directory (unix type 0o${type.toString(8)})`,
    path,
  );
}

function strayBytes(from: number, to: number): GaitError {
  return zipError(
    "zip_stray_bytes",
    `the zip has ${to - from} bytes at offset ${from} that belong to no entry (prepended or hidden data?)`,
  );
}

function sizeMismatch(entry: ZipEntryInfo): GaitError {
  return zipError(
    "zip_corrupt",
    `zip entry ${JSON.stringify(entry.path)} does not inflate to its declared ${entry.size} bytes`,
    entry.path,
  );
}

function trailingCompressedBytes(entry: ZipEntryInfo): GaitError {
  return zipError(
    "zip_corrupt",
    `zip entry ${JSON.stringify(entry.path)} has bytes after the end of its deflate stream`,
    entry.path,
  );
}

function entryTooLarge(path: string, declared: number, limit: number): GaitError {
  return zipError(
    "zip_entry_too_large",
    `zip entry ${JSON.stringify(path)} declares ${declared} bytes, over the ${limit}-byte limit`,
    path,
  );
}

function bombSuspected(path: string, ratio: number): GaitError {
  return zipError(
    "zip_bomb_suspected",
    `zip entry ${JSON.stringify(path)} expands more than ${ratio}x; refusing a likely zip bomb`,
    path,
  );
}

/** Maps anything thrown by zlib or fs into a coded error; GaitErrors pass through. */
function asZipError(error: unknown, fallbackCode: "zip_invalid" | "zip_corrupt", what: string): GaitError {
  if (error instanceof GaitError) return error;
  const errno = error as NodeJS.ErrnoException | undefined;
  if (typeof errno?.syscall === "string") return fromFsError(error, "read zip", what);
  const reason = error instanceof Error ? error.message : String(error);
  const message =
    fallbackCode === "zip_invalid"
      ? `${what} is not a readable zip: ${reason}`
      : `${what} is corrupt: ${reason}`;
  return zipError(fallbackCode, message, undefined, error);
}

function sourceLabel(source: string | Buffer): string {
  return typeof source === "string" ? source : "archive";
}

/** CRC-32 (IEEE); native zlib.crc32 where available (Node >= 20.15), else a table fallback. */
const crc32: (data: Uint8Array, value?: number) => number =
  typeof zlib.crc32 === "function" ? zlib.crc32 : crc32Table;

let table: Uint32Array | undefined;
function crc32Table(data: Uint8Array, value = 0): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = ~value >>> 0;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}
