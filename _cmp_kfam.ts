import { fixture } from "./tests/features/_fixture.ts";
import type { FeatureFamily, PairSeries } from "./lib/features/_types.ts";
const names = ["technical", "volume", "regime", "lags", "movingAverages", "statistics", "bollinger", "multiResolution", "time", "fibonacci"];
const only = Deno.args.length ? Deno.args : names;
const s0 = fixture({ pairs: ["eurusd"], rows: 9000 }).series.get("eurusd")!;
// a copy with NaN holes
const hole = (x: Float64Array) => { const y = new Float64Array(x); for (const i of [3000, 3001, 5000, 7777]) y[i] = NaN; return y; };
const s1: PairSeries = { ...s0, close: hole(s0.close), high: hole(s0.high), low: hole(s0.low), volume: hole(s0.volume), bqx: hole(s0.bqx) };
function run(f: FeatureFamily, s: PairSeries, from: number) {
  const m = new Map<string, Float64Array>();
  f.compute(s, { from }, (nm) => { const a = new Float64Array(s.n).fill(NaN); m.set(nm, a); return a; });
  return m;
}
for (const nm of only) {
  const NEW = (await import(`./lib/features/${nm}.ts`))[nm] as FeatureFamily;
  const OLD = (await import(`./_kfam_old/${nm}.ts`))[nm] as FeatureFamily;
  for (const [lab, s] of [["plain", s0], ["holes", s1]] as const) {
    for (const from of [0, s.n - 1, s.n - 300]) {
      const a = run(OLD, s, from), b = run(NEW, s, from);
      let diff = 0, worst = 0, wname = "";
      for (const [col, x] of a) {
        const y = b.get(col)!;
        for (let t = from; t < s.n; t++) {
          if (Object.is(x[t], y[t])) continue;
          diff++;
          const r = Math.abs(x[t] - y[t]) / Math.max(1e-300, Math.abs(x[t]), Math.abs(y[t]));
          if (!(r <= worst)) { worst = r; wname = `${col}@${t} ${x[t]} vs ${y[t]}`; }
        }
      }
      console.log(nm, lab, "from", from, "non-identical", diff, "worst rel", worst, wname);
    }
  }
}
