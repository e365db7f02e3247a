/**
 * The pack verifier of `gait pack view`: it runs inside the HTML page (a reviewer's browser, no
 * Gait installed) and in Node (the CLI's summary and the tests), the same code in both.
 *
 * It reads a pack zip's bytes the way the contract's strict reader does (CONTRACTS.md §4, §3.5:
 * central directory, local headers that agree with it, entries that tile the file, no duplicates,
 * traversal, links or ZIP64, sizes and CRC-32 checked), hashes every entry with WebCrypto
 * SHA-256, recomputes the pack_id with its own JCS (RFC 8785, §1.1) and checks the manifest's
 * Ed25519 signatures with WebCrypto (§2.2: over the 32 raw bytes of sha256(JCS(manifest without
 * signatures)), key id = sha256 of the raw public key). PackSpec packs (§7.1) and Guard evidence
 * packs (§7.2) are both read, each with its own pack_id rule and its own view of undeclared files.
 *
 * SERIALIZED: `createPackVerifier` is put into the page with Function.prototype.toString, so its
 * body must be self-contained: no imports and no reference to anything outside the function
 * except the web platform globals of PAGE_GLOBALS below (types are fine: they are erased).
 * test/pack/view-core.test.ts runs the serialized text in a bare context to hold this.
 */

/** The globals the serialized verifier may use; every modern browser and Node 20 has them. */
export const PAGE_GLOBALS = [
  "crypto",
  "TextEncoder",
  "TextDecoder",
  "DecompressionStream",
  "atob",
  "btoa",
] as const;

export type PackKind = "pack" | "guard";
/** verified: every check passed; tampered: a pack that fails a check; invalid: not a Gait pack at all. */
export type PackStatus = "verified" | "tampered" | "invalid";
/** As `gait pack verify`'s signature_status, plus `unsupported`: no Ed25519 in this WebCrypto. */
export type SignatureState = "verified" | "failed" | "missing" | "skipped" | "unsupported";
/**
 * ok: present and hash matches; mismatch / missing / undeclared (PackSpec) / unreadable are
 * failures; unlisted: not declared in a Guard pack, which its verifier does not reject; manifest:
 * the manifest itself.
 */
export type EntryState =
  | "ok"
  | "mismatch"
  | "missing"
  | "undeclared"
  | "unlisted"
  | "unreadable"
  | "manifest";

export interface PackEntryReport {
  path: string;
  state: EntryState;
  /** Declared content type (manifest `contents[].type`). */
  type?: string;
  /** Uncompressed size in the zip. */
  size?: number;
  declared_sha256?: string;
  /** The SHA-256 of the entry as read (absent when it could not be read). */
  sha256?: string;
  /** Why the entry is not ok, in a few words. */
  note?: string;
}

export interface PackProblem {
  code: string;
  message: string;
  /** The file the problem is about, when there is one. */
  path?: string;
}

export interface SignatureReport {
  status: SignatureState;
  total: number;
  valid: number;
  /** Key id of the public key the signatures were checked with. */
  key_id?: string;
  /** The key ids the signatures name. */
  signer_key_ids: string[];
  errors: string[];
}

export interface ProofReport {
  records: number;
  ok: boolean;
  problems: string[];
}

export interface PackIdReport {
  declared: string;
  computed: string;
  matches: boolean;
}

/** A verified JSON entry, parsed, for the page's summaries. */
export interface PackDocument {
  path: string;
  value: unknown;
}

export interface ControlReport {
  control_id: string;
  title: string;
  evidence_paths: string[];
}

export interface PackReport {
  status: PackStatus;
  kind?: PackKind;
  schema_id?: string;
  /** Every failed check; empty when verified. */
  problems: PackProblem[];
  /** The files named by the problems, sorted, unique: what the banner lists. */
  offending: string[];
  /** Things worth knowing that do not fail the pack. */
  warnings: string[];
  manifest?: Record<string, unknown>;
  pack_id?: PackIdReport;
  entries: PackEntryReport[];
  /** Declared entries that were read and hashed. */
  files_checked: number;
  signature?: SignatureReport;
  proof?: ProofReport;
  documents: PackDocument[];
  control_index: ControlReport[];
  /** A run pack's run, read from its verified source/runpack.zip. */
  run?: RunSummary;
  /** Size of the zip in bytes. */
  bytes: number;
}

/** Counts derived from a run pack's source runpack, never taken from its payload. */
export interface RunSummary {
  run_id: string;
  created_at: string;
  capture_mode: string;
  manifest_digest: string;
  intents: number;
  results: number;
  refs: number;
  intents_by_tool: Record<string, number>;
  results_by_status: Record<string, number>;
  /** Gate verdicts recorded in results (raw capture records a refused call's decision). */
  verdicts: Record<string, number>;
  reason_codes: Record<string, number>;
}

export interface VerifyPackOptions {
  /** Raw 32-byte Ed25519 public key, or its standard base64 text. */
  publicKey?: Uint8Array | string;
}

/** A zip entry that passed every structural check (its data is checked when read). */
export interface ZipListingEntry {
  path: string;
  size: number;
  compressedSize: number;
  method: number;
  crc: number;
  dataStart: number;
}

export interface ZipLimits {
  maxEntryBytes: number;
  maxTotalBytes: number;
  maxEntries: number;
  maxCompressionRatio: number;
}

/** What the verifier offers; the page uses verifyPack, the tests use the parts too. */
export interface PackVerifier {
  verifyPack(bytes: Uint8Array, options?: VerifyPackOptions): Promise<PackReport>;
  /** RFC 8785 canonical JSON of a JSON value (throws on non-JSON values and deep nesting). */
  canonicalize(value: unknown): string;
  /** JSON.parse that refuses duplicate member names and nesting deeper than 256 levels. */
  parseJsonStrict(text: string): unknown;
  /** Lists a zip's file entries after every structural check; throws a ZipProblem-like error. */
  listZip(bytes: Uint8Array, limits?: Partial<ZipLimits>): ZipListingEntry[];
  /** An entry's bytes: inflated within its declared size, CRC-32 checked. */
  readZipEntry(bytes: Uint8Array, entry: ZipListingEntry): Promise<Uint8Array>;
  sha256Hex(bytes: Uint8Array): Promise<string>;
  /** Standard padded base64 to bytes; undefined unless canonical. */
  decodeBase64(text: string): Uint8Array | undefined;
  encodeBase64(bytes: Uint8Array): string;
  /** True when WebCrypto here can verify Ed25519. */
  ed25519Supported(): Promise<boolean>;
  /** A problem as one line: `path: message` (the path left out when the message quotes it). */
  problemText(problem: PackProblem): string;
}

/** Thrown by listZip / readZipEntry: `code` is the contract's zip_* code. */
export interface ZipProblemError extends Error {
  code: string;
  path?: string;
}

export function createPackVerifier(): PackVerifier {
  // -------------------------------------------------------------------------------------------
  // bytes, text, hashes

  const utf8 = new TextEncoder();
  const utf8Strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

  function hex(bytes: Uint8Array): string {
    let out = "";
    for (let i = 0; i < bytes.length; i++) out += bytes[i]!.toString(16).padStart(2, "0");
    return out;
  }

  function hexBytes(text: string): Uint8Array {
    const out = new Uint8Array(text.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
    return out;
  }

  async function sha256Hex(bytes: Uint8Array): Promise<string> {
    return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
  }

  const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

  function encodeBase64(bytes: Uint8Array): string {
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    }
    return btoa(binary);
  }

  /** Canonical standard base64 only: two texts can never stand for the same bytes. */
  function decodeBase64(text: string): Uint8Array | undefined {
    if (typeof text !== "string" || !STD_BASE64.test(text)) return undefined;
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return encodeBase64(bytes) === text ? bytes : undefined;
  }

  const HEX64 = /^[0-9a-fA-F]{64}$/;

  let crcTable: Uint32Array | undefined;
  function crc32(data: Uint8Array): number {
    if (!crcTable) {
      crcTable = new Uint32Array(256);
      for (let n = 0; n < 256; n++) {
        let c = n;
        for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
        crcTable[n] = c >>> 0;
      }
    }
    const table = crcTable;
    let crc = 0xffffffff;
    for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
    return ~crc >>> 0;
  }

  // -------------------------------------------------------------------------------------------
  // JSON: strict parse and RFC 8785 canonical form (the same rules as src/contract/canonical.ts)

  const MAX_DEPTH = 256;

  function canonicalize(value: unknown, depth = 0): string {
    if (value === null) return "null";
    switch (typeof value) {
      case "string":
        return JSON.stringify(value);
      case "boolean":
        return value ? "true" : "false";
      case "number":
        if (!Number.isFinite(value)) throw new Error("JSON numbers must be finite");
        return JSON.stringify(value);
      case "object": {
        if (depth >= MAX_DEPTH) throw new Error(`JSON nests deeper than ${MAX_DEPTH} levels`);
        if (Array.isArray(value)) {
          return `[${value.map((item) => canonicalize(item === undefined ? null : item, depth + 1)).join(",")}]`;
        }
        const members = value as Record<string, unknown>;
        const parts: string[] = [];
        // Default sort compares UTF-16 code units, which is what RFC 8785 asks for.
        for (const key of Object.keys(members).sort()) {
          if (members[key] === undefined) continue;
          parts.push(`${JSON.stringify(key)}:${canonicalize(members[key], depth + 1)}`);
        }
        return `{${parts.join(",")}}`;
      }
      default:
        throw new Error(`cannot canonicalize a value of type ${typeof value}`);
    }
  }

  /** JSON.parse, then a scan of the text for repeated member names (which JSON.parse collapses). */
  function parseJsonStrict(text: string): unknown {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null) return value;
    const stack: Array<Set<string> | null> = [];
    let expectKey = false;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x7b || c === 0x5b) {
        if (stack.length >= MAX_DEPTH) throw new Error(`JSON nests deeper than ${MAX_DEPTH} levels`);
        stack.push(c === 0x7b ? new Set() : null);
        expectKey = c === 0x7b;
      } else if (c === 0x7d || c === 0x5d) {
        stack.pop();
        expectKey = false;
      } else if (c === 0x2c) {
        expectKey = stack[stack.length - 1] instanceof Set;
      } else if (c === 0x22) {
        const start = i;
        for (i++; i < text.length; i++) {
          const d = text.charCodeAt(i);
          if (d === 0x5c) i++;
          else if (d === 0x22) break;
        }
        if (expectKey) {
          const key = JSON.parse(text.slice(start, i + 1)) as string;
          const keys = stack[stack.length - 1] as Set<string>;
          if (keys.has(key)) throw new Error(`duplicate key ${JSON.stringify(key)}`);
          keys.add(key);
          expectKey = false;
        }
      }
    }
    return value;
  }

  function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
  }

  // -------------------------------------------------------------------------------------------
  // zip: the contract's strict reader rules (src/contract/zip.ts), on bytes in memory

  const DEFAULT_LIMITS: ZipLimits = {
    maxEntryBytes: 100 * 1024 * 1024,
    maxTotalBytes: 1024 * 1024 * 1024,
    maxEntries: 10_000,
    maxCompressionRatio: 1000,
  };
  const RATIO_EXEMPT_BYTES = 1024 * 1024;
  const SIG_LOCAL = 0x04034b50;
  const SIG_CENTRAL = 0x02014b50;
  const SIG_END = 0x06054b50;
  const SIG_DESCRIPTOR = 0x08074b50;
  const SIG_ZIP64_LOCATOR = 0x07064b50;
  const END_BYTES = 22;
  const CENTRAL_BYTES = 46;
  const LOCAL_BYTES = 30;
  const FLAG_ENCRYPTED = 0x0001;
  const FLAG_DATA_DESCRIPTOR = 0x0008;
  const FLAG_UTF8 = 0x0800;
  const ALLOWED_FLAGS = 0x0006 | FLAG_DATA_DESCRIPTOR | FLAG_UTF8;
  const MATCHING_FLAGS = FLAG_DATA_DESCRIPTOR | FLAG_UTF8;
  const METHOD_STORE = 0;
  const METHOD_DEFLATE = 8;
  const ZIP32_MAX = 0xffffffff;
  const MAX_VERSION_NEEDED = 63;
  const MAX_CENTRAL_DIRECTORY_BYTES = 64 * 1024 * 1024;
  const S_IFMT = 0o170000;
  const S_IFREG = 0o100000;
  const S_IFDIR = 0o040000;
  const S_IFLNK = 0o120000;
  const DOS_DIRECTORY = 0x10;
  const EXTRA_ZIP64 = 0x0001;
  const EXTRA_UNICODE_PATH = 0x7075;

  function zipProblem(code: string, message: string, path?: string): ZipProblemError {
    const error = new Error(message) as ZipProblemError;
    error.name = "ZipProblem";
    error.code = code;
    if (path !== undefined) error.path = path;
    return error;
  }

  interface CentralRecord extends ZipListingEntry {
    name: Uint8Array;
    flags: number;
    versionNeeded: number;
    diskStart: number;
    externalAttributes: number;
    localOffset: number;
    extra: Uint8Array;
    end: number;
  }

  function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  /** Every failure is a ZipProblem: an unforeseen one (a read out of bounds) is reported as corrupt. */
  function listZip(bytes: Uint8Array, limits: Partial<ZipLimits> = {}): ZipListingEntry[] {
    try {
      return listZipStrict(bytes, limits);
    } catch (error) {
      if ((error as ZipProblemError).name === "ZipProblem") throw error;
      throw zipProblem("zip_corrupt", `the zip is corrupt: ${(error as Error).message}`);
    }
  }

  function listZipStrict(bytes: Uint8Array, limits: Partial<ZipLimits>): ZipListingEntry[] {
    const limit: ZipLimits = { ...DEFAULT_LIMITS, ...limits };
    if (bytes.length === 0) return [];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const u16 = (at: number) => view.getUint16(at, true);
    const u32 = (at: number) => view.getUint32(at, true);
    const within = (start: number, length: number) => {
      if (start < 0 || length < 0 || start + length > bytes.length) {
        throw zipProblem("zip_corrupt", "a zip structure points past the end of the file");
      }
    };

    // End record: the last signature in the file; its comment must end exactly at the end.
    const tailStart = Math.max(0, bytes.length - (END_BYTES + 0xffff));
    let position = -1;
    for (let at = bytes.length - 4; at >= tailStart; at--) {
      if (u32(at) === SIG_END) {
        position = at;
        break;
      }
    }
    if (position < 0) throw zipProblem("zip_invalid", "no end-of-central-directory record (is it a zip?)");
    if (position + END_BYTES > bytes.length || position + END_BYTES + u16(position + 20) !== bytes.length) {
      throw zipProblem(
        "zip_stray_bytes",
        "the zip's end record is not at the end of the file (data was appended?)",
      );
    }
    const count = u16(position + 10);
    const directorySize = u32(position + 12);
    const directoryOffset = u32(position + 16);
    const zip64Locator = position >= 20 && u32(position - 20) === SIG_ZIP64_LOCATOR;
    if (zip64Locator || count === 0xffff || directorySize === ZIP32_MAX || directoryOffset === ZIP32_MAX) {
      throw zipProblem(
        "zip_unsupported_archive",
        "the zip uses ZIP64 records, which no pack within the size limits needs",
      );
    }
    if (u16(position + 4) !== 0 || u16(position + 6) !== 0 || u16(position + 8) !== count) {
      throw zipProblem("zip_unsupported_archive", "the zip spans several disks");
    }
    if (directoryOffset + directorySize > position) {
      throw zipProblem("zip_corrupt", "the zip's central directory overlaps its end record");
    }
    if (directoryOffset + directorySize < position) {
      throw zipProblem(
        "zip_stray_bytes",
        "the zip has bytes between its central directory and its end record",
      );
    }
    if (count > limit.maxEntries) {
      throw zipProblem("zip_too_large", `the zip has ${count} entries; the limit is ${limit.maxEntries}`);
    }
    if (directorySize > MAX_CENTRAL_DIRECTORY_BYTES) {
      throw zipProblem(
        "zip_too_large",
        `the zip's central directory is over ${MAX_CENTRAL_DIRECTORY_BYTES} bytes`,
      );
    }

    // Central directory.
    const records: CentralRecord[] = [];
    const directoryEnd = directoryOffset + directorySize;
    let at = directoryOffset;
    while (records.length < count && at + CENTRAL_BYTES <= directoryEnd && u32(at) === SIG_CENTRAL) {
      const nameLength = u16(at + 28);
      const extraLength = u16(at + 30);
      const next = at + CENTRAL_BYTES + nameLength + extraLength + u16(at + 32);
      if (next > directoryEnd) break;
      const name = bytes.subarray(at + CENTRAL_BYTES, at + CENTRAL_BYTES + nameLength);
      const flags = u16(at + 8);
      records.push({
        path: decodeName(name, flags),
        name,
        flags,
        method: u16(at + 10),
        crc: u32(at + 16),
        compressedSize: u32(at + 20),
        size: u32(at + 24),
        versionNeeded: u16(at + 6),
        diskStart: u16(at + 34),
        externalAttributes: u32(at + 38),
        localOffset: u32(at + 42),
        extra: bytes.subarray(at + CENTRAL_BYTES + nameLength, at + CENTRAL_BYTES + nameLength + extraLength),
        dataStart: 0,
        end: 0,
      });
      at = next;
    }
    if (records.length !== count || at !== directoryEnd) {
      throw zipProblem(
        "zip_corrupt",
        "the zip's central directory does not hold the records its end record declares",
      );
    }

    // Duplicates, compared trimmed and slash-normalized (§3.5).
    const seen = new Set<string>();
    for (const record of records) {
      const key = normalizedName(record.path);
      if (seen.has(key)) {
        throw zipProblem(
          "zip_duplicate_entry",
          `zip entry ${JSON.stringify(key)} appears more than once`,
          key,
        );
      }
      seen.add(key);
    }

    let declaredTotal = 0;
    for (const record of records) {
      checkRecord(record, limit);
      declaredTotal += record.size;
    }
    if (declaredTotal > limit.maxTotalBytes) {
      throw zipProblem("zip_too_large", `the zip's content exceeds ${limit.maxTotalBytes} bytes`);
    }

    // Local headers must agree with the central directory.
    for (const record of records) {
      const { path } = record;
      const mismatch = (what: string) =>
        zipProblem(
          "zip_header_mismatch",
          `zip entry ${JSON.stringify(path)}: the local header's ${what} differs from the central directory`,
          path,
        );
      if (record.localOffset + LOCAL_BYTES > directoryOffset) {
        throw zipProblem(
          "zip_corrupt",
          `zip entry ${JSON.stringify(path)} points outside the entry area`,
          path,
        );
      }
      const local = record.localOffset;
      if (u32(local) !== SIG_LOCAL) {
        throw zipProblem(
          "zip_corrupt",
          `zip entry ${JSON.stringify(path)} has no local header at its offset`,
          path,
        );
      }
      const flags = u16(local + 6);
      if ((flags & ~ALLOWED_FLAGS) !== 0 || (flags & MATCHING_FLAGS) !== (record.flags & MATCHING_FLAGS)) {
        throw mismatch("flags");
      }
      if (u16(local + 8) !== record.method) throw mismatch("compression method");
      const nameLength = u16(local + 26);
      const dataStart = local + LOCAL_BYTES + nameLength + u16(local + 28);
      if (dataStart + record.compressedSize > directoryOffset) {
        throw zipProblem(
          "zip_corrupt",
          `zip entry ${JSON.stringify(path)} runs into the central directory`,
          path,
        );
      }
      if (!sameBytes(bytes.subarray(local + LOCAL_BYTES, local + LOCAL_BYTES + nameLength), record.name)) {
        throw mismatch("name");
      }
      checkExtraFields(bytes.subarray(local + LOCAL_BYTES + nameLength, dataStart), record, "local header");
      const hasDescriptor = (record.flags & FLAG_DATA_DESCRIPTOR) !== 0;
      const agrees = (value: number, central: number) => value === central || (hasDescriptor && value === 0);
      if (!agrees(u32(local + 14), record.crc)) throw mismatch("CRC-32");
      if (!agrees(u32(local + 18), record.compressedSize)) throw mismatch("compressed size");
      if (!agrees(u32(local + 22), record.size)) throw mismatch("size");
      const dataEnd = dataStart + record.compressedSize;
      let descriptor = 0;
      if (hasDescriptor) {
        const available = Math.min(16, directoryOffset - dataEnd);
        const repeats = (offset: number) =>
          available >= offset + 12 &&
          u32(dataEnd + offset) === record.crc &&
          u32(dataEnd + offset + 4) === record.compressedSize &&
          u32(dataEnd + offset + 8) === record.size;
        if (available >= 4 && u32(dataEnd) === SIG_DESCRIPTOR && repeats(4)) descriptor = 16;
        else if (repeats(0)) descriptor = 12;
        else {
          throw zipProblem(
            "zip_header_mismatch",
            `zip entry ${JSON.stringify(path)}: its data descriptor is missing or differs from the central directory`,
            path,
          );
        }
      }
      within(dataStart, record.compressedSize);
      record.dataStart = dataStart;
      record.end = dataEnd + descriptor;
    }

    // Entries tile the bytes before the central directory exactly: no overlaps, no hidden bytes.
    const ordered = [...records].sort((a, b) => a.localOffset - b.localOffset);
    let expected = 0;
    for (const record of ordered) {
      if (record.localOffset < expected) {
        throw zipProblem(
          "zip_overlapping_entries",
          `zip entry ${JSON.stringify(record.path)} overlaps another entry's data`,
          record.path,
        );
      }
      if (record.localOffset > expected) throw strayBytes(expected, record.localOffset);
      expected = record.end;
    }
    if (expected !== directoryOffset) throw strayBytes(expected, directoryOffset);

    return records.map((r) => ({
      path: r.path,
      size: r.size,
      compressedSize: r.compressedSize,
      method: r.method,
      crc: r.crc,
      dataStart: r.dataStart,
    }));
  }

  function strayBytes(from: number, to: number): ZipProblemError {
    return zipProblem(
      "zip_stray_bytes",
      `the zip has ${to - from} bytes at offset ${from} that belong to no entry (prepended or hidden data?)`,
    );
  }

  function latin1(raw: Uint8Array): string {
    let out = "";
    for (let i = 0; i < raw.length; i++) out += String.fromCharCode(raw[i]!);
    return out;
  }

  function decodeName(raw: Uint8Array, flags: number): string {
    const ascii = raw.every((byte) => byte < 0x80);
    if (!ascii && (flags & FLAG_UTF8) === 0) {
      throw zipProblem(
        "zip_invalid_entry_name",
        `zip entry name ${JSON.stringify(latin1(raw))} is not ASCII and lacks the UTF-8 flag`,
        latin1(raw),
      );
    }
    try {
      return utf8Strict.decode(raw);
    } catch {
      throw zipProblem(
        "zip_invalid_entry_name",
        `zip entry name ${JSON.stringify(latin1(raw))} is not valid UTF-8`,
        latin1(raw),
      );
    }
  }

  function normalizedName(path: string): string {
    return path.trim().replaceAll("\\", "/");
  }

  function isDirectoryName(path: string): boolean {
    return path.endsWith("/");
  }

  function checkRecord(record: CentralRecord, limit: ZipLimits): void {
    const { path } = record;
    const invalidName = (problem: string) =>
      zipProblem("zip_invalid_entry_name", `zip entry name ${JSON.stringify(path)} ${problem}`, path);
    const unsupported = (problem: string) =>
      zipProblem("zip_unsupported_entry", `zip entry ${JSON.stringify(path)} ${problem}`, path);

    // Names: traversal and absolute paths judged on the normalized name, then the stored name
    // must already be in normal form.
    const normalized = normalizedName(path);
    if (normalized === "") throw invalidName("is empty");
    if (normalized.startsWith("/") || /^[A-Za-z]:/.test(normalized)) {
      throw zipProblem("zip_absolute_path", `zip entry ${JSON.stringify(path)} has an absolute path`, path);
    }
    if (normalized.split("/").includes("..")) {
      throw zipProblem(
        "zip_path_traversal",
        `zip entry ${JSON.stringify(path)} escapes the archive root`,
        path,
      );
    }
    if (normalized !== path) throw invalidName("has a backslash or surrounding whitespace");
    if (/[\u0000-\u001f\u007f-\u009f]/.test(path)) throw invalidName("contains a control character");
    const segments = (isDirectoryName(path) ? path.slice(0, -1) : path).split("/");
    if (segments.some((segment) => segment === "" || segment === ".")) {
      throw invalidName("has an empty or '.' segment");
    }

    if ((record.flags & FLAG_ENCRYPTED) !== 0) throw unsupported("is encrypted");
    if ((record.flags & ~ALLOWED_FLAGS) !== 0) {
      throw unsupported(`sets unsupported general-purpose flags 0x${record.flags.toString(16)}`);
    }
    if (record.method !== METHOD_DEFLATE && record.method !== METHOD_STORE) {
      throw unsupported(`uses compression method ${record.method} (only store and deflate are read)`);
    }
    if ((record.versionNeeded & 0xff) > MAX_VERSION_NEEDED) {
      throw unsupported(`needs zip version ${(record.versionNeeded & 0xff) / 10}`);
    }
    if (record.diskStart !== 0) throw zipProblem("zip_unsupported_archive", "the zip spans several disks");
    if ([record.size, record.compressedSize, record.localOffset].includes(ZIP32_MAX)) {
      throw zipProblem(
        "zip_unsupported_archive",
        "the zip uses ZIP64 records, which no pack within the size limits needs",
      );
    }
    checkExtraFields(record.extra, record, "central directory");

    const type = (record.externalAttributes >>> 16) & S_IFMT;
    if (isDirectoryName(path)) {
      if (type !== 0 && type !== S_IFDIR) throw specialEntry(path, type);
      if (record.size !== 0 || record.crc !== 0) throw unsupported("is a directory entry that carries data");
    } else {
      if (type === S_IFLNK) {
        throw zipProblem("zip_symlink_entry", `zip entry ${JSON.stringify(path)} is a symbolic link`, path);
      }
      if ((type !== 0 && type !== S_IFREG) || (record.externalAttributes & DOS_DIRECTORY) !== 0) {
        throw specialEntry(path, type);
      }
    }

    const maxCompressed = limit.maxEntryBytes + Math.ceil(limit.maxEntryBytes / 1000) + 1024;
    if (record.size > limit.maxEntryBytes || record.compressedSize > maxCompressed) {
      throw zipProblem(
        "zip_entry_too_large",
        `zip entry ${JSON.stringify(path)} declares ${record.size} bytes, over the ${limit.maxEntryBytes}-byte limit`,
        path,
      );
    }
    if (
      record.size > RATIO_EXEMPT_BYTES &&
      record.size / Math.max(record.compressedSize, 1) > limit.maxCompressionRatio
    ) {
      throw zipProblem(
        "zip_bomb_suspected",
        `zip entry ${JSON.stringify(path)} expands more than ${limit.maxCompressionRatio}x; refusing a likely zip bomb`,
        path,
      );
    }
    if (record.method === METHOD_STORE && record.compressedSize !== record.size) {
      throw zipProblem(
        "zip_corrupt",
        `stored zip entry ${JSON.stringify(path)} declares two different sizes`,
        path,
      );
    }
  }

  function specialEntry(path: string, type: number): ZipProblemError {
    return zipProblem(
      "zip_special_entry",
      `zip entry ${JSON.stringify(path)} is not a regular file or directory (unix type 0o${type.toString(8)})`,
      path,
    );
  }

  /** Extra fields well formed; no ZIP64; an Info-ZIP Unicode Path field must name the raw name. */
  function checkExtraFields(extra: Uint8Array, record: CentralRecord, where: string): void {
    const view = new DataView(extra.buffer, extra.byteOffset, extra.byteLength);
    let at = 0;
    while (at < extra.length) {
      if (at + 4 > extra.length || at + 4 + view.getUint16(at + 2, true) > extra.length) {
        throw zipProblem(
          "zip_corrupt",
          `zip entry ${JSON.stringify(record.path)} has a malformed ${where} extra field`,
          record.path,
        );
      }
      const id = view.getUint16(at, true);
      const end = at + 4 + view.getUint16(at + 2, true);
      if (id === EXTRA_ZIP64) {
        throw zipProblem(
          "zip_unsupported_archive",
          "the zip uses ZIP64 records, which no pack within the size limits needs",
        );
      }
      if (id === EXTRA_UNICODE_PATH && !sameBytes(extra.subarray(at + 9, end), record.name)) {
        throw zipProblem(
          "zip_unicode_path_mismatch",
          `zip entry ${JSON.stringify(record.path)} carries a Unicode Path extra field (${where}) naming another file`,
          record.path,
        );
      }
      at = end;
    }
  }

  /** Inflates at most `size` bytes; more, or an error from the inflater, throws. */
  async function inflateAtMost(data: Uint8Array, size: number): Promise<Uint8Array> {
    const stream = new DecompressionStream("deflate-raw");
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    const feeding = writer
      .write(data)
      .then(() => writer.close())
      .catch(() => undefined);
    const out = new Uint8Array(size);
    let filled = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (filled + value.length > size) throw new RangeError("inflates past its declared size");
        out.set(value, filled);
        filled += value.length;
      }
    } catch (error) {
      await reader.cancel().catch(() => undefined);
      await feeding;
      throw error;
    }
    await feeding;
    if (filled !== size) throw new RangeError("inflates short of its declared size");
    return out;
  }

  /**
   * Whether this runtime's DecompressionStream refuses bytes after the end of a deflate stream
   * (browsers do; Node 20 does not). Where it does not, a second, one-byte-shorter inflate tells:
   * if the stream still completes without its last byte, that byte was not part of it.
   */
  let nativeTrailingCheck: Promise<boolean> | undefined;
  function refusesTrailingBytes(): Promise<boolean> {
    nativeTrailingCheck ??= inflateAtMost(new Uint8Array([3, 0, 0]), 0).then(
      () => false,
      () => true,
    );
    return nativeTrailingCheck;
  }

  async function readZipEntry(bytes: Uint8Array, entry: ZipListingEntry): Promise<Uint8Array> {
    const compressed = bytes.subarray(entry.dataStart, entry.dataStart + entry.compressedSize);
    const fail = (message: string) =>
      zipProblem("zip_corrupt", `zip entry ${JSON.stringify(entry.path)} ${message}`, entry.path);
    let data: Uint8Array;
    if (entry.method === METHOD_STORE) data = compressed.slice();
    else {
      try {
        data = await inflateAtMost(compressed, entry.size);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw fail(error instanceof RangeError ? reason : `does not inflate cleanly (${reason})`);
      }
      if (compressed.length > 0 && !(await refusesTrailingBytes())) {
        const stillWhole = await inflateAtMost(
          compressed.subarray(0, compressed.length - 1),
          entry.size,
        ).then(
          () => true,
          () => false,
        );
        if (stillWhole) throw fail("has bytes after the end of its deflate stream");
      }
    }
    if (crc32(data) !== entry.crc) throw fail("fails its CRC-32 check");
    return data;
  }

  // -------------------------------------------------------------------------------------------
  // Ed25519 through WebCrypto

  // RFC 8032 test 1's public key: any valid point does to ask whether Ed25519 is there.
  const PROBE_KEY = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
  let ed25519Probe: Promise<boolean> | undefined;
  function ed25519Supported(): Promise<boolean> {
    ed25519Probe ??= (async () => {
      try {
        await crypto.subtle.importKey("raw", hexBytes(PROBE_KEY), { name: "Ed25519" }, false, ["verify"]);
        return true;
      } catch {
        return false;
      }
    })();
    return ed25519Probe;
  }

  async function ed25519Verify(
    publicRaw: Uint8Array,
    signature: Uint8Array,
    message: Uint8Array,
  ): Promise<boolean> {
    const key = await crypto.subtle.importKey("raw", publicRaw, { name: "Ed25519" }, false, ["verify"]);
    return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
  }

  // -------------------------------------------------------------------------------------------
  // the pack

  const MANIFEST = "pack_manifest.json";
  const PROOF_RECORDS = "proof_records.jsonl";
  const RUN_PAYLOAD = "run_payload.json";
  const SOURCE_RUNPACK = "source/runpack.zip";
  const PACK_FIELDS = [
    "schema_id",
    "schema_version",
    "created_at",
    "producer_version",
    "pack_id",
    "pack_type",
    "source_ref",
    "contents",
    "signatures",
  ];
  const GUARD_FIELDS = [
    "schema_id",
    "schema_version",
    "created_at",
    "producer_version",
    "pack_id",
    "run_id",
    "case_id",
    "template_id",
    "generated_at",
    "control_index",
    "evidence_pointers",
    "incident_window",
    "rendered_artifacts",
    "contents",
    "signatures",
  ];
  const PACK_TYPES = ["run", "job", "call"];
  const GUARD_CONTENT_TYPES = ["runpack", "trace", "report", "evidence"];
  const ENVELOPE_FIELDS = ["alg", "key_id", "sig", "signed_digest"];
  /** JSON entries up to this size are parsed for the page's summaries. */
  const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;

  async function verifyPack(bytes: Uint8Array, options: VerifyPackOptions = {}): Promise<PackReport> {
    const report: PackReport = {
      status: "verified",
      problems: [],
      offending: [],
      warnings: [],
      entries: [],
      files_checked: 0,
      documents: [],
      control_index: [],
      bytes: bytes.length,
    };
    const problem = (code: string, message: string, path?: string) => {
      report.problems.push(path === undefined ? { code, message } : { code, message, path });
    };
    const finish = (invalid = false): PackReport => {
      if (invalid) report.status = "invalid";
      else if (report.problems.length > 0) report.status = "tampered";
      const named = new Set<string>();
      for (const p of report.problems) if (p.path !== undefined) named.add(p.path);
      report.offending = [...named].sort(compareBytes);
      return report;
    };

    let entries: ZipListingEntry[];
    try {
      entries = listZip(bytes);
    } catch (error) {
      const zipError = error as ZipProblemError;
      problem(zipError.code ?? "zip_corrupt", zipError.message, zipError.path);
      // Not a zip at all is "not a pack"; a zip whose structure was tampered with is tampered.
      return finish(zipError.code === "zip_invalid");
    }
    const byPath = new Map(entries.map((e) => [e.path, e]));

    // Directory entries carry no data; some writers deflate their empty data, which must inflate to nothing.
    for (const entry of entries.filter((e) => isDirectoryName(e.path))) {
      try {
        await readZipEntry(bytes, entry);
      } catch (error) {
        problem("zip_corrupt", (error as Error).message, entry.path);
        return finish();
      }
    }
    const files = entries.filter((e) => !isDirectoryName(e.path));

    const manifestEntry = byPath.get(MANIFEST);
    if (!manifestEntry) {
      const runpack = byPath.has("manifest.json");
      problem(
        "manifest_missing",
        runpack
          ? "this zip has manifest.json but no pack_manifest.json: it is a runpack, not a pack (check it with gait verify or gait run view)"
          : "this zip has no pack_manifest.json: it is not a Gait pack",
      );
      return finish(true);
    }
    let manifest: Record<string, unknown>;
    try {
      const parsed = parseJsonStrict(utf8Strict.decode(await readZipEntry(bytes, manifestEntry)));
      if (!isObject(parsed)) throw new Error("expected a JSON object");
      manifest = parsed;
    } catch (error) {
      problem("manifest_invalid", `cannot be read: ${(error as Error).message}`, MANIFEST);
      return finish();
    }
    report.manifest = manifest;
    const schemaId = manifest.schema_id;
    if (schemaId === "gait.pack.manifest") report.kind = "pack";
    else if (schemaId === "gait.guard.pack_manifest") report.kind = "guard";
    else {
      problem(
        "manifest_schema_unknown",
        `schema_id is ${JSON.stringify(schemaId)}; a pack has gait.pack.manifest or gait.guard.pack_manifest`,
        MANIFEST,
      );
      return finish(true);
    }
    report.schema_id = schemaId;
    const kind = report.kind;

    const manifestProblem = (message: string) => problem("manifest_invalid", message, MANIFEST);
    const read = readManifest(manifest, kind, manifestProblem);
    report.control_index = read.controls;
    const contents = read.contents;
    if (!contents) return finish();

    // pack_id: PackSpec, the digest of the manifest with pack_id "" and no signatures (§7.1);
    // Guard, "pack_" + 16 hex of the digest of {run_id, contents} (§7.2), which its verifier does
    // not check: a mismatch there is a warning.
    try {
      const declared = typeof manifest.pack_id === "string" ? manifest.pack_id : "";
      let computed: string;
      if (kind === "pack") {
        computed = await sha256Hex(utf8.encode(canonicalize({ ...read.signable, pack_id: "" })));
      } else {
        const digest = await sha256Hex(
          utf8.encode(canonicalize({ run_id: manifest.run_id, contents: manifest.contents })),
        );
        computed = `pack_${digest.slice(0, 16)}`;
      }
      const matches = kind === "pack" ? declared.toLowerCase() === computed : declared === computed;
      report.pack_id = { declared, computed, matches };
      if (!matches && kind === "pack") {
        problem("pack_id_mismatch", `pack_id ${declared} is not the manifest's digest ${computed}`, MANIFEST);
      } else if (!matches) {
        report.warnings.push(
          `pack_id ${declared} does not follow the Guard rule (pack_ + 16 hex of the digest of run_id and contents = ${computed}); Guard verifiers do not check it`,
        );
      }
    } catch (error) {
      manifestProblem(`cannot be canonicalized: ${(error as Error).message}`);
    }

    // Every declared entry present and matching; undeclared entries refused (PackSpec) or listed (Guard).
    const declaredPaths = new Set<string>();
    /** The entries that matched their declared hash, by path. */
    const verified = new Map<string, Uint8Array>();
    for (const item of contents) {
      if (declaredPaths.has(item.path)) {
        problem("duplicate_content", "declared twice in the manifest", item.path);
        continue;
      }
      declaredPaths.add(item.path);
      const entry = byPath.get(item.path);
      const base = { path: item.path, type: item.type, declared_sha256: item.sha256 };
      if (!entry || isDirectoryName(item.path) || item.path === MANIFEST) {
        report.entries.push({ ...base, state: "missing", note: "declared but not in the zip" });
        problem("missing_file", "declared in the manifest but not in the zip", item.path);
        continue;
      }
      let data: Uint8Array;
      try {
        data = await readZipEntry(bytes, entry);
      } catch (error) {
        report.entries.push({
          ...base,
          size: entry.size,
          state: "unreadable",
          note: (error as Error).message,
        });
        problem("entry_unreadable", (error as Error).message, item.path);
        continue;
      }
      const sha256 = await sha256Hex(data);
      report.files_checked++;
      if (sha256 !== item.sha256.toLowerCase()) {
        report.entries.push({
          ...base,
          size: entry.size,
          sha256,
          state: "mismatch",
          note: "content does not match its sha256",
        });
        problem("hash_mismatch", "content does not match its sha256 in the manifest", item.path);
        continue;
      }
      report.entries.push({ ...base, size: entry.size, sha256, state: "ok" });
      if (item.path.endsWith(".json") && entry.size <= MAX_DOCUMENT_BYTES) {
        try {
          report.documents.push({ path: item.path, value: parseJsonStrict(utf8Strict.decode(data)) });
        } catch (error) {
          report.warnings.push(`${item.path} is not valid JSON: ${(error as Error).message}`);
        }
      }
      verified.set(item.path, data);
    }
    const proofData = verified.get(PROOF_RECORDS);
    if (kind === "pack" && proofData) {
      report.proof = await checkProofRecords(
        proofData,
        manifest,
        contents,
        new Map(files.map((e) => [e.path, e.size])),
      );
      for (const p of report.proof.problems) problem("proof_record_invalid", p, PROOF_RECORDS);
    }
    report.entries.push({ path: MANIFEST, state: "manifest", size: manifestEntry.size, type: "manifest" });
    for (const entry of files) {
      if (entry.path === MANIFEST || declaredPaths.has(entry.path)) continue;
      if (kind === "pack") {
        report.entries.push({
          path: entry.path,
          size: entry.size,
          state: "undeclared",
          note: "in the zip but not declared",
        });
        problem("undeclared_file", "in the zip but not declared in the manifest", entry.path);
      } else {
        report.entries.push({
          path: entry.path,
          size: entry.size,
          state: "unlisted",
          note: "not declared in the manifest (Guard packs allow this; its content is not covered)",
        });
        report.warnings.push(
          `${entry.path} is in the zip but not declared; Guard verifiers do not reject it, and nothing vouches for it`,
        );
      }
    }
    report.entries.sort((a, b) => compareBytes(a.path, b.path));

    if (kind === "pack" && manifest.pack_type === "run") {
      report.run = await checkRunPayload(
        manifest,
        byPath,
        report.documents,
        verified.get(SOURCE_RUNPACK),
        problem,
      );
    } else if (kind === "pack" && manifest.pack_type === "job") {
      checkJobPayload(manifest, byPath, verified, problem);
    } else if (kind === "pack" && manifest.pack_type === "call") {
      const payload = report.documents.find((d) => d.path === "call_payload.json")?.value;
      if (!byPath.has("call_payload.json"))
        problem("payload_missing", "a call pack needs it, and it is not in the zip", "call_payload.json");
      else if (
        isObject(payload) &&
        (payload.schema_id !== "gait.pack.call" || payload.call_id !== manifest.source_ref)
      ) {
        problem(
          "payload_invalid",
          "schema_id must be gait.pack.call and call_id the manifest's source_ref",
          "call_payload.json",
        );
      }
    }

    report.signature = await checkSignatures(manifest.signatures, read.signable, options.publicKey, problem);
    return finish();
  }

  interface ManifestRead {
    /** Undefined when contents is unusable (nothing else can be checked then). */
    contents: ContentItem[] | undefined;
    controls: ControlReport[];
    /**
     * What the signature signs: the manifest without `signatures`, read as the reference's Go
     * struct reads it (timestamps re-rendered Go-style; for Guard, empty optional fields dropped).
     */
    signable: Record<string, unknown>;
  }

  /**
   * The manifest's fields as the v1 schemas and the pack verifier allow them. Unknown fields are
   * refused for both kinds (the Guard reader would drop them): the page shows what the signature
   * covers, nothing it does not.
   */
  function readManifest(
    manifest: Record<string, unknown>,
    kind: PackKind,
    fail: (message: string) => void,
  ): ManifestRead {
    const allowed = kind === "pack" ? PACK_FIELDS : GUARD_FIELDS;
    for (const key of Object.keys(manifest)) {
      if (!allowed.includes(key)) fail(`unknown field ${JSON.stringify(key)}`);
    }
    const text = (key: string, required = true) => {
      const value = manifest[key];
      if ((value === undefined || value === null) && !required) return;
      if (typeof value !== "string" || (required && value === "")) {
        fail(required ? `${key} must be a non-empty string` : `${key} must be a string`);
      }
    };
    const signable: Record<string, unknown> = { ...manifest };
    delete signable.signatures;
    const time = (holder: Record<string, unknown>, key: string, where = key) => {
      const value = holder[key];
      const normalized = typeof value === "string" ? goTimestamp(value) : undefined;
      if (normalized === undefined) fail(`${where} is not an RFC 3339 timestamp`);
      else holder[key] = normalized;
    };
    if (manifest.schema_version !== "1.0.0") fail("schema_version must be 1.0.0");
    for (const key of ["producer_version", "pack_id"]) text(key);
    time(signable, "created_at");
    let controls: ControlReport[] = [];
    if (kind === "pack") {
      text("source_ref");
      if (!PACK_TYPES.includes(manifest.pack_type as string))
        fail(`pack_type must be one of ${PACK_TYPES.join(", ")}`);
      if (typeof manifest.pack_id === "string" && !HEX64.test(manifest.pack_id))
        fail("pack_id must be 64 hex characters");
    } else {
      text("run_id");
      for (const key of ["case_id", "template_id"]) text(key, false);
      time(signable, "generated_at");
      if (isObject(manifest.incident_window)) {
        const window = { ...manifest.incident_window };
        time(window, "from", "incident_window.from");
        time(window, "to", "incident_window.to");
        signable.incident_window = window;
      }
      // Go's omitempty: null, empty optional strings and lists are not part of the struct's JSON.
      for (const key of [
        "case_id",
        "template_id",
        "control_index",
        "evidence_pointers",
        "incident_window",
        "rendered_artifacts",
      ]) {
        const value = signable[key];
        if (value === "" || (Array.isArray(value) && value.length === 0) || value === null)
          delete signable[key];
      }
      controls = readControlIndex(manifest.control_index, fail);
    }
    if (
      manifest.signatures !== undefined &&
      manifest.signatures !== null &&
      !Array.isArray(manifest.signatures)
    ) {
      fail("signatures must be a list");
    }
    return { contents: readContents(manifest.contents, kind, fail), controls, signable };
  }

  const GO_TIME =
    /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

  /** RFC 3339 text re-rendered as Go does (§1.3): fraction without trailing zeros, Z for a zero offset. */
  function goTimestamp(text: string): string | undefined {
    const m = GO_TIME.exec(text);
    if (!m) return undefined;
    const [, year, month, day, hour, minute, second, fraction = "", , sign, oh, om] = m;
    const days = new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate();
    if (Number(month) < 1 || Number(month) > 12 || Number(day) < 1 || Number(day) > days) return undefined;
    if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return undefined;
    if (sign !== undefined && (Number(oh) > 23 || Number(om) > 59)) return undefined;
    const digits = fraction.replace(/0+$/, "");
    const zone = sign === undefined || (oh === "00" && om === "00") ? "Z" : `${sign}${oh}:${om}`;
    return `${year}-${month}-${day}T${hour}:${minute}:${second}${digits ? `.${digits}` : ""}${zone}`;
  }

  function compareBytes(a: string, b: string): number {
    // Byte order of UTF-8 = code point order; compare code points, not UTF-16 units.
    const x = Array.from(a, (c) => c.codePointAt(0)!);
    const y = Array.from(b, (c) => c.codePointAt(0)!);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return x.length - y.length;
  }

  /** A PackSpec entry's type from its extension (§7.1). */
  function entryType(path: string): string {
    const lower = path.toLowerCase();
    if (lower.endsWith(".jsonl")) return "jsonl";
    if (lower.endsWith(".json")) return "json";
    if (lower.endsWith(".zip")) return "zip";
    return "blob";
  }

  interface ContentItem {
    path: string;
    sha256: string;
    type: string;
  }

  function readContents(
    value: unknown,
    kind: PackKind,
    fail: (message: string) => void,
  ): ContentItem[] | undefined {
    if (!Array.isArray(value)) {
      fail("contents must be a list");
      return undefined;
    }
    const items: ContentItem[] = [];
    for (const [i, item] of value.entries()) {
      const where = `contents[${i}]`;
      if (!isObject(item)) {
        fail(`${where} must be an object`);
        continue;
      }
      const extra = Object.keys(item).find((key) => !["path", "sha256", "type"].includes(key));
      if (extra !== undefined) fail(`${where} has unknown field ${JSON.stringify(extra)}`);
      const { path, sha256, type } = item;
      if (typeof path !== "string" || path === "") fail(`${where}.path must be a non-empty string`);
      else if (typeof sha256 !== "string" || !HEX64.test(sha256))
        fail(`${where}.sha256 must be 64 hex characters`);
      else if (typeof type !== "string" || type === "") fail(`${where}.type must be a non-empty string`);
      else {
        if (kind === "guard" && !GUARD_CONTENT_TYPES.includes(type)) {
          fail(`${where}.type must be one of ${GUARD_CONTENT_TYPES.join(", ")}`);
        }
        if (kind === "pack" && type !== entryType(path)) {
          fail(`${where}.type must be ${entryType(path)} for ${JSON.stringify(path)}`);
        }
        if (path === MANIFEST) fail(`${where} declares the manifest itself`);
        items.push({ path, sha256, type });
      }
    }
    return items;
  }

  function readControlIndex(value: unknown, fail: (message: string) => void): ControlReport[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      fail("control_index must be a list");
      return [];
    }
    const controls: ControlReport[] = [];
    for (const item of value) {
      const paths = isObject(item) ? item.evidence_paths : undefined;
      if (
        !isObject(item) ||
        typeof item.control_id !== "string" ||
        typeof item.title !== "string" ||
        !Array.isArray(paths) ||
        !paths.every((p) => typeof p === "string")
      ) {
        fail("control_index items need control_id, title and evidence_paths");
        continue;
      }
      controls.push({ control_id: item.control_id, title: item.title, evidence_paths: paths as string[] });
    }
    return controls;
  }

  /**
   * A run pack's payload must describe the run the manifest names and be what its source runpack
   * says (§7.1, as pack verify re-derives it): the runpack's own files are checked against its
   * manifest and manifest_digest, then the payload is derived from it and compared.
   */
  async function checkRunPayload(
    manifest: Record<string, unknown>,
    byPath: Map<string, ZipListingEntry>,
    documents: PackDocument[],
    source: Uint8Array | undefined,
    problem: (code: string, message: string, path?: string) => void,
  ): Promise<RunSummary | undefined> {
    const payload = documents.find((d) => d.path === RUN_PAYLOAD)?.value;
    if (!byPath.has(RUN_PAYLOAD))
      problem("payload_missing", "a run pack needs it, and it is not in the zip", RUN_PAYLOAD);
    if (!byPath.has(SOURCE_RUNPACK))
      problem("payload_missing", "a run pack needs it, and it is not in the zip", SOURCE_RUNPACK);
    if (!isObject(payload)) return undefined;
    if (payload.schema_id !== "gait.pack.run")
      problem("payload_invalid", "schema_id must be gait.pack.run", RUN_PAYLOAD);
    if (payload.run_id !== manifest.source_ref) {
      problem("payload_invalid", "run_id is not the manifest's source_ref", RUN_PAYLOAD);
    }
    if (!source) return undefined;
    let run: { summary: RunSummary; derived: Record<string, unknown> };
    try {
      run = await readSourceRunpack(source);
    } catch (error) {
      problem("source_invalid", `is not a valid runpack: ${(error as Error).message}`, SOURCE_RUNPACK);
      return undefined;
    }
    // context_privacy_mode comes from a context envelope, which the runpack does not record.
    const stored: Record<string, unknown> = { ...payload };
    delete stored.context_privacy_mode;
    const keys = new Set([...Object.keys(stored), ...Object.keys(run.derived)]);
    const differing = [...keys].filter(
      (k) => canonicalize(stored[k] ?? null) !== canonicalize(run.derived[k] ?? null),
    );
    if (differing.length > 0) {
      problem(
        "payload_mismatch",
        `does not describe source/runpack.zip (${differing.sort().join(", ")} differ)`,
        RUN_PAYLOAD,
      );
    }
    return run.summary;
  }

  const JOB_STATUSES = [
    "running",
    "paused",
    "decision_needed",
    "blocked",
    "completed",
    "cancelled",
    "emergency_stopped",
  ];

  /**
   * A job pack's payload must be what its job_state.json says (§7.1, as pack verify derives it:
   * src/pack/payload.ts jobPayloadFor), and every job_events.jsonl line a JSON object.
   */
  function checkJobPayload(
    manifest: Record<string, unknown>,
    byPath: Map<string, ZipListingEntry>,
    verified: Map<string, Uint8Array>,
    problem: (code: string, message: string, path?: string) => void,
  ): void {
    const [PAYLOAD, STATE, EVENTS] = ["job_payload.json", "job_state.json", "job_events.jsonl"];
    for (const path of [PAYLOAD, STATE, EVENTS]) {
      if (!byPath.has(path))
        problem("payload_missing", "a job pack needs it, and it is not in the zip", path);
    }
    const json = (path: string): unknown => {
      const data = verified.get(path);
      if (!data) return undefined;
      try {
        return parseJsonStrict(utf8Strict.decode(data));
      } catch (error) {
        problem("payload_invalid", `is not valid JSON: ${(error as Error).message}`, path);
        return undefined;
      }
    };
    const events = verified.get(EVENTS);
    if (events) {
      const lines = utf8Strict.decode(events).split("\n");
      for (const [i, line] of lines.entries()) {
        if (line === "") continue;
        let value: unknown;
        try {
          value = parseJsonStrict(line);
        } catch (error) {
          problem("payload_invalid", `line ${i + 1}: ${(error as Error).message}`, EVENTS);
          break;
        }
        if (!isObject(value)) {
          problem("payload_invalid", `line ${i + 1}: expected an object`, EVENTS);
          break;
        }
      }
    }
    const payload = json(PAYLOAD);
    const state = json(STATE);
    if (!isObject(payload)) return;
    if (payload.schema_id !== "gait.pack.job")
      problem("payload_invalid", "schema_id must be gait.pack.job", PAYLOAD);
    if (!isObject(state)) {
      if (state !== undefined) problem("payload_invalid", "expected a JSON object", STATE);
      return;
    }
    const text = (key: string, required = true): string => {
      const value = state[key];
      if (value === undefined || value === null || value === "") {
        if (required) throw new Error(`${key} is missing or empty`);
        return "";
      }
      if (typeof value !== "string") throw new Error(`${key} must be a string`);
      return value;
    };
    const count = (key: string): number => {
      const value = state[key];
      if (value === undefined || value === null) return 0;
      if (!Array.isArray(value)) throw new Error(`${key} must be a list`);
      return value.length;
    };
    let derived: Record<string, unknown>;
    try {
      const jobId = text("job_id", false);
      if (jobId !== "" && jobId !== manifest.source_ref)
        throw new Error("job_id is not the manifest's source_ref");
      const status = text("status");
      if (!JOB_STATUSES.includes(status)) throw new Error(`status must be one of ${JOB_STATUSES.join(", ")}`);
      const createdAt = goTimestamp(text("created_at"));
      if (createdAt === undefined) throw new Error("created_at is not an RFC 3339 timestamp");
      const invariantVersion = text("safety_invariant_version", false);
      const invariantHash = text("safety_invariant_hash", false);
      if (invariantHash !== "" && !HEX64.test(invariantHash))
        throw new Error("safety_invariant_hash must be 64 hex characters");
      derived = {
        schema_id: "gait.pack.job",
        schema_version: "1.0.0",
        created_at: createdAt,
        job_id: manifest.source_ref,
        status,
        stop_reason: text("stop_reason"),
        status_reason_code: text("status_reason_code"),
        environment_fingerprint: text("environment_fingerprint"),
        ...(invariantVersion ? { safety_invariant_version: invariantVersion } : {}),
        ...(invariantHash ? { safety_invariant_hash: invariantHash } : {}),
        checkpoint_count: count("checkpoints"),
        approval_count: count("approvals"),
      };
    } catch (error) {
      problem("payload_invalid", (error as Error).message, STATE);
      return;
    }
    const keys = new Set([...Object.keys(payload), ...Object.keys(derived)]);
    const differing = [...keys].filter(
      (k) => canonicalize(payload[k] ?? null) !== canonicalize(derived[k] ?? null),
    );
    if (differing.length > 0) {
      problem(
        "payload_mismatch",
        `does not describe job_state.json (${differing.sort().join(", ")} differ)`,
        PAYLOAD,
      );
    }
  }

  const RUNPACK_FILES = ["intents.jsonl", "refs.json", "results.jsonl", "run.json"];
  const RUNPACK_MANIFEST_FIELDS = [
    "schema_id",
    "schema_version",
    "created_at",
    "producer_version",
    "run_id",
    "capture_mode",
    "files",
    "manifest_digest",
  ];

  /** Reads a runpack (CONTRACTS.md §3) as gait verify does its files and digest; throws on any failure. */
  async function readSourceRunpack(
    zip: Uint8Array,
  ): Promise<{ summary: RunSummary; derived: Record<string, unknown> }> {
    const entries = new Map(listZip(zip).map((e) => [e.path, e]));
    const text = async (path: string) => {
      const entry = entries.get(path);
      if (!entry) throw new Error(`it has no ${path}`);
      return utf8Strict.decode(await readZipEntry(zip, entry));
    };
    const object = async (path: string) => {
      const value = parseJsonStrict(await text(path));
      if (!isObject(value)) throw new Error(`${path} is not a JSON object`);
      return value;
    };
    const lines = async (path: string) =>
      (await text(path))
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => {
          const value = parseJsonStrict(line);
          if (!isObject(value)) throw new Error(`${path} has a line that is not a JSON object`);
          return value;
        });
    const manifest = await object("manifest.json");
    if (manifest.schema_id !== "gait.runpack.manifest")
      throw new Error("its manifest is not gait.runpack.manifest");
    const files = Array.isArray(manifest.files) ? manifest.files.filter(isObject) : [];
    for (const required of RUNPACK_FILES) {
      if (!files.some((f) => f.path === required)) throw new Error(`its manifest does not list ${required}`);
    }
    for (const file of files) {
      const entry = entries.get(String(file.path));
      if (!entry) throw new Error(`${String(file.path)} is missing`);
      const actual = await sha256Hex(await readZipEntry(zip, entry));
      if (typeof file.sha256 !== "string" || actual !== file.sha256.toLowerCase()) {
        throw new Error(`${String(file.path)} does not match its sha256`);
      }
    }
    for (const path of entries.keys()) {
      if (path !== "manifest.json" && !files.some((f) => f.path === path))
        throw new Error(`${path} is not listed`);
    }
    // manifest_digest: the manifest as its struct reads it, with manifest_digest "" and no signatures.
    const projected: Record<string, unknown> = {};
    for (const key of RUNPACK_MANIFEST_FIELDS)
      if (manifest[key] !== undefined) projected[key] = manifest[key];
    projected.files = files.map((f) => ({ path: f.path, sha256: f.sha256 }));
    projected.manifest_digest = "";
    if ((await sha256Hex(utf8.encode(canonicalize(projected)))) !== manifest.manifest_digest) {
      throw new Error("its manifest_digest does not match its manifest");
    }

    const run = await object("run.json");
    const intents = await lines("intents.jsonl");
    const results = await lines("results.jsonl");
    const refs = await object("refs.json");
    const receipts = Array.isArray(refs.receipts) ? refs.receipts : [];
    const count = (into: Record<string, number>, key: unknown) => {
      if (typeof key === "string") into[key] = (into[key] ?? 0) + 1;
    };
    const summary: RunSummary = {
      run_id: String(run.run_id),
      created_at: String(run.created_at),
      capture_mode: String(manifest.capture_mode),
      manifest_digest: String(manifest.manifest_digest),
      intents: intents.length,
      results: results.length,
      refs: receipts.length,
      intents_by_tool: {},
      results_by_status: {},
      verdicts: {},
      reason_codes: {},
    };
    for (const intent of intents) count(summary.intents_by_tool, intent.tool_name);
    for (const result of results) {
      count(summary.results_by_status, result.status);
      const decision = isObject(result.result) ? result.result : undefined;
      if (decision && typeof decision.verdict === "string" && decision.verdict !== "") {
        count(summary.verdicts, decision.verdict);
        if (Array.isArray(decision.reason_codes))
          for (const code of decision.reason_codes) count(summary.reason_codes, code);
      }
    }
    const derived: Record<string, unknown> = {
      schema_id: "gait.pack.run",
      schema_version: "1.0.0",
      created_at: run.created_at,
      run_id: run.run_id,
      capture_mode: manifest.capture_mode,
      manifest_digest: manifest.manifest_digest,
      intents_count: intents.length,
      results_count: results.length,
      refs_count: receipts.length,
    };
    for (const key of ["context_set_digest", "context_ref_count", "context_evidence_mode"]) {
      if (refs[key]) derived[key] = refs[key];
    }
    return { summary, derived };
  }

  const PROOF_FIXED: Record<string, string> = {
    record_version: "1.0",
    timestamp: "1980-01-01T00:00:00Z",
    source: "gait.pack",
    source_product: "gait",
    agent_id: "gait",
    record_type: "tool_invocation",
  };
  const PROOF_MEMBERS = [
    ...Object.keys(PROOF_FIXED),
    "record_id",
    "event",
    "controls",
    "metadata",
    "integrity",
  ];

  /**
   * proof_records.jsonl (§7.1), as src/pack/proof.ts checks it: one record per other declared
   * entry, in path order, each describing its entry as stored (path, type, sha256, size), its
   * record_id and record_hash recomputed, chained by previous_record_hash. Record signatures are
   * not checked (pack verify checks them only when signatures are required).
   */
  async function checkProofRecords(
    data: Uint8Array,
    manifest: Record<string, unknown>,
    contents: ContentItem[],
    sizes: Map<string, number>,
  ): Promise<ProofReport> {
    let text: string;
    try {
      text = utf8Strict.decode(data);
    } catch {
      return { records: 0, ok: false, problems: ["is not UTF-8"] };
    }
    const lines = text === "" ? [] : text.split("\n");
    const covered = contents
      .filter((c) => c.path !== PROOF_RECORDS)
      .sort((a, b) => compareBytes(a.path, b.path));
    const digest = async (value: unknown) => sha256Hex(utf8.encode(canonicalize(value)));
    if (lines.length !== covered.length) {
      return {
        records: lines.length,
        ok: false,
        problems: [`${lines.length} record(s) for ${covered.length} declared entries`],
      };
    }
    let previous: string | undefined;
    for (let i = 0; i < lines.length; i++) {
      const fail = (detail: string): ProofReport => ({
        records: lines.length,
        ok: false,
        problems: [`line ${i + 1}: ${detail}`],
      });
      let record: unknown;
      try {
        record = parseJsonStrict(lines[i]!);
      } catch (error) {
        return fail((error as Error).message);
      }
      if (!isObject(record)) return fail("expected a JSON object");
      const unknown = Object.keys(record).find((k) => !PROOF_MEMBERS.includes(k));
      if (unknown !== undefined) return fail(`unknown member ${JSON.stringify(unknown)}`);
      const wrong = Object.keys(PROOF_FIXED).find((k) => record[k] !== PROOF_FIXED[k]);
      if (wrong !== undefined) return fail(`${wrong} must be ${JSON.stringify(PROOF_FIXED[wrong])}`);
      const { event, integrity } = record;
      if (
        !isObject(event) ||
        !isObject(integrity) ||
        !isObject(record.controls) ||
        !isObject(record.metadata)
      ) {
        return fail("event, controls, metadata and integrity must be objects");
      }
      const entry = covered[i]!;
      const describes =
        event.entry_path === entry.path &&
        typeof event.entry_sha256 === "string" &&
        event.entry_sha256.toLowerCase() === entry.sha256.toLowerCase() &&
        event.entry_type === entry.type &&
        event.entry_size_bytes === sizes.get(entry.path) &&
        event.pack_type === manifest.pack_type &&
        event.source_ref === manifest.source_ref;
      if (!describes) return fail(`does not describe entry ${JSON.stringify(entry.path)} as stored`);
      const identity = {
        timestamp: record.timestamp,
        source: record.source,
        source_product: record.source_product,
        agent_id: record.agent_id,
        record_type: record.record_type,
        event,
      };
      if (record.record_id !== `prf-${String(record.timestamp)}-${(await digest(identity)).slice(0, 8)}`) {
        return fail("record_id does not match its content");
      }
      if (integrity.previous_record_hash !== previous) return fail("breaks the hash chain");
      const hash = `sha256:${await digest({
        record_id: record.record_id,
        ...identity,
        record_version: record.record_version,
        controls: record.controls,
        metadata: record.metadata,
        integrity: previous === undefined ? {} : { previous_record_hash: previous },
      })}`;
      if (integrity.record_hash !== hash) return fail("record_hash does not match its content");
      previous = hash;
    }
    return { records: lines.length, ok: true, problems: [] };
  }

  /**
   * The manifest's signatures, as VerifyJSON with lower-cased alg (§2.2): the signable object is
   * the manifest without `signatures`. Without a key the signature cannot be checked, but a
   * signed_digest that is not the manifest's digest still shows the manifest changed after signing.
   */
  async function checkSignatures(
    raw: unknown,
    signable: Record<string, unknown>,
    publicKey: Uint8Array | string | undefined,
    problem: (code: string, message: string, path?: string) => void,
  ): Promise<SignatureReport> {
    const envelopes = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
    const report: SignatureReport = {
      status: "missing",
      total: envelopes.length,
      valid: 0,
      signer_key_ids: [],
      errors: [],
    };
    if (envelopes.length === 0) return report;
    const digestHex = await sha256Hex(utf8.encode(canonicalize(signable)));
    let key: Uint8Array | undefined;
    if (publicKey !== undefined) {
      key = typeof publicKey === "string" ? decodeBase64(publicKey.trim()) : publicKey;
      if (key?.length !== 32) {
        report.errors.push("the public key is not standard base64 of 32 bytes");
        key = undefined;
      }
    }
    const keyId = key ? await sha256Hex(key) : undefined;
    if (keyId) report.key_id = keyId;
    const supported = key ? await ed25519Supported() : false;

    const checks: Array<"valid" | "unchecked" | "invalid"> = [];
    for (const [i, envelope] of envelopes.entries()) {
      const fail = (message: string) => {
        report.errors.push(`signature ${i + 1}: ${message}`);
        checks.push("invalid");
      };
      if (!isObject(envelope)) {
        fail("is not an object");
        continue;
      }
      const unknown = Object.keys(envelope).find((k) => !ENVELOPE_FIELDS.includes(k));
      if (unknown !== undefined) {
        fail(`has unknown member ${JSON.stringify(unknown)}`);
        continue;
      }
      const { alg, key_id: signer, sig, signed_digest: signedDigest = "" } = envelope;
      if (
        typeof alg !== "string" ||
        typeof signer !== "string" ||
        typeof sig !== "string" ||
        typeof signedDigest !== "string"
      ) {
        fail("alg, key_id and sig must be strings");
        continue;
      }
      if (signer !== "") report.signer_key_ids.push(signer);
      if (signedDigest === "") {
        fail("has no signed_digest");
        continue;
      }
      if (signedDigest !== digestHex) {
        fail("signed_digest is not the manifest's digest: the manifest changed after it was signed");
        continue;
      }
      if (alg.toLowerCase() !== "ed25519") {
        fail(`alg ${JSON.stringify(alg)} is not ed25519`);
        continue;
      }
      if (!key || !supported) {
        checks.push("unchecked");
        continue;
      }
      if (signer !== "" && signer !== keyId) {
        fail(`was made with key ${signer}, not the given key ${keyId}`);
        continue;
      }
      const sigBytes = decodeBase64(sig);
      if (sigBytes?.length !== 64) {
        fail("sig is not standard base64 of 64 bytes");
        continue;
      }
      let ok = false;
      try {
        ok = await ed25519Verify(key, sigBytes, hexBytes(digestHex));
      } catch (error) {
        report.errors.push(`signature ${i + 1}: ${(error as Error).message}`);
      }
      if (ok) {
        report.valid++;
        checks.push("valid");
      } else fail("the Ed25519 signature does not verify with the given key");
    }

    // With a key (and Ed25519 here) every signature is valid or invalid; "unchecked" means no key
    // or no Ed25519, and a signed_digest that does not match fails whatever the key would say.
    if (report.valid > 0) report.status = "verified";
    else if (checks.includes("invalid")) report.status = "failed";
    else report.status = key ? "unsupported" : "skipped";
    if (report.status === "failed") {
      problem(
        "signature_failed",
        `the manifest's signature does not verify: ${report.errors.join("; ")}`,
        MANIFEST,
      );
    }
    return report;
  }

  function problemText(problem: PackProblem): string {
    const { path, message } = problem;
    return path === undefined || message.includes(JSON.stringify(path)) ? message : `${path}: ${message}`;
  }

  return {
    problemText,
    verifyPack,
    canonicalize: (value: unknown) => canonicalize(value),
    parseJsonStrict,
    listZip,
    readZipEntry,
    sha256Hex,
    decodeBase64,
    encodeBase64,
    ed25519Supported,
  };
}
