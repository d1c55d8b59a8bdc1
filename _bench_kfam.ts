import { fixture } from "./tests/features/_fixture.ts";
import { PAIRS } from "./lib/data/pairs.ts";
import { sliceSeries } from "./lib/features/series.ts";
import { buildMarket } from "./lib/features/market.ts";
import { computePair } from "./lib/features/compute.ts";
import { realBars } from "./tests/_helpers.ts";
import { buildPair } from "./lib/data/build.ts";
import { gapFill } from "./lib/data/gapFill.ts";
import { seriesFromFrames } from "./lib/features/series.ts";
import { technical } from "./lib/features/technical.ts";
import { volume } from "./lib/features/volume.ts";
import { regime } from "./lib/features/regime.ts";
import { lags } from "./lib/features/lags.ts";
import { movingAverages } from "./lib/features/movingAverages.ts";
import { statistics } from "./lib/features/statistics.ts";
import { bollinger } from "./lib/features/bollinger.ts";
import { multiResolution } from "./lib/features/multiResolution.ts";
import { time } from "./lib/features/time.ts";
import { fibonacci } from "./lib/features/fibonacci.ts";
const FAMS = [technical, volume, regime, lags, movingAverages, statistics, bollinger, multiResolution, time, fibonacci];
const mode = Deno.args[0] ?? "both";
const pick = Deno.args.slice(1);
const FS = pick.length ? FAMS.filter((f) => pick.includes(f.name)) : FAMS;
if (mode !== "batch") {
  const { series } = fixture({ pairs: [...PAIRS], rows: 5000 });
  const tails = [...series.values()].map((s) => sliceSeries(s, Math.max(0, s.n - 4096)));
  const market = buildMarket(tails);
  let tot = 0;
  for (const fam of FS) {
    let best = Infinity;
    for (let rep = 0; rep < 12; rep++) {
      const t = performance.now();
      for (const s of tails) computePair(s, { families: [fam], market, from: s.n - 1, keep: "last" });
      best = Math.min(best, performance.now() - t);
    }
    tot += best;
    console.log("live", fam.name.padEnd(16), best.toFixed(2), "ms");
  }
  console.log("live total", tot.toFixed(2));
}
if (mode !== "live") {
  const sets: [string, any][] = [];
  const raw = realBars("EURUSD")!;
  const { m1, bqx } = buildPair(gapFill(raw).frame);
  if (!Deno.env.get("NOREAL")) sets.push(["real", seriesFromFrames("eurusd", m1, bqx)]);
  const syn = fixture({ pairs: ["eurusd"], months: "2024-01..2024-06", rows: 300000 }).series.get("eurusd")!;
  sets.push(["synth", syn]);
  for (const [label, s] of sets) {
    let tot = 0, cells = 0;
    for (const fam of FS) {
      const cols = fam.specs("eurusd", ["eurusd"]).length;
      let best = Infinity;
      for (let rep = 0; rep < 5; rep++) {
        const t = performance.now();
        fam.compute(s, { from: 0 }, () => new Float64Array(s.n).fill(NaN));
        best = Math.min(best, performance.now() - t);
      }
      tot += best; cells += cols * s.n;
      console.log(label, s.n, fam.name.padEnd(16), String(cols).padStart(4), (best * 1e6 / s.n / cols).toFixed(2), "ns/cell");
    }
    console.log(label, "total", (tot * 1e6 / cells).toFixed(2), "ns/cell");
  }
}
