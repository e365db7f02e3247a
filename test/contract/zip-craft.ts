/**
 * Hand-crafted (often malicious) zips for the reader tests: every header field can be set on its
 * own, so the local header, the central record and the data descriptor can be made to disagree.
 */
import { crc32, deflateRawSync } from "node:zlib";

/** One entry of a crafted archive. Unset fields get the values an honest writer would use. */
export interface CraftEntry {
  /** Central-directory name (raw bytes when a Buffer). */
  name: string | Buffer;
  data?: Buffer;
  /** 0 = stored, 8 = deflate (default). */
  method?: number;
  /** Compressed bytes to store instead of compressing `data`. */
  body?: Buffer;
  /** Central flags (default 0x0800, plus 0x0008 with a descriptor). */
  flags?: number;
  /** Uncompressed size written in the headers (a lying header). */
  declaredSize?: number;
  crc?: number;
  /** Unix mode placed in the high 16 bits of the external attributes. */
  unixMode?: number;
  /** Low 16 bits of the external attributes (DOS attributes). */
  dosAttributes?: number;
  versionNeeded?: number;
  extra?: Buffer;
  /** Local header overrides; each defaults to the central value. */
  local?: {
    name?: string | Buffer;
    flags?: number;
    method?: number;
    crc?: number;
    compressedSize?: number;
    size?: number;
    extra?: Buffer;
  };
  /** Write flag 0x08, zeros in the local header and a data descriptor after the data. */
  descriptor?: "signed" | "unsigned";
  /** Descriptor values, when they should disagree with the central record. */
  descriptorValues?: { crc?: number; compressedSize?: number; size?: number };
  /** Bytes written after this entry (a hidden entry, a gap). */
  after?: Buffer;
}

export interface CraftOptions {
  /** Bytes before the first entry (a self-extractor stub, garbage). */
  prefix?: Buffer;
  comment?: Buffer;
  /** Bytes after the end record. */
  suffix?: Buffer;
  /** Extra central records appended after the real ones (e.g. copies pointing at the same data). */
  extraCentral?: (records: Buffer[]) => Buffer[];
  /** Overrides of the end record's fields. */
  end?: { count?: number; disk?: number };
  /** Bytes between the central directory and the end record (e.g. a ZIP64 locator). */
  beforeEnd?: Buffer;
}

const bytesOf = (name: string | Buffer) => (typeof name === "string" ? Buffer.from(name, "utf8") : name);

export function craftZip(entries: CraftEntry[], options: CraftOptions = {}): Buffer {
  const parts: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  const push = (part: Buffer) => {
    parts.push(part);
    offset += part.length;
  };
  if (options.prefix) push(options.prefix);
  for (const entry of entries) {
    const data = entry.data ?? Buffer.alloc(0);
    const method = entry.method ?? 8;
    const body = entry.body ?? (method === 8 ? deflateRawSync(data) : data);
    const name = bytesOf(entry.name);
    const crc = entry.crc ?? crc32(data);
    const size = entry.declaredSize ?? data.length;
    const flags = entry.flags ?? 0x0800 | (entry.descriptor ? 0x0008 : 0);
    const extra = entry.extra ?? Buffer.alloc(0);
    const local = entry.local ?? {};
    const localName = bytesOf(local.name ?? name);
    const localExtra = local.extra ?? extra;
    const zero = entry.descriptor !== undefined;
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(entry.versionNeeded ?? 20, 4);
    header.writeUInt16LE(local.flags ?? flags, 6);
    header.writeUInt16LE(local.method ?? method, 8);
    header.writeUInt32LE(local.crc ?? (zero ? 0 : crc), 14);
    header.writeUInt32LE(local.compressedSize ?? (zero ? 0 : body.length), 18);
    header.writeUInt32LE(local.size ?? (zero ? 0 : size), 22);
    header.writeUInt16LE(localName.length, 26);
    header.writeUInt16LE(localExtra.length, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(entry.versionNeeded ?? 20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(extra.length, 30);
    central.writeUInt32LE((((entry.unixMode ?? 0o100644) << 16) | (entry.dosAttributes ?? 0)) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(Buffer.concat([central, name, extra]));
    push(Buffer.concat([header, localName, localExtra, body]));
    if (entry.descriptor) push(descriptor(entry, crc, body.length, size));
    if (entry.after) push(entry.after);
  }
  const records = options.extraCentral ? [...centrals, ...options.extraCentral(centrals)] : centrals;
  const directory = Buffer.concat(records);
  const comment = options.comment ?? Buffer.alloc(0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(options.end?.disk ?? 0, 4);
  end.writeUInt16LE(options.end?.count ?? records.length, 8);
  end.writeUInt16LE(options.end?.count ?? records.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(comment.length, 20);
  return Buffer.concat([
    ...parts,
    directory,
    options.beforeEnd ?? Buffer.alloc(0),
    end,
    comment,
    options.suffix ?? Buffer.alloc(0),
  ]);
}

function descriptor(entry: CraftEntry, crc: number, compressedSize: number, size: number): Buffer {
  const values = { crc, compressedSize, size, ...entry.descriptorValues };
  const fields = Buffer.alloc(12);
  fields.writeUInt32LE(values.crc >>> 0, 0);
  fields.writeUInt32LE(values.compressedSize, 4);
  fields.writeUInt32LE(values.size, 8);
  if (entry.descriptor === "unsigned") return fields;
  const signature = Buffer.alloc(4);
  signature.writeUInt32LE(0x08074b50, 0);
  return Buffer.concat([signature, fields]);
}

export function extraField(id: number, data: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16LE(id, 0);
  head.writeUInt16LE(data.length, 2);
  return Buffer.concat([head, data]);
}

/** Info-ZIP Unicode Path extra field (0x7075): version 1, CRC-32 of the raw name, UTF-8 name. */
export function unicodePathField(rawName: string | Buffer, unicodeName: string): Buffer {
  const data = Buffer.alloc(5);
  data.writeUInt8(1, 0);
  data.writeUInt32LE(crc32(bytesOf(rawName)), 1);
  return extraField(0x7075, Buffer.concat([data, Buffer.from(unicodeName, "utf8")]));
}

/**
 * An overlap bomb in the style of Fifield's "A better zip bomb": every entry's deflate stream
 * begins with a non-final stored block that quotes the next entry's local header, then continues
 * into that entry's data, down to one shared kernel. Each header is honest (names, CRCs and
 * sizes all agree), so only the overlap check stops it: `count` entries each inflate to about
 * `kernelBytes`, from a file a few dozen bytes per entry long.
 */
export function overlapBomb(count: number, kernelBytes: number): { zip: Buffer; declaredTotal: number } {
  const names = Array.from({ length: count }, (_, i) => Buffer.from(`bomb/${String(i).padStart(5, "0")}`));
  let content = Buffer.alloc(kernelBytes);
  let body = deflateRawSync(content);
  const headers: Buffer[] = new Array(count);
  const records: { crc: number; compressedSize: number; size: number }[] = new Array(count);
  for (let i = count - 1; i >= 0; i--) {
    if (i < count - 1) {
      const next = headers[i + 1]!;
      content = Buffer.concat([next, content]);
      body = Buffer.concat([quoteOf(next), next, body]);
    }
    records[i] = { crc: crc32(content), compressedSize: body.length, size: content.length };
    headers[i] = localHeader(names[i]!, records[i]!);
  }
  const file: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (let i = 0; i < count; i++) {
    centrals.push(centralHeader(names[i]!, records[i]!, offset));
    file.push(headers[i]!, ...(i < count - 1 ? [quoteOf(headers[i + 1]!)] : []));
    offset += headers[i]!.length + (i < count - 1 ? 5 : 0);
  }
  file.push(deflateRawSync(Buffer.alloc(kernelBytes)));
  offset += file.at(-1)!.length;
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  const declaredTotal = records.reduce((sum, r) => sum + r.size, 0);
  return { zip: Buffer.concat([...file, directory, end]), declaredTotal };
}

function quoteOf(next: Buffer): Buffer {
  const quote = Buffer.alloc(5);
  quote.writeUInt16LE(next.length, 1);
  quote.writeUInt16LE(~next.length & 0xffff, 3);
  return quote;
}

function localHeader(name: Buffer, r: { crc: number; compressedSize: number; size: number }): Buffer {
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(20, 4);
  header.writeUInt16LE(8, 8);
  header.writeUInt32LE(r.crc, 14);
  header.writeUInt32LE(r.compressedSize, 18);
  header.writeUInt32LE(r.size, 22);
  header.writeUInt16LE(name.length, 26);
  return Buffer.concat([header, name]);
}

function centralHeader(
  name: Buffer,
  r: { crc: number; compressedSize: number; size: number },
  offset: number,
) {
  const header = Buffer.alloc(46);
  header.writeUInt32LE(0x02014b50, 0);
  header.writeUInt16LE((3 << 8) | 20, 4);
  header.writeUInt16LE(20, 6);
  header.writeUInt16LE(8, 10);
  header.writeUInt32LE(r.crc, 16);
  header.writeUInt32LE(r.compressedSize, 20);
  header.writeUInt32LE(r.size, 24);
  header.writeUInt16LE(name.length, 28);
  header.writeUInt32LE((0o100644 << 16) >>> 0, 38);
  header.writeUInt32LE(offset, 42);
  return Buffer.concat([header, name]);
}
