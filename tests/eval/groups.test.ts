import assert from "node:assert/strict";
import {
  fitTerciles,
  SESSION_BLOCKS,
  sessionGroups,
  sessionMasks,
  trendGroups,
  volatilityTerciles,
} from "../../lib/eval/groups.ts";
import { normals } from "./_fixture.ts";

Deno.test("sessionGroups() and sessionMasks() agree with the UTC hour for every minute of a week", () => {
  // a week across the US DST switch (2024-03-10): sessions are fixed in UTC
  const start = Date.UTC(2024, 2, 7), n = 7 * 1440;
  const ts = Float64Array.from({ length: n }, (_, i) => start + i * 60_000);
  const g = sessionGroups(ts), m = sessionMasks(ts);
  for (let i = 0; i < n; i++) {
    const h = new Date(ts[i]).getUTCHours();
    const tokyo = h < 9, london = h >= 7 && h < 16, ny = h >= 12 && h < 21;
    assert.deepEqual(
      [m.tokyo[i], m.london[i], m.newyork[i], m.off[i]],
      [+tokyo, +london, +ny, +(!tokyo && !london && !ny)],
    );
    const want = tokyo && london
      ? "tokyo_london"
      : london && ny
      ? "london_newyork"
      : tokyo
      ? "tokyo"
      : london
      ? "london"
      : ny
      ? "newyork"
      : "off";
    assert.equal(g.labels[g.codes[i]], want, `hour ${h}`);
  }
  assert.deepEqual(g.labels, SESSION_BLOCKS);
});

Deno.test("sessionGroups() gives −1 for a NaN time and handles times before 1970", () => {
  const g = sessionGroups([NaN, Date.UTC(1969, 11, 31, 23, 30), Date.UTC(1969, 11, 31, 3)]);
  assert.deepEqual([...g.codes], [-1, 5, 0]);
  assert.equal(sessionMasks([NaN]).off[0], 0);
});

Deno.test("fitTerciles() uses the train rows only and matches type-7 quantiles", () => {
  const x = normals(301, 4);
  const train = { start: 0, end: 200 };
  const sorted = [...x.slice(0, 200)].sort((a, b) => a - b);
  const q = (p: number) => {
    const pos = p * 199, lo = Math.floor(pos);
    return sorted[lo] + (pos - lo) * (sorted[lo + 1] - sorted[lo]);
  };
  const cuts = fitTerciles(x, train);
  assert.deepEqual(cuts, [q(1 / 3), q(2 / 3)]);
  // changing test rows cannot move the cuts
  const y = Float64Array.from(x);
  y.fill(1e9, 200);
  assert.deepEqual(fitTerciles(y, train), cuts);
});

Deno.test("volatilityTerciles() splits the train rows into thirds and applies the cuts to all rows", () => {
  const vol = normals(3000, 9).map(Math.abs);
  const g = volatilityTerciles(vol, { start: 0, end: 1500 });
  const counts = [0, 0, 0];
  for (let i = 0; i < 1500; i++) counts[g.codes[i]]++;
  for (const c of counts) assert.ok(Math.abs(c - 500) <= 1, `${counts}`);
  for (let i = 0; i < vol.length; i++) {
    const [c1, c2] = g.cuts;
    assert.equal(g.codes[i], vol[i] <= c1 ? 0 : vol[i] <= c2 ? 1 : 2);
  }
  assert.deepEqual(g.labels, ["low", "mid", "high"]);
});

Deno.test("fitTerciles() takes explicit train rows (a dataset Segment)", () => {
  const x = [5, 1, 9, 2, 3, 100];
  assert.deepEqual(
    fitTerciles(x, { rows: [1, 3, 4, 0] }),
    fitTerciles([1, 2, 3, 5], {
      start: 0,
      end: 4,
    }),
  );
});

Deno.test("volatilityTerciles() takes fixed cuts and validates its arguments", () => {
  const g = volatilityTerciles([0, 1, 2, 3], { start: 0, end: 0 }, { cuts: [1, 2] });
  assert.deepEqual([...g.codes], [0, 0, 1, 2]);
  assert.throws(
    () => fitTerciles([NaN, NaN], { start: 0, end: 2 }),
    { message: "Expected non-NaN values in the 2 train rows but found none" },
  );
  assert.throws(() => fitTerciles([1, 2], { start: 0, end: 3 }), /row range/);
  assert.throws(() => volatilityTerciles([1], { start: 0, end: 1 }, { cuts: [2, 1] }), /cuts/);
});

Deno.test("trendGroups() labels down/flat/up around a flat band", () => {
  const g = trendGroups([-1, 0, 1, NaN]);
  assert.deepEqual([...g.codes], [0, 1, 2, -1]);
  assert.deepEqual(g.labels, ["down", "flat", "up"]);
  assert.throws(() => trendGroups([1], { flat: -1 }), /flat/);
});
