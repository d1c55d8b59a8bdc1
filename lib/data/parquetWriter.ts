/**
 * A minimal, fast Parquet writer for wide typed-array tables.
 *
 * {@linkcode writeParquetColumns} writes rows `start..end-1` of every column as ONE row group with
 * one Data Page V1 per column: PLAIN encoding, UNCOMPRESSED, definition levels (max 1) for nullable
 * columns as the RLE/bit-packed hybrid (bit width 1, 4-byte length prefix; RLE runs, or a single
 * bit-packed run when that is smaller), non-null values only. NaN in a nullable column is a null;
 * a required column must hold no NaN (it is written as is). `timestamp_ms` columns are stored as
 * INT64 with logical type TIMESTAMP(MILLIS, isAdjustedToUTC=true) (and converted type
 * TIMESTAMP_MILLIS); `float` as FLOAT; `double` as DOUBLE.
 *
 * Sizes are computed first; the file is then a list of chunks (page headers, levels, footer, and
 * views of the columns' own memory for each non-null run), written in order without assembling it
 * in user space, so the only copy of the data is the kernel's. Callers handle temp + rename.
 * @module
 */

/** One column to write. */
export interface ParquetColumn {
  name: string;
  /** `timestamp_ms`: epoch ms (INT64, UTC-adjusted TIMESTAMP(MILLIS)); `float`: FLOAT; `double`: DOUBLE. */
  type: "timestamp_ms" | "float" | "double";
  data: Float64Array | Float32Array;
  /** OPTIONAL column (NaN → null). Default: true for float/double, false for timestamp_ms. */
  nullable?: boolean;
}

// Parquet enums
const T_INT64 = 2, T_FLOAT = 4, T_DOUBLE = 5;
const REP_REQUIRED = 0, REP_OPTIONAL = 1;
const ENC_PLAIN = 0, ENC_RLE = 3;
const CONV_TIMESTAMP_MILLIS = 9;
// compact protocol types
const CT_TRUE = 1, CT_FALSE = 2, CT_I32 = 5, CT_I64 = 6, CT_BINARY = 8, CT_LIST = 9, CT_STRUCT = 12;

const TEXT = new TextEncoder();

/** Tiny growable compact-protocol Thrift writer (footer and page headers only). */
class Thrift {
  buf = new Uint8Array(256);
  len = 0;
  private stack: number[] = [];
  private last = 0;

  private byte(b: number): void {
    if (this.len === this.buf.length) {
      const n = new Uint8Array(this.buf.length * 2);
      n.set(this.buf);
      this.buf = n;
    }
    this.buf[this.len++] = b;
  }
  private varint(v: number): void {
    while (v >= 128) {
      this.byte((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    this.byte(v);
  }
  private zigzag(v: number): void {
    this.varint(v >= 0 ? v * 2 : -v * 2 - 1);
  }
  private field(id: number, type: number): void {
    const d = id - this.last;
    if (d > 0 && d <= 15) this.byte((d << 4) | type);
    else {
      this.byte(type);
      this.zigzag(id);
    }
    this.last = id;
  }
  i32(id: number, v: number): this {
    this.field(id, CT_I32);
    this.zigzag(v);
    return this;
  }
  i64(id: number, v: number): this {
    this.field(id, CT_I64);
    this.zigzag(v);
    return this;
  }
  bool(id: number, v: boolean): this {
    this.field(id, v ? CT_TRUE : CT_FALSE);
    return this;
  }
  str(id: number, s: string): this {
    this.field(id, CT_BINARY);
    this.rawStr(s);
    return this;
  }
  private rawStr(s: string): void {
    const b = TEXT.encode(s);
    this.varint(b.length);
    for (let i = 0; i < b.length; i++) this.byte(b[i]);
  }
  /** Begin a nested struct field. */
  begin(id: number): this {
    this.field(id, CT_STRUCT);
    this.stack.push(this.last);
    this.last = 0;
    return this;
  }
  /** End the current struct (writes STOP). */
  end(): this {
    this.byte(0);
    this.last = this.stack.pop() ?? 0;
    return this;
  }
  private listHeader(id: number, n: number, elem: number): void {
    this.field(id, CT_LIST);
    if (n < 15) this.byte((n << 4) | elem);
    else {
      this.byte(0xf0 | elem);
      this.varint(n);
    }
  }
  listI32(id: number, vs: number[]): this {
    this.listHeader(id, vs.length, CT_I32);
    for (const v of vs) this.zigzag(v);
    return this;
  }
  listStr(id: number, vs: string[]): this {
    this.listHeader(id, vs.length, CT_BINARY);
    for (const v of vs) this.rawStr(v);
    return this;
  }
  /** List of structs; `each` writes the fields of element i (STOP is added). */
  listStruct(id: number, n: number, each: (i: number) => void): this {
    this.listHeader(id, n, CT_STRUCT);
    for (let i = 0; i < n; i++) {
      this.stack.push(this.last);
      this.last = 0;
      each(i);
      this.end();
    }
    return this;
  }
  /** STOP of the top-level struct. */
  stop(): this {
    this.byte(0);
    return this;
  }
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

/** Per-column plan computed before allocation. */
interface Plan {
  col: ParquetColumn;
  physical: number;
  width: number;
  nullable: boolean;
  nullCount: number;
  /** Non-null runs [a0, b0, a1, b1, ...] (absolute row indices, half-open); null = no nulls. */
  runs: Int32Array | null;
  levels: Uint8Array | null; // length-prefixed hybrid-encoded definition levels
  header: Uint8Array;
  bodySize: number;
  offset: number;
}

let runScratch = new Int32Array(1024);

/** Scan [start, end) for NaN; returns non-null runs or null when there is no NaN. */
function scanRuns(d: Float32Array | Float64Array, start: number, end: number): Int32Array | null {
  let k = 0;
  let i = start;
  // fast path: find first NaN
  while (i < end && d[i] === d[i]) i++;
  if (i === end) return null;
  if (i > start) {
    runScratch[k++] = start;
    runScratch[k++] = i;
  }
  while (i < end) {
    // i is NaN; skip nulls
    while (i < end && d[i] !== d[i]) i++;
    if (i === end) break;
    const a = i;
    while (i < end && d[i] === d[i]) i++;
    if (k + 2 > runScratch.length) {
      const n = new Int32Array(runScratch.length * 2);
      n.set(runScratch);
      runScratch = n;
    }
    runScratch[k++] = a;
    runScratch[k++] = i;
  }
  return runScratch.slice(0, k);
}

function varintLen(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}
function putVarint(out: Uint8Array, p: number, v: number): number {
  while (v >= 128) {
    out[p++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  out[p++] = v;
  return p;
}

/** Encode definition levels (1 = present) for n rows given non-null runs (relative to start). */
function encodeLevels(n: number, runs: Int32Array | null, start: number): Uint8Array {
  // RLE runs: alternate 0/1 runs covering [0, n)
  const segs: number[] = []; // [count, value, ...]
  if (runs === null) {
    segs.push(n, 1);
  } else {
    let pos = 0;
    for (let r = 0; r < runs.length; r += 2) {
      const a = runs[r] - start, b = runs[r + 1] - start;
      if (a > pos) segs.push(a - pos, 0);
      segs.push(b - a, 1);
      pos = b;
    }
    if (pos < n) segs.push(n - pos, 0);
  }
  let rleSize = 0;
  for (let s = 0; s < segs.length; s += 2) rleSize += varintLen(segs[s] * 2) + 1;
  const groups = Math.ceil(n / 8);
  const bpSize = varintLen(groups * 2 + 1) + groups;
  if (rleSize <= bpSize || n === 0) {
    const out = new Uint8Array(4 + rleSize);
    new DataView(out.buffer).setUint32(0, rleSize, true);
    let p = 4;
    for (let s = 0; s < segs.length; s += 2) {
      p = putVarint(out, p, segs[s] * 2);
      out[p++] = segs[s + 1];
    }
    return out;
  }
  const out = new Uint8Array(4 + bpSize);
  new DataView(out.buffer).setUint32(0, bpSize, true);
  const p0 = putVarint(out, 4, groups * 2 + 1);
  // bits LSB-first; set runs of 1s
  for (let r = 0; r < runs!.length; r += 2) {
    const a = runs![r] - start, b = runs![r + 1] - start;
    for (let i = a; i < b; i++) out[p0 + (i >> 3)] |= 1 << (i & 7);
  }
  return out;
}

function pageHeader(
  size: number,
  numValues: number,
  nullCount: number,
  nullable: boolean,
): Uint8Array {
  const t = new Thrift();
  t.i32(1, 0).i32(2, size).i32(3, size);
  t.begin(5).i32(1, numValues).i32(2, ENC_PLAIN).i32(3, ENC_RLE).i32(4, ENC_RLE);
  if (nullable) t.begin(5).i64(3, nullCount).end();
  t.end();
  t.stop();
  return t.bytes().slice();
}

/**
 * Write rows `rows.start .. rows.end-1` of every column to a Parquet file at `path` (one row
 * group, one uncompressed PLAIN data page per column). Returns the number of bytes written.
 *
 * The file is written straight from the columns' memory: page headers, levels and footer are small
 * buffers, and each non-null run of a Float32 (or Float64 for `double`) column goes to the file as
 * a view of the typed array, so the only copy is the kernel's (small pieces are batched into one
 * 1 MiB buffer to keep the number of writes low).
 */
export function writeParquetColumns(
  path: string,
  columns: ParquetColumn[],
  rows: { start: number; end: number },
): number {
  const { chunks, size } = parquetChunks(columns, rows);
  const f = Deno.openSync(path, { write: true, create: true, truncate: true });
  try {
    const stage = new Uint8Array(1 << 20);
    let fill = 0;
    const writeAll = (b: Uint8Array) => {
      for (let off = 0; off < b.length;) off += f.writeSync(b.subarray(off));
    };
    const flush = () => {
      if (fill) writeAll(stage.subarray(0, fill));
      fill = 0;
    };
    for (const c of chunks) {
      if (c.length >= 1 << 16) {
        flush();
        writeAll(c);
        continue;
      }
      if (fill + c.length > stage.length) flush();
      stage.set(c, fill);
      fill += c.length;
    }
    flush();
  } finally {
    f.close();
  }
  return size;
}

/**
 * Encode the Parquet file into one `Uint8Array` (see {@linkcode writeParquetColumns}). `alloc`
 * (default: a fresh `Uint8Array`) supplies the output of exactly `size` bytes; every byte of it is
 * overwritten, so a reused buffer need not be cleared.
 */
export function encodeParquetColumns(
  columns: ParquetColumn[],
  rows: { start: number; end: number },
  alloc: (size: number) => Uint8Array = (size) => new Uint8Array(size),
): Uint8Array {
  const { chunks, size } = parquetChunks(columns, rows);
  const out = alloc(size);
  if (out.length !== size) {
    throw new RangeError(`alloc returned ${out.length} bytes, want ${size}`);
  }
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

/** The file as an ordered list of byte chunks (views of the column data where possible). */
function parquetChunks(
  columns: ParquetColumn[],
  rows: { start: number; end: number },
): { chunks: Uint8Array[]; size: number } {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new Error("big-endian hosts are not supported");
  }
  const { start, end } = rows;
  const n = end - start;
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && n >= 0)) {
    throw new RangeError(`bad row range ${start}..${end}`);
  }
  const names = new Set<string>();
  const plans: Plan[] = [];
  let offset = 4;
  for (const col of columns) {
    if (names.has(col.name)) throw new Error(`duplicate column ${col.name}`);
    names.add(col.name);
    if (col.data.length < end) {
      throw new RangeError(`column ${col.name}: ${col.data.length} rows < end ${end}`);
    }
    const physical = col.type === "timestamp_ms"
      ? T_INT64
      : col.type === "float"
      ? T_FLOAT
      : T_DOUBLE;
    const width = physical === T_FLOAT ? 4 : 8;
    const nullable = col.nullable ?? col.type !== "timestamp_ms";
    let runs: Int32Array | null = null;
    let nonNull = n;
    let levels: Uint8Array | null = null;
    if (nullable) {
      runs = scanRuns(col.data, start, end);
      if (runs !== null) {
        nonNull = 0;
        for (let r = 0; r < runs.length; r += 2) nonNull += runs[r + 1] - runs[r];
      }
      levels = encodeLevels(n, runs, start);
    }
    const bodySize = (levels?.length ?? 0) + nonNull * width;
    const header = pageHeader(bodySize, n, n - nonNull, nullable);
    plans.push({
      col,
      physical,
      width,
      nullable,
      nullCount: n - nonNull,
      runs,
      levels,
      header,
      bodySize,
      offset,
    });
    offset += header.length + bodySize;
  }

  // footer
  const t = new Thrift();
  t.i32(1, 1);
  t.listStruct(2, plans.length + 1, (i) => {
    if (i === 0) {
      t.str(4, "schema").i32(5, plans.length);
      return;
    }
    const p = plans[i - 1];
    t.i32(1, p.physical).i32(3, p.nullable ? REP_OPTIONAL : REP_REQUIRED).str(4, p.col.name);
    if (p.col.type === "timestamp_ms") {
      t.i32(6, CONV_TIMESTAMP_MILLIS);
      // LogicalType { 8: TIMESTAMP { 1: isAdjustedToUTC, 2: unit { 1: MILLIS {} } } }
      t.begin(10).begin(8).bool(1, true).begin(2).begin(1).end().end().end().end();
    }
  });
  t.i64(3, n);
  let totalBytes = 0;
  for (const p of plans) totalBytes += p.header.length + p.bodySize;
  t.listStruct(4, 1, () => {
    t.listStruct(1, plans.length, (i) => {
      const p = plans[i];
      const size = p.header.length + p.bodySize;
      t.i64(2, p.offset);
      t.begin(3);
      t.i32(1, p.physical).listI32(2, [ENC_PLAIN, ENC_RLE]).listStr(3, [p.col.name]).i32(4, 0);
      t.i64(5, n).i64(6, size).i64(7, size).i64(9, p.offset);
      t.begin(12).i64(3, p.nullCount).end();
      t.end();
    });
    t.i64(2, totalBytes).i64(3, n).i64(5, 4).i64(6, totalBytes).i32(7, 0);
  });
  t.str(6, "bqx-ml");
  t.stop();
  const footer = t.bytes();

  const chunks: Uint8Array[] = [Uint8Array.of(0x50, 0x41, 0x52, 0x31)]; // PAR1
  for (const p of plans) {
    chunks.push(p.header);
    if (p.levels) chunks.push(p.levels);
    const d = p.col.data;
    const runs = p.runs ?? Int32Array.of(start, end);
    const cnt = n - p.nullCount;
    if (p.physical === T_INT64) {
      // epoch ms (float) → int64 LE
      const ints = new Uint32Array(cnt * 2);
      let k = 0;
      for (let r = 0; r < runs.length; r += 2) {
        for (let i = runs[r], b = runs[r + 1]; i < b; i++) {
          const v = Math.trunc(d[i]);
          const hi = Math.floor(v / 4294967296);
          ints[k++] = (v - hi * 4294967296) >>> 0;
          ints[k++] = hi >>> 0;
        }
      }
      chunks.push(new Uint8Array(ints.buffer));
    } else if (d.BYTES_PER_ELEMENT === p.width) {
      // same width: the runs go out as views of the column's memory
      const src = new Uint8Array(d.buffer, d.byteOffset, d.byteLength), w = p.width;
      for (let r = 0; r < runs.length; r += 2) {
        chunks.push(src.subarray(runs[r] * w, runs[r + 1] * w));
      }
    } else {
      const conv = p.width === 4 ? new Float32Array(cnt) : new Float64Array(cnt);
      let k = 0;
      for (let r = 0; r < runs.length; r += 2) {
        for (let i = runs[r], b = runs[r + 1]; i < b; i++) conv[k++] = d[i];
      }
      chunks.push(new Uint8Array(conv.buffer));
    }
  }
  const tail = new Uint8Array(footer.length + 8);
  tail.set(footer, 0);
  new DataView(tail.buffer).setUint32(footer.length, footer.length, true);
  tail.set([0x50, 0x41, 0x52, 0x31], footer.length + 4);
  chunks.push(tail);
  const size = offset + tail.length;
  return { chunks, size };
}
