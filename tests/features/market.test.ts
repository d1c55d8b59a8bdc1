import assert from "node:assert/strict";
import { buildMarket, unionMinutes } from "../../lib/features/market.ts";
import { rng } from "../_helpers.ts";

Deno.test("unionMinutes() equals a sort-and-dedupe union (minute bitmap and fallback paths)", () => {
  const r = rng(8);
  const make = (step: number) => {
    const a: number[] = [];
    let t = 1.7e12 - (1.7e12 % 60_000);
    for (let i = 0; i < 500; i++) {
      t += step * (1 + Math.floor(r() * 3));
      a.push(t);
    }
    return new Float64Array(a);
  };
  for (const step of [60_000, 1_000]) { // whole minutes, then seconds (fallback)
    const parts = [make(step), make(step), make(step)];
    const want = [...new Set(parts.flatMap((p) => [...p]))].sort((a, b) => a - b);
    assert.deepEqual([...unionMinutes(parts)], want);
  }
  // whole minutes but one stamp 1 ms off (in a later array), and a first stamp off the minute
  const odd = [make(60_000), make(60_000), make(60_000)];
  odd[2][250] += 1;
  const early = [make(60_000), Float64Array.of(1.6e12 + 7)];
  for (const parts of [odd, early]) {
    const want = [...new Set(parts.flatMap((p) => [...p]))].sort((a, b) => a - b);
    assert.deepEqual([...unionMinutes(parts)], want);
  }
  assert.equal(unionMinutes([]).length, 0);
});

Deno.test("buildMarket() aligns as of each minute and never pulls a later bar", () => {
  const s = (pair: string, ts: number[], close: number[]) => ({
    pair,
    n: ts.length,
    ts: new Float64Array(ts),
    close: new Float64Array(close),
    bqx: new Float64Array(ts.length).fill(0.5),
  });
  const m = buildMarket([
    s("eurusd", [60e3, 120e3, 180e3], [100, 101, 102]),
    s("usdjpy", [0, 180e3], [100, 99]),
  ]);
  assert.deepEqual([...m.ts], [0, 60e3, 120e3, 180e3]);
  assert.deepEqual([...m.close.get("eurusd")!].map((v) => (Number.isNaN(v) ? null : v)), [
    null,
    100,
    101,
    102,
  ]);
  assert.deepEqual([...m.close.get("usdjpy")!], [100, 100, 100, 99]);
  assert.deepEqual([...m.ret.get("usdjpy")!].slice(1), [0, 0, Math.log(99 / 100)]);
  assert.deepEqual([...m.live.get("usdjpy")!], [1, 0, 0, 1]);
  assert.deepEqual([...m.rows.get("eurusd")!], [1, 2, 3]);
  assert.deepEqual(m.pairs, ["eurusd", "usdjpy"]);
});
