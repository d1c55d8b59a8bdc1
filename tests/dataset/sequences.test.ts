import assert from "node:assert/strict";
import type { Matrix } from "../../lib/models/base.ts";
import {
  gatherSequences,
  sequenceIndex,
  type SequenceOptions,
  sequences,
} from "../../lib/dataset/sequences.ts";
import { split } from "../../lib/dataset/split.ts";
import { rng } from "../_helpers.ts";

const MIN = 60_000;

/** Three pairs stacked, 400 rows each, with 2–4 minute steps and a few ≥ 5-minute gaps. */
function pooled(seed = 1): { x: Matrix; ts: Float64Array; group: Int32Array } {
  const r = rng(seed);
  const n = 1200, cols = 4;
  const ts = new Float64Array(n), group = new Int32Array(n);
  const data = new Float32Array(n * cols);
  for (let i = 0; i < n; i++) {
    group[i] = Math.floor(i / 400);
    const u = r();
    ts[i] = i % 400 === 0 ? 0 : ts[i - 1] +
      MIN * (u < 0.9 ? 1 : u < 0.95 ? 1 + Math.floor(r() * 3) : 5 + Math.floor(r() * 100));
    for (let j = 0; j < cols; j++) data[i * cols + j] = i + j / 10;
  }
  return { x: { rows: n, cols, data, names: ["a", "b", "c", "d"] }, ts, group };
}

/** Brute force: the longest run of rows ending at r that a window may use, sliced and padded. */
function brute(
  x: Matrix,
  ts: Float64Array,
  group: Int32Array,
  r: number,
  o: Required<Pick<SequenceOptions, "steps" | "breakAtGaps" | "notBefore" | "pad">>,
): number[] {
  const ok = (p: number) =>
    // may row p precede row p + 1 inside a window?
    group[p] === group[p + 1] && ts[p] < ts[p + 1] &&
    !(o.breakAtGaps && ts[p + 1] - ts[p] >= 5 * MIN) && ts[p] >= o.notBefore;
  let s = r;
  while (s > 0 && r - s + 1 < o.steps && ok(s - 1)) s--;
  const real = Array.from(x.data.subarray(s * x.cols, (r + 1) * x.cols));
  const missing = o.steps - (r - s + 1);
  const padRow = o.pad === "nan"
    ? new Array(x.cols).fill(NaN)
    : o.pad === "zero"
    ? new Array(x.cols).fill(0)
    : real.slice(0, x.cols);
  return [...Array.from({ length: missing }, () => padRow).flat(), ...real];
}

Deno.test("sequences() matches brute-force slicing (groups, gaps, padding, notBefore)", () => {
  const { x, ts, group } = pooled();
  const r = rng(9);
  const rows = Int32Array.from({ length: 150 }, () => Math.floor(r() * x.rows));
  for (const steps of [1, 7, 30]) {
    for (const breakAtGaps of [false, true]) {
      for (const pad of ["nan", "zero", "edge"] as const) {
        for (const notBefore of [-Infinity, 150 * MIN]) {
          const o = { steps, breakAtGaps, notBefore, pad };
          const got = sequences(x, rows, { ...o, ts, group });
          assert.deepEqual(got.shape, [rows.length, steps, x.cols]);
          const want = [...rows].flatMap((row) => brute(x, ts, group, row, o));
          assert.deepEqual([...got.data], want, JSON.stringify(o));
        }
      }
    }
  }
});

Deno.test("gatherSequences() batches equal the whole block", () => {
  const { x, ts, group } = pooled(2);
  const rows = Int32Array.from({ length: 100 }, (_, i) => i * 12);
  const ix = sequenceIndex(x, rows, { steps: 20, ts, group });
  const whole = gatherSequences(x, ix);
  const parts = [
    gatherSequences(x, ix, 0, 33),
    gatherSequences(x, ix, 33, 34),
    gatherSequences(x, ix, 34, 100),
  ];
  assert.deepEqual(Float32Array.from(parts.flatMap((p) => [...p])), whole);
  assert.throws(() => gatherSequences(x, ix, 50, 101), /Expected 0 <= from <= to <= 100/);
});

Deno.test("sequences() pads a segment's first rows from earlier rows, never from later ones", () => {
  const n = 3000;
  const ts = Float64Array.from({ length: n }, (_, i) => i * MIN);
  const x: Matrix = { rows: n, cols: 1, names: ["t"], data: Float32Array.from(ts, (t) => t / MIN) };
  const s = split(ts);
  const test = sequenceIndex(x, s.test.rows, { steps: 60, ts });
  // the first test window is whole: 59 rows from before the test start (the embargo), then itself
  const first = s.test.rows[0];
  assert.equal(test.valid[0], 60);
  assert.deepEqual(
    [...test.source.subarray(0, 60)],
    Array.from({ length: 60 }, (_, k) => first - 59 + k),
  );
  // no slot ever holds a row stamped after its window's own row
  for (let w = 0; w < test.rows; w++) {
    const r = s.test.rows[w];
    for (let k = 0; k < 60; k++) {
      const p = test.source[w * 60 + k];
      if (p >= 0) assert.ok(ts[p] <= ts[r]);
    }
  }
  // notBefore = the segment start: the first window holds only itself
  const strict = sequenceIndex(x, s.test.rows, { steps: 60, ts, notBefore: s.test.start });
  assert.equal(strict.valid[0], 1);
  assert.equal(strict.valid[59], 60);
});

Deno.test("sequenceIndex() stops at stamps that are not strictly earlier (unsorted or stacked rows)", () => {
  const x: Matrix = { rows: 4, cols: 1, names: ["v"], data: new Float32Array([1, 2, 3, 4]) };
  const ts = new Float64Array([0, 120_000, 60_000, 180_000]); // row 2 is earlier than row 1
  const ix = sequenceIndex(x, new Int32Array([3]), { steps: 4, ts });
  assert.deepEqual([...ix.source], [-1, -1, 2, 3]);
  assert.throws(
    () => sequenceIndex(x, new Int32Array([4]), { steps: 2 }),
    /Expected rows in 0..3 but found 4/,
  );
  assert.throws(() => sequenceIndex(x, new Int32Array([1]), { breakAtGaps: true }), /Missing ts/);
});
