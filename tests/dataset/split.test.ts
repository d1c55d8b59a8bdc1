import assert from "node:assert/strict";
import { segmentOf } from "../../lib/dataset/segment.ts";
import { split, type SplitFractions } from "../../lib/dataset/split.ts";
import { rng } from "../_helpers.ts";
import { randomTimeline } from "./_fixture.ts";

const MIN = 60_000;

function distinct(ts: Float64Array, rows: Int32Array): number[] {
  return [...new Set([...rows].map((r) => ts[r]))].sort((a, b) => a - b);
}

Deno.test("split() never overlaps segments and respects the embargo (property, random sizes)", () => {
  const r = rng(2024);
  let checked = 0, threw = 0;
  for (let trial = 0; trial < 150; trial++) {
    const pairs = 1 + Math.floor(r() * 4);
    const ts = randomTimeline(1000 + trial, pairs, 200 + Math.floor(r() * 3000));
    const embargo = 76 + Math.floor(r() * 100);
    const train = 0.3 + r() * 0.6;
    const valid = r() < 0.2 ? 0 : (1 - train) * r();
    const fractions: SplitFractions = { train, valid, test: 1 - train - valid };
    const U = new Set(ts).size;
    let s;
    try {
      s = split(ts, { fractions, embargo });
    } catch (e) {
      threw++;
      assert.match((e as Error).message, /^Expected (at least|enough)/);
      assert.ok(U < 3 * embargo + 10, `threw with ${U} stamps: ${(e as Error).message}`);
      continue;
    }
    checked++;
    const segs = [s.train, s.valid, s.test];
    // disjoint, ascending, complete
    const owner = new Int8Array(ts.length).fill(-1);
    segs.forEach((g, k) => {
      for (let i = 0; i < g.rows.length; i++) {
        if (i) assert.ok(g.rows[i] > g.rows[i - 1], "rows ascending");
        assert.equal(owner[g.rows[i]], -1, `row ${g.rows[i]} in two segments`);
        owner[g.rows[i]] = k;
        const t = ts[g.rows[i]];
        assert.ok(t >= g.start && t < g.end, `${g.name} row outside [start, end)`);
      }
      assert.deepEqual(segmentOf(ts, g).rows, g.rows, `${g.name} is reproducible from its span`);
    });
    const unassigned = owner.filter((o) => o === -1).length;
    assert.equal(s.embargo.dropped, unassigned);
    assert.equal(s.embargo.bars, embargo);
    // boundaries by time: equal stamps share a segment (all pairs share the boundaries)
    const seen = new Map<number, number>();
    for (let i = 0; i < ts.length; i++) {
      if (seen.has(ts[i])) assert.equal(owner[i], seen.get(ts[i]), "same stamp, same segment");
      else seen.set(ts[i], owner[i]);
    }
    // chronological with an embargo of exactly `embargo` stamps, hence > horizon minutes
    const all = [...new Set(ts)].sort((a, b) => a - b);
    const live = segs.filter((g) => g.rows.length > 0);
    assert.equal(live.length, valid > 0 ? 3 : 2);
    for (let k = 0; k + 1 < live.length; k++) {
      const a = distinct(ts, live[k].rows), b = distinct(ts, live[k + 1].rows);
      const last = a[a.length - 1], first = b[0];
      assert.ok(last < first);
      const between = all.filter((t) => t > last && t < first).length;
      assert.equal(between, embargo, `${live[k].name} → ${live[k + 1].name}`);
      assert.ok(first - last >= (75 + 1) * MIN);
      assert.ok(live[k].end <= live[k + 1].start);
      assert.deepEqual(s.embargo.spans[k], { start: live[k].end, end: live[k + 1].start });
    }
    // sizes follow the fractions of the kept stamps
    const K = U - embargo * (live.length - 1);
    assert.equal(distinct(ts, s.train.rows).length, Math.max(1, Math.round(train * K)));
    if (valid > 0) {
      assert.equal(distinct(ts, s.valid.rows).length, Math.max(1, Math.round(valid * K)));
    } else assert.equal(s.valid.start, s.train.end);
  }
  assert.ok(checked > 100, `${checked} checked, ${threw} threw`);
});

Deno.test("split() defaults to 70/15/15 with a 120-bar embargo", () => {
  const ts = Float64Array.from({ length: 10_240 }, (_, i) => i * MIN);
  const s = split(ts);
  assert.deepEqual(
    [s.train.rows.length, s.valid.rows.length, s.test.rows.length],
    [7000, 1500, 1500],
  );
  assert.equal(s.valid.rows[0], 7120);
  assert.equal(s.test.rows[0], 7000 + 120 + 1500 + 120);
  assert.equal(s.train.end, 7000 * MIN);
  assert.equal(s.embargo.dropped, 240);
  assert.deepEqual(s.embargo.spans[0], { start: 7000 * MIN, end: 7120 * MIN });
  assert.equal(s.stamps, 10_240);
});

Deno.test("split() cuts a pooled dataset by time: each pair gets the same boundaries", () => {
  // pair A covers minutes 0..999, pair B 500..1499 (stacked)
  const a = Array.from({ length: 1000 }, (_, i) => i * MIN);
  const b = Array.from({ length: 1000 }, (_, i) => (500 + i) * MIN);
  const ts = Float64Array.from([...a, ...b]);
  const s = split(ts, { embargo: 100 });
  // 1500 stamps − 200 = 1300 kept: train 910, valid 195, test 195 stamps
  assert.equal(s.train.end, 910 * MIN);
  assert.equal(s.valid.start, 1010 * MIN);
  const trainA = [...s.train.rows].filter((r) => r < 1000).length;
  const trainB = [...s.train.rows].filter((r) => r >= 1000).length;
  assert.deepEqual([trainA, trainB], [910, 410]);
});

Deno.test("split() rejects an embargo shorter than the longest horizon + 1 bar", () => {
  const ts = Float64Array.from({ length: 2000 }, (_, i) => i * MIN);
  assert.throws(
    () => split(ts, { embargo: 60 }),
    {
      name: "RangeError",
      message: "Expected embargo to be an integer >= 76 (longest horizon + 1 bar) but found 60",
    },
  );
  assert.doesNotThrow(() => split(ts, { embargo: 31, horizon: 30 }));
  assert.throws(
    () => split(ts, { fractions: { train: 0.7, valid: 0.2, test: 0.2 } }),
    /Expected fractions >= 0 summing to 1/,
  );
});
