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
 * views of the columns' own memory for each non-null run), written in order without assembling it.
 * On Linux the file is written with direct I/O (see {@linkcode WriteParquetOptions}): one copy into
 * an aligned staging buffer, no page cache. Callers handle temp + rename.
 * @module
 */
import fs from "node:fs";

/** One column to write. */
export interface ParquetColumn {
  name: string;
  /** `timestamp_ms`: epoch ms (INT64, UTC-adjusted TIMESTAMP(MILLIS)); `float`: FLOAT; `double`: DOUBLE. */
  type: "timestamp_ms" | "float" | "double";
  data: Float64Array | Float32Array;
  /** OPTIONAL column (NaN → null). Default: true for float/double, false for timestamp_ms. */
  nullable?: boolean;
  /**
   * Row index of the column's last NaN (−1: none), when the caller knows it (the feature build
   * gathers it while storing): rows after it are not scanned for nulls. Must be exact or an upper
   * bound. @default unknown (every row is scanned)
   */
  lastNull?: number;
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

/**
 * Scan [start, end) for NaN; returns non-null runs or null when there is no NaN. Rows after
 * `lastNull` are known to hold no NaN: they are not read, and end the last run.
 */
function scanRuns(
  d: Float32Array | Float64Array,
  start: number,
  stop: number,
  lastNull = stop - 1,
): Int32Array | null {
  const end = Math.max(start, Math.min(stop, lastNull + 1));
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
    k = pushRun(k, a, i);
  }
  if (end < stop) {
    // the known null-free tail: extend the last run or add one
    if (k && runScratch[k - 1] === end) runScratch[k - 1] = stop;
    else k = pushRun(k, end, stop);
  }
  return runScratch.slice(0, k);
}

/** Append the run [a, b) at `runScratch[k]` (growing it); returns the new length. */
function pushRun(k: number, a: number, b: number): number {
  if (k + 2 > runScratch.length) {
    const n = new Int32Array(runScratch.length * 2);
    n.set(runScratch);
    runScratch = n;
  }
  runScratch[k] = a;
  runScratch[k + 1] = b;
  return k + 2;
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

/** Options of {@linkcode writeParquetColumns}. */
export interface WriteParquetOptions {
  /**
   * Write with direct I/O (`O_DIRECT`, Linux): the bytes go from a reused, page-aligned staging
   * buffer to the device, bypassing the page cache. A feature build writes ~33 GB it will not read
   * back soon; through the page cache every byte costs a kernel copy into freshly allocated cache
   * pages (on this project's VMs 0.35–0.5 GB/s, all of it system CPU the compute needs), directly
   * it is a DMA (1.8–2.7 GB/s, ~0.1 s CPU per GB). Where the platform or file system refuses it
   * (no `O_DIRECT`, a file system answering EINVAL) the writer falls back to buffered writes
   * once and remembers that. Bytes on disk are identical either way. @default true
   */
  direct?: boolean;
}

/**
 * Write rows `rows.start .. rows.end-1` of every column to a Parquet file at `path` (one row
 * group, one uncompressed PLAIN data page per column). Returns the number of bytes written.
 *
 * The file is written straight from the columns' memory: page headers, levels and footer are small
 * buffers, and each non-null run of a Float32 (or Float64 for `double`) column is a view of the
 * typed array. With direct I/O (the default where supported, see {@linkcode WriteParquetOptions})
 * the chunks are copied once into an aligned staging buffer that goes to the device; buffered,
 * large chunks go to the kernel as they are (small pieces batched into one 1 MiB buffer).
 */
export function writeParquetColumns(
  path: string,
  columns: ParquetColumn[],
  rows: { start: number; end: number },
  options: WriteParquetOptions = {},
): number {
  const { chunks, size } = parquetChunks(columns, rows);
  lastDirect = false;
  const fd = options.direct === false ? undefined : openDirect(path);
  if (fd !== undefined) {
    const { buf, padded } = stageAligned(chunks, size);
    let ok = false;
    try {
      for (let off = 0; off < padded;) {
        off += directProgress(path, fs.writeSync(fd, buf, off, padded - off, off));
      }
      ok = true;
    } catch (e) {
      if (!refusal(e, path)) throw e;
    } finally {
      closeDirect(fd, path, size, ok);
      giveAligned(buf);
    }
    if ((lastDirect = ok)) return size;
  }
  writeBuffered(path, chunks);
  return size;
}

/** Whether the platform has direct I/O at all. */
const DIRECT_PLATFORM = typeof fs.constants.O_DIRECT === "number" && Deno.build.os === "linux";
/** Directories whose file system refused direct I/O (not tried again in this process). */
const directRefused = new Set<string>();
/** Alignment of direct-I/O buffers, lengths and offsets (covers 512 B and 4 KiB devices). */
const DIRECT_ALIGN = 4096;
/** Staging buffers grow in steps of this size (months of slightly different lengths share them). */
const DIRECT_STAGE = 8 << 20;

/**
 * Whether the last write went through direct I/O; for tests and benchmarks.
 * @internal
 */
export function lastWriteWasDirect(): boolean {
  return lastDirect;
}
let lastDirect = false;

/**
 * Treat `dir` as a file system that refuses direct I/O (what an EINVAL from it does); for tests of
 * the fallback, since current Linux accepts `O_DIRECT` even on tmpfs.
 * @internal
 */
export function refuseDirectIn(dir: string): void {
  directRefused.add(dir.endsWith("/") ? dir : `${dir}/`);
}

/** The directory part of a path (the unit of direct-I/O refusal). */
function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/") + 1) || ".";
}

/**
 * Open `path` for a direct-I/O write (created, truncated), or undefined where direct I/O is not
 * available: another platform, or a directory whose file system refused it (EINVAL, remembered).
 */
function openDirect(path: string): number | undefined {
  if (!DIRECT_PLATFORM || directRefused.has(dirOf(path))) return undefined;
  const c = fs.constants;
  try {
    return fs.openSync(path, c.O_WRONLY | c.O_CREAT | c.O_TRUNC | c.O_DIRECT, 0o666);
  } catch (e) {
    if (!refusal(e, path)) throw e;
    return undefined;
  }
}

/** Whether `e` is a refusal of direct I/O (EINVAL): records it for the path's directory. */
function refusal(e: unknown, path: string): boolean {
  if ((e as { code?: string }).code !== "EINVAL") return false;
  directRefused.add(dirOf(path)); // e.g. a file system without O_DIRECT writes
  return true;
}

/** Bytes one direct write moved; throws when it moved none. */
function directProgress(path: string, n: number): number {
  if (n <= 0) throw new Error(`direct write to ${path} made no progress`);
  return n; // an unaligned short write makes the next one fail: EINVAL, a refusal
}

/** Close a direct-I/O file: cut the zero padding (`size`), or remove it when the write failed. */
function closeDirect(fd: number, path: string, size: number, ok: boolean): void {
  try {
    if (ok) fs.ftruncateSync(fd, size);
  } finally {
    fs.closeSync(fd);
    if (!ok) fs.rmSync(path, { force: true });
  }
}

/** Buffered write of the chunks (where direct I/O is off or refused). */
function writeBuffered(path: string, chunks: Uint8Array[]): void {
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
}

/** Page-aligned buffers (WebAssembly memories) free for the next staged file. */
const alignedPool: Uint8Array[] = [];
/** Free aligned buffers kept at most (more are dropped when returned). */
const ALIGNED_POOL_MAX = 32;

/** A free page-aligned buffer of at least `n` bytes (the smallest that fits, else a new one). */
function takeAligned(n: number): Uint8Array {
  let best = -1;
  for (let i = 0; i < alignedPool.length; i++) {
    const len = alignedPool[i].length;
    if (len >= n && (best < 0 || len < alignedPool[best].length)) best = i;
  }
  if (best >= 0) {
    const b = alignedPool[best];
    alignedPool[best] = alignedPool[alignedPool.length - 1];
    alignedPool.pop();
    return b;
  }
  // 8 MiB steps, so months of slightly different lengths share buffers
  const pages = Math.max(1, Math.ceil(n / DIRECT_STAGE)) * (DIRECT_STAGE / 65536);
  return new Uint8Array(new WebAssembly.Memory({ initial: pages }).buffer);
}

/**
 * Drop the staging buffers kept by {@linkcode writeParquetColumnsAsync} (a long-lived process
 * calls this after a build to give the memory back).
 */
export function releaseParquetStaging(): void {
  alignedPool.length = 0;
}

/** What {@linkcode writeParquetColumnsAsync} did. */
export interface AsyncWriteResult {
  /** File size. */
  bytes: number;
  /** Whether direct I/O wrote it (else buffered). */
  direct: boolean;
}

/**
 * {@linkcode writeParquetColumns}, with the disk write asynchronous: the file is encoded into a
 * pooled page-aligned buffer before this returns (so the caller may overwrite the columns at
 * once), then written off the JS thread — with direct I/O where the file system allows it, else
 * buffered. A feature build stages a pair's months this way and computes the next pair while the
 * device writes (the 1 GiB of a pair takes ~0.4 s of device time and no CPU).
 */
export function writeParquetColumnsAsync(
  path: string,
  columns: ParquetColumn[],
  rows: { start: number; end: number },
  options: WriteParquetOptions = {},
): Promise<AsyncWriteResult> {
  const { chunks, size } = parquetChunks(columns, rows);
  const { buf, padded } = stageAligned(chunks, size);
  return writeStaged(path, buf, size, padded, options.direct !== false)
    .finally(() => giveAligned(buf));
}

/** The chunks copied into a pooled page-aligned buffer, zero-padded to the alignment. */
function stageAligned(chunks: Uint8Array[], size: number): { buf: Uint8Array; padded: number } {
  const padded = Math.max(DIRECT_ALIGN, Math.ceil(size / DIRECT_ALIGN) * DIRECT_ALIGN);
  const buf = takeAligned(padded);
  let pos = 0;
  for (const c of chunks) {
    buf.set(c, pos);
    pos += c.length;
  }
  buf.fill(0, size, padded);
  return { buf, padded };
}

/** Return a staging buffer to the pool. */
function giveAligned(buf: Uint8Array): void {
  if (alignedPool.length < ALIGNED_POOL_MAX) alignedPool.push(buf);
}

/**
 * libc's `pwrite` as a nonblocking FFI call (it runs on a runtime thread and returns a promise),
 * or null where FFI is not allowed or there is no glibc. Deno's own asynchronous file writes
 * cannot open with `O_DIRECT`, and `node:fs` writes run on the JS thread; this is the one way to
 * let the device write a direct-I/O file while the JS thread computes.
 */
let pwriteFfi:
  | ((fd: number, buf: Uint8Array, n: bigint, off: bigint) => Promise<number | bigint>)
  | null
  | undefined;
function asyncPwrite(): typeof pwriteFfi {
  if (pwriteFfi !== undefined) return pwriteFfi;
  pwriteFfi = null;
  if (!DIRECT_PLATFORM) return null;
  try {
    const lib = Deno.dlopen(
      "libc.so.6",
      {
        pwrite: {
          parameters: ["i32", "buffer", "usize", "i64"],
          result: "isize",
          nonblocking: true,
        },
      } as const,
    );
    pwriteFfi = (fd, buf, n, off) => lib.symbols.pwrite(fd, buf, n, off);
  } catch {
    // no FFI permission, or not glibc: direct writes block the JS thread instead
  }
  return pwriteFfi;
}

/**
 * Write `buf[0, size)` (zero-padded to `padded`) to `path`: direct I/O if allowed, else buffered.
 * The file is opened synchronously; the data goes out in nonblocking `pwrite` calls (one per file
 * as a rule), so the device writes while the JS thread computes. Without FFI, the direct write is
 * synchronous. Errors and refusals are reported by node:fs (a failed `pwrite` is retried with
 * `fs.writeSync` from the same offset, which throws the system error).
 */
async function writeStaged(
  path: string,
  buf: Uint8Array,
  size: number,
  padded: number,
  direct: boolean,
): Promise<AsyncWriteResult> {
  inFlight++;
  try {
    const fd = direct ? openDirect(path) : undefined;
    if (fd !== undefined) {
      let ok = false;
      try {
        const pwrite = asyncPwrite();
        for (let off = 0; off < padded;) {
          let n = pwrite
            ? Number(await pwrite(fd, buf.subarray(off, padded), BigInt(padded - off), BigInt(off)))
            : -1;
          if (n < 0) n = fs.writeSync(fd, buf, off, padded - off, off); // throws the error
          off += directProgress(path, n);
        }
        ok = true;
      } catch (e) {
        if (!refusal(e, path)) throw e;
      } finally {
        closeDirect(fd, path, size, ok);
      }
      if (ok) return { bytes: size, direct: true };
    }
    const f = await Deno.open(path, { write: true, create: true, truncate: true });
    try {
      for (let off = 0; off < size;) off += await f.write(buf.subarray(off, size));
    } finally {
      f.close();
    }
    return { bytes: size, direct: false };
  } finally {
    if (--inFlight === 0) {
      for (const r of idleWaiters.splice(0)) r();
    }
  }
}

let inFlight = 0;
const idleWaiters: (() => void)[] = [];

/**
 * Resolves when no {@linkcode writeParquetColumnsAsync} write is running (at once if none), so
 * their staging buffers are free again. A caller about to stage many files awaits this first:
 * it lets the event loop finish writes that completed while the JS thread was busy.
 */
export function parquetWritesIdle(): Promise<void> {
  return inFlight === 0 ? Promise.resolve() : new Promise((r) => idleWaiters.push(r));
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
      runs = scanRuns(col.data, start, end, col.lastNull);
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
