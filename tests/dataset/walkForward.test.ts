import assert from "node:assert/strict";
import { walkForward } from "../../lib/dataset/walkForward.ts";
import { randomTimeline } from "./_fixture.ts";

const HOUR = 3_600_000, DAY = 86_400_000, MIN = 60_000;

/** 15 days of hourly bars from t = 0. */
const hourly = (days = 15) => Float64Array.from({ length: days * 24 }, (_, i) => i * HOUR);
const TOY = { trainDays: 6, testDays: 3, stepDays: 2, embargoMinutes: 120, barMs: HOUR };

Deno.test("walkForward() counts and spans folds of a toy timeline by hand", () => {
  const folds = walkForward(hourly(), TOY);
  // test windows [6,9) [8,11) [10,13) [12,15) days; [14,17) would run past day 15
  assert.equal(folds.length, 4);
  folds.forEach((f, k) => {
    assert.equal(f.index, k);
    assert.equal(f.partial, false);
    assert.deepEqual([f.train.start, f.train.end], [2 * k * DAY, (6 + 2 * k) * DAY - 2 * HOUR]);
    assert.deepEqual([f.test.start, f.test.end], [(6 + 2 * k) * DAY, (9 + 2 * k) * DAY]);
    assert.equal(f.train.rows.length, 6 * 24 - 2); // the 2-hour embargo is purged from train
    assert.equal(f.test.rows.length, 3 * 24);
    assert.equal(f.embargo.dropped, 2);
    assert.equal(f.train.rows[0], 2 * k * 24);
    assert.equal(f.test.rows[0], (6 + 2 * k) * 24);
    assert.equal(f.train.name, `fold${k}/train`);
  });
});

Deno.test("walkForward() test windows tile forward by the step", () => {
  const folds = walkForward(hourly(40), { ...TOY, stepDays: 3 });
  for (let k = 1; k < folds.length; k++) {
    assert.equal(folds[k].test.start - folds[k - 1].test.start, 3 * DAY);
    assert.equal(folds[k].train.start - folds[k - 1].train.start, 3 * DAY);
  }
  // step = test: the test windows tile the tail exactly, without overlap
  const tiles = walkForward(hourly(42), { ...TOY, stepDays: 3 });
  for (let k = 1; k < tiles.length; k++) assert.equal(tiles[k].test.start, tiles[k - 1].test.end);
  assert.equal(tiles.at(-1)!.test.end, 42 * DAY);
});

Deno.test("walkForward() keeps a shorter last fold only when partial is allowed", () => {
  const folds = walkForward(hourly(), { ...TOY, partial: true });
  assert.equal(folds.length, 5);
  const last = folds[4];
  assert.equal(last.partial, true);
  assert.deepEqual([last.test.start, last.test.end], [14 * DAY, 15 * DAY]);
  assert.equal(last.test.rows.length, 24);
  assert.ok(folds.slice(0, 4).every((f) => !f.partial));
});

Deno.test("walkForward() never lets test overlap train and respects the embargo (random pooled timelines)", () => {
  let withFolds = 0;
  for (let seed = 0; seed < 20; seed++) {
    const ts = randomTimeline(seed, 3, 20_000); // up to ~14 days per pair, with weekends
    let folds;
    try {
      folds = walkForward(ts, {
        trainDays: 3,
        testDays: 1.5,
        stepDays: 0.5,
        embargoMinutes: 120,
        partial: seed % 2 === 0,
      });
    } catch (e) {
      assert.match((e as Error).message, /^Expected at least 4.5 days of data/);
      continue;
    }
    withFolds++;
    for (const f of folds) {
      let trainMax = -Infinity, testMin = Infinity;
      for (const r of f.train.rows) trainMax = Math.max(trainMax, ts[r]);
      for (const r of f.test.rows) testMin = Math.min(testMin, ts[r]);
      assert.ok(testMin - trainMax >= 120 * MIN + MIN, `fold ${f.index}: ${testMin - trainMax}`);
      const train = new Set(f.train.rows);
      assert.ok(![...f.test.rows].some((r) => train.has(r)));
      for (const r of f.test.rows) assert.ok(ts[r] >= f.test.start && ts[r] < f.test.end);
      for (const r of f.train.rows) assert.ok(ts[r] >= f.train.start && ts[r] < f.train.end);
      // every row in the fold's span is in train, test or the embargo
      let inSpan = 0;
      for (const t of ts) if (t >= f.train.start && t < f.test.end) inSpan++;
      assert.equal(f.train.rows.length + f.embargo.dropped + f.test.rows.length, inSpan);
    }
    const partials = folds.filter((f) => f.partial);
    assert.ok(
      partials.length === 0 || (seed % 2 === 0 && partials.length === 1 && folds.at(-1)!.partial),
    );
  }
  assert.ok(withFolds >= 10, `${withFolds} timelines had folds`);
});

Deno.test("walkForward() anchored folds all train from the origin", () => {
  const folds = walkForward(hourly(), { ...TOY, anchored: true });
  assert.equal(folds.length, 4);
  folds.forEach((f, k) => {
    assert.equal(f.train.start, 0);
    assert.equal(f.train.rows.length, (6 + 2 * k) * 24 - 2);
  });
});

Deno.test("walkForward() skips folds with no test rows and keeps their grid index", () => {
  // hours 0..191 (8 days), then nothing until day 11, then days 11..15
  const ts = Float64Array.from(
    [
      ...Array.from({ length: 8 * 24 }, (_, i) => i * HOUR),
      ...Array.from({ length: 4 * 24 }, (_, i) => 11 * DAY + i * HOUR),
    ],
  );
  const folds = walkForward(ts, { ...TOY, testDays: 1, stepDays: 1, trainDays: 4 });
  // test days [4,5) … [14,15); days 8, 9, 10 have no bars
  assert.deepEqual(folds.map((f) => f.index), [0, 1, 2, 3, 7, 8, 9, 10]);
  assert.equal(folds[4].test.start, 11 * DAY);
});

Deno.test("walkForward() rejects data shorter than one fold", () => {
  assert.throws(
    () => walkForward(hourly(5), TOY),
    {
      name: "RangeError",
      message: "Expected at least 9 days of data for one fold but found 5.00 days",
    },
  );
  assert.throws(() => walkForward(hourly(), { ...TOY, stepDays: 0 }), /Expected stepDays > 0/);
});
