/**
 * Deterministic zip writing and defensive zip reading (CONTRACTS.md §4, §3.5).
 *
 * Writer: the zip format is emitted here directly (deflate via node:zlib) rather than through
 * yazl, because yazl derives the DOS time fields from the *local* time zone and cannot emit Go's
 * extended-timestamp extra field and data-descriptor layout. Every entry mirrors the reference's
 * `core/zipx`: sorted by byte order, Deflate at a fixed level, DOS time 1980-01-01 00:00:00 plus
 * the 0x5455 extra field (mtime 315532800), flag 0x08 with a data descriptor, unix mode
 * 0644/0755 with creator "unix", no directories, no comment. Compressed bytes differ from Go's
 * (different deflate implementation); every digest is over uncompressed content.
 *
 * Reader: yauzl parses the central directory; names, sizes, ratios, links and duplicates are
 * checked for every entry before any data is inflated; data is inflated with hard output caps
 * and verified against the declared size and CRC-32 while its sha256 is computed. Every failure
 * is a coded GaitError.
 */
import { createHash } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import { type FileHandle, lstat, mkdir, open, realpath } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { promisify } from "node:util";
import zlib from "node:zlib";
import yauzl from "yauzl";
import { compareBytes } from "./bytes.ts";
import { fromFsError, GaitError, invalidInput, verificationFailed } from "./errors.ts";
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
  /** Largest uncompressed entry, declared or actual (default 100 MiB, CONTRACTS.md §3.5). */
  maxEntryBytes?: number;
  /** Largest sum of uncompressed entry sizes (default 1 GiB). */
  maxTotalBytes?: number;
  /** Most entries in the central directory, directories included (default 10 000). */
  maxEntries?: number;
  /** Highest uncompressed/compressed ratio for entries above 1 MiB (default 1000). */
  maxCompressionRatio?: number;
}

export interface ZipEntry {
  /** Entry name, trimmed and with backslashes turned into slashes. */
  path: string;
  size: number;
  compressedSize: number;
  data: Buffer;
  /** Hex sha256 of the uncompressed bytes, computed during the CRC-verified inflate. */
  sha256: string;
}

export interface ZipArchive {
  /** File entries in central-directory order; directory entries are left out. */
  entries: ZipEntry[];
}

export const DEFAULT_ZIP_LIMITS: Readonly<Required<ZipLimits>> = Object.freeze({
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
// Reading

/** A central-directory entry that passed every metadata check. */
interface CheckedEntry {
  path: string;
  raw: yauzl.Entry;
}

/** Where compressed bytes come from: an in-memory archive or an open file. */
interface ArchiveSource {
  zip: yauzl.ZipFile;
  /** Compressed bytes of [start, start+length); may alias the caller's buffer. */
  read(start: number, length: number): Promise<Buffer>;
  /** True when `read` returns views of memory the caller owns (stored data is copied then). */
  aliasesInput: boolean;
  close(): Promise<void>;
}

const YAUZL_OPTIONS: yauzl.Options = {
  lazyEntries: true,
  validateEntrySizes: true,
  decodeStrings: false,
  autoClose: false,
};

/**
 * Reads and verifies every file entry of a zip (a path or the archive bytes). All entries are
 * checked before any is inflated; each one is inflated under the limits and checked against its
 * declared size and CRC-32. An empty (0-byte) input is the empty archive `writeZip([])` produces.
 */
export async function readZip(source: string | Buffer, limits: ZipLimits = {}): Promise<ZipArchive> {
  const effective = { ...DEFAULT_ZIP_LIMITS, ...limits };
  const archive = await openSource(source);
  if (!archive) return { entries: [] };
  try {
    const checked = await checkEntries(archive.zip, effective);
    const entries: ZipEntry[] = [];
    let total = 0;
    for (const entry of checked) {
      const read = await readEntry(archive, entry, effective, effective.maxTotalBytes - total);
      total += read.size;
      entries.push(read);
    }
    return { entries };
  } catch (error) {
    throw asZipError(error, "zip_corrupt", sourceLabel(source));
  } finally {
    await archive.close();
  }
}

async function openSource(source: string | Buffer): Promise<ArchiveSource | undefined> {
  if (typeof source !== "string") {
    if (source.length === 0) return undefined;
    const zip = await openZip(() => yauzl.fromBufferPromise(source, YAUZL_OPTIONS), "archive");
    return {
      zip,
      read: async (start, length) => source.subarray(start, start + length),
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
    if (size === 0) {
      await handle.close();
      return undefined;
    }
    // yauzl never closes this fd itself (autoClose off, close() never called): the handle owns it.
    const zip = await openZip(() => yauzl.fromFdPromise(handle.fd, YAUZL_OPTIONS), source);
    return {
      zip,
      read: (start, length) => readExactly(handle, start, length),
      aliasesInput: false,
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw asZipError(error, "zip_invalid", source);
  }
}

async function openZip(opener: () => Promise<yauzl.ZipFile>, what: string): Promise<yauzl.ZipFile> {
  try {
    return await opener();
  } catch (error) {
    throw asZipError(error, "zip_invalid", what);
  }
}

async function readExactly(handle: FileHandle, start: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, start + filled);
    if (bytesRead === 0) throw zipError("zip_corrupt", "entry data runs past the end of the file");
    filled += bytesRead;
  }
  return buffer;
}

/** Validates the whole central directory before any entry data is touched. */
async function checkEntries(zip: yauzl.ZipFile, limits: Required<ZipLimits>): Promise<CheckedEntry[]> {
  if (zip.entryCount > limits.maxEntries) {
    throw zipError("zip_too_large", `zip has ${zip.entryCount} entries; the limit is ${limits.maxEntries}`);
  }
  const checked: CheckedEntry[] = [];
  const seen = new Set<string>();
  let declaredTotal = 0;
  for await (const raw of zip.eachEntry()) {
    const path = entryName(raw);
    checkEntryName(path);
    if (seen.has(path)) {
      throw zipError("zip_duplicate_entry", `zip entry ${JSON.stringify(path)} appears more than once`, path);
    }
    seen.add(path);
    if (path.endsWith("/")) continue;
    checkEntryKind(raw, path);
    checkDeclaredSizes(raw, path, limits);
    declaredTotal += raw.uncompressedSize;
    if (declaredTotal > limits.maxTotalBytes) {
      throw zipError("zip_too_large", `zip content exceeds ${limits.maxTotalBytes} bytes`);
    }
    checked.push({ path, raw });
  }
  return checked;
}

/** Name as the reference compares it: Unicode-path aware, slash-normalized, trimmed. */
function entryName(raw: yauzl.Entry): string {
  return yauzl.getFileNameLowLevel(raw.generalPurposeBitFlag, raw.fileNameRaw, raw.extraFields, false).trim();
}

function checkEntryName(path: string): void {
  if (path === "" || path.includes("\0")) {
    throw zipError(
      "zip_invalid_entry_name",
      `zip entry name ${JSON.stringify(path)} is empty or invalid`,
      path,
    );
  }
  if (isAbsoluteName(path)) {
    throw zipError("zip_absolute_path", `zip entry ${JSON.stringify(path)} has an absolute path`, path);
  }
  if (path.split("/").includes("..")) {
    throw zipError("zip_path_traversal", `zip entry ${JSON.stringify(path)} escapes the archive root`, path);
  }
}

function isAbsoluteName(path: string): boolean {
  return path.startsWith("/") || /^[A-Za-z]:/.test(path);
}

function checkEntryKind(raw: yauzl.Entry, path: string): void {
  if (((raw.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK) {
    throw zipError("zip_symlink_entry", `zip entry ${JSON.stringify(path)} is a symbolic link`, path);
  }
  const encrypted = (raw.generalPurposeBitFlag & 0x1) !== 0;
  if (encrypted || (raw.compressionMethod !== METHOD_DEFLATE && raw.compressionMethod !== METHOD_STORE)) {
    throw zipError(
      "zip_unsupported_entry",
      `zip entry ${JSON.stringify(path)} is encrypted or uses compression method ${raw.compressionMethod}`,
      path,
    );
  }
}

function checkDeclaredSizes(raw: yauzl.Entry, path: string, limits: Required<ZipLimits>): void {
  // Deflate never expands data by more than a few bytes per 16 KiB block.
  const maxCompressed = limits.maxEntryBytes + Math.ceil(limits.maxEntryBytes / 1000) + 1024;
  if (raw.uncompressedSize > limits.maxEntryBytes || raw.compressedSize > maxCompressed) {
    throw entryTooLarge(path, raw.uncompressedSize, limits.maxEntryBytes);
  }
  if (
    raw.uncompressedSize > RATIO_EXEMPT_BYTES &&
    raw.uncompressedSize / Math.max(raw.compressedSize, 1) > limits.maxCompressionRatio
  ) {
    throw bombSuspected(path, limits.maxCompressionRatio);
  }
}

async function readEntry(
  archive: ArchiveSource,
  entry: CheckedEntry,
  limits: Required<ZipLimits>,
  totalBudget: number,
): Promise<ZipEntry> {
  const { raw, path } = entry;
  const { fileDataStart } = await archive.zip.readLocalFileHeaderPromise(raw, { minimal: true });
  const compressed = await archive.read(fileDataStart, raw.compressedSize);
  const inflated =
    raw.compressionMethod === METHOD_STORE
      ? digestStored(archive.aliasesInput ? Buffer.from(compressed) : compressed)
      : inflateVerified(compressed, outputCap(entry, limits, totalBudget));
  if (inflated.data.length !== raw.uncompressedSize) {
    throw zipError(
      "zip_corrupt",
      `zip entry ${JSON.stringify(path)} inflates to ${inflated.data.length} bytes, not the declared ${raw.uncompressedSize}`,
      path,
    );
  }
  if (inflated.crc !== raw.crc32) {
    throw zipError("zip_corrupt", `zip entry ${JSON.stringify(path)} fails its CRC-32 check`, path);
  }
  return {
    path,
    size: inflated.data.length,
    compressedSize: raw.compressedSize,
    data: inflated.data,
    sha256: inflated.sha256,
  };
}

interface OutputCap {
  bytes: number;
  /** The error for output beyond `bytes`: headers can lie, so the limits hold for actual bytes too. */
  exceeded: () => GaitError;
}

function outputCap(entry: CheckedEntry, limits: Required<ZipLimits>, totalBudget: number): OutputCap {
  const { path, raw } = entry;
  const byRatio = Math.max(RATIO_EXEMPT_BYTES, raw.compressedSize * limits.maxCompressionRatio);
  const caps: OutputCap[] = [
    { bytes: limits.maxEntryBytes, exceeded: () => entryTooLarge(path, undefined, limits.maxEntryBytes) },
    { bytes: byRatio, exceeded: () => bombSuspected(path, limits.maxCompressionRatio) },
    {
      bytes: totalBudget,
      exceeded: () => zipError("zip_too_large", `zip content exceeds ${limits.maxTotalBytes} bytes`),
    },
  ];
  return caps.reduce((tightest, cap) => (cap.bytes < tightest.bytes ? cap : tightest));
}

interface InflatedData {
  data: Buffer;
  crc: number;
  sha256: string;
}

function digestStored(data: Buffer): InflatedData {
  return { data, crc: crc32(data), sha256: createHash("sha256").update(data).digest("hex") };
}

/**
 * Inflates in one native call capped at `cap.bytes` (headers can lie, so the cap holds for the
 * actual output), then hashes and CRCs the result. One-shot inflation into a single buffer is
 * as fast as zlib gets: no per-chunk callbacks and no final concatenation copy.
 */
function inflateVerified(compressed: Buffer, cap: OutputCap): InflatedData {
  let data: Buffer;
  try {
    data = zlib.inflateRawSync(compressed, { maxOutputLength: Math.max(1, cap.bytes) });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw cap.exceeded();
    throw error;
  }
  if (data.length > cap.bytes) throw cap.exceeded();
  return { data, crc: crc32(data), sha256: createHash("sha256").update(data).digest("hex") };
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
      throw new GaitError(
        "unsafe_operation",
        "extract_unsafe_target",
        `${current} is not a plain directory`,
        {
          hint: "extract into an empty directory",
          details: { path: current },
        },
      );
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
      throw new GaitError("unsafe_operation", "extract_target_exists", `${target} already exists`, {
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
function zipError(code: string, message: string, path?: string, cause?: unknown): GaitError {
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

function entryTooLarge(path: string, declared: number | undefined, limit: number): GaitError {
  const size = declared === undefined ? "inflates to more than" : `declares ${declared} bytes, over`;
  return zipError(
    "zip_entry_too_large",
    `zip entry ${JSON.stringify(path)} ${size} the ${limit}-byte limit`,
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

/** Maps anything thrown by yauzl, zlib or fs into a coded error; GaitErrors pass through. */
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
