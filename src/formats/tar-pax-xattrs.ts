/**
 * Extended attributes of tar members, byte-exact. Docker and containers-storage store a file's xattrs
 * as PAX records `SCHILY.xattr.NAME=VALUE` whose VALUE is the raw attribute bytes (security.capability
 * is binary). tar-stream decodes PAX records as UTF-8, which mangles such values, so this scanner reads
 * the same bytes alongside it: it walks the 512-byte blocks, skips member data by size, parses every
 * PAX extended header ('x') and yields, for each member that follows, its xattrs as Buffers.
 *
 * Pure and streaming: feed it the uncompressed tar in chunks of any size; take() returns the xattrs of
 * members in archive order (the order tar-stream emits entries in).
 */
const BLOCK = 512;
const XATTR_PREFIX = 'SCHILY.xattr.';
/** Typeflags of headers that describe the next member instead of being one. */
const META_TYPES = new Set(['x', 'g', 'L', 'K']);
/** A PAX header bigger than this is not collected (tar-stream refuses absurd ones too). */
const MAX_PAX = 1024 * 1024;

export interface TarMemberXattrs {
  /** The member's name: PAX `path` when present, else the header's prefix/name. */
  readonly name: string;
  readonly xattrs: ReadonlyMap<string, Buffer>;
}

function parseSize(field: Buffer): number {
  if ((field[0]! & 0x80) !== 0) {
    // base-256 (GNU): big-endian two's complement, first byte's top bit is the marker
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function cString(buf: Buffer, start: number, length: number): string {
  const field = buf.subarray(start, start + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? field.length : nul).toString('utf8');
}

/** Parses PAX records ("LEN key=value\n"), values kept as raw bytes. Malformed records end the parse. */
export function parsePaxRecords(body: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let i = 0;
  while (i < body.length) {
    const space = body.indexOf(0x20, i);
    if (space < 0) break;
    const len = Number(body.subarray(i, space).toString('latin1'));
    if (!Number.isInteger(len) || len <= space - i + 1 || i + len > body.length) break;
    const record = body.subarray(space + 1, i + len - 1); // without the trailing newline
    const eq = record.indexOf(0x3d);
    if (eq > 0) out.set(record.subarray(0, eq).toString('utf8'), Buffer.from(record.subarray(eq + 1)));
    i += len;
  }
  return out;
}

export class TarXattrScanner {
  #header = Buffer.alloc(BLOCK);
  #headerFill = 0;
  #skip = 0; // bytes of member data (and padding) still to pass
  #collect: Buffer[] | undefined; // a PAX header's or GNU long name's body being read
  #collectType = '';
  #collectLeft = 0;
  #collectPadding = 0;
  #pending: Map<string, Buffer> | undefined; // records of the last PAX header, for the next member
  #longName: string | undefined; // GNU 'L' name for the next member
  readonly #members: TarMemberXattrs[] = [];

  push(chunk: Uint8Array): void {
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (buf.length > 0) {
      if (this.#collect !== undefined) {
        const n = Math.min(this.#collectLeft, buf.length);
        this.#collect.push(buf.subarray(0, n));
        this.#collectLeft -= n;
        buf = buf.subarray(n);
        if (this.#collectLeft === 0) this.#collected();
        continue;
      }
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, buf.length);
        this.#skip -= n;
        buf = buf.subarray(n);
        continue;
      }
      const n = Math.min(BLOCK - this.#headerFill, buf.length);
      buf.copy(this.#header, this.#headerFill, 0, n);
      this.#headerFill += n;
      buf = buf.subarray(n);
      if (this.#headerFill === BLOCK) {
        this.#headerFill = 0;
        this.#onHeader(this.#header);
      }
    }
  }

  /** Xattrs of the next member in archive order (undefined when the scanner has not seen it). */
  take(): TarMemberXattrs | undefined {
    return this.#members.shift();
  }

  #collected(): void {
    const body = Buffer.concat(this.#collect!);
    if (this.#collectType === 'x') this.#pending = parsePaxRecords(body);
    else this.#longName = cString(body, 0, body.length);
    this.#collect = undefined;
    this.#skip = this.#collectPadding;
  }

  #onHeader(h: Buffer): void {
    if (h.every((b) => b === 0)) return; // end-of-archive blocks
    const type = h[156] === 0 ? '0' : String.fromCharCode(h[156]!);
    const headerSize = parseSize(h.subarray(124, 136));
    if ((type === 'x' || type === 'L') && headerSize <= MAX_PAX) {
      this.#collect = [];
      this.#collectType = type;
      this.#collectLeft = headerSize;
      this.#collectPadding = padded(headerSize) - headerSize;
      if (headerSize === 0) this.#collected();
      return;
    }
    if (META_TYPES.has(type)) {
      this.#skip = padded(headerSize);
      return;
    }
    const pax = this.#pending;
    const longName = this.#longName;
    this.#pending = undefined;
    this.#longName = undefined;
    const ustarPrefix = h.subarray(257, 262).toString('latin1') === 'ustar' && h[345] !== 0 ? cString(h, 345, 155) : '';
    const headerName = cString(h, 0, 100);
    const name = pax?.get('path')?.toString('utf8') ?? longName ?? (ustarPrefix !== '' ? `${ustarPrefix}/${headerName}` : headerName);
    const xattrs = new Map<string, Buffer>();
    if (pax !== undefined) for (const [k, v] of pax) if (k.startsWith(XATTR_PREFIX)) xattrs.set(k.slice(XATTR_PREFIX.length), v);
    this.#members.push({ name, xattrs });
    // As tar-stream reads it: PAX `size` wins; a directory (or an old-style name ending in /) has no data.
    const paxSize = pax?.get('size');
    const size = paxSize !== undefined ? parseInt(paxSize.toString('latin1'), 10) : headerSize;
    const isDir = type === '5' || (type === '0' && headerName.endsWith('/'));
    this.#skip = isDir ? 0 : padded(size);
  }
}

function padded(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}
