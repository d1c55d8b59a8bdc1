import assert from "node:assert/strict";
import pl from "nodejs-polars";
import {
  CURRENCY_CORRELATION,
  CURRENCY_VOLS,
  oracle,
  PLANTED_BETAS,
  plantedR2,
  synthMarket,
  synthMonths,
} from "../../lib/data/synth.ts";
import { CURRENCIES, PAIRS } from "../../lib/data/pairs.ts";

// ---------- helpers (independent of the generator's internals)

const MIN = 60_000;
const col = (f: pl.DataFrame, c: string) => f.getColumn(c).toTypedArray() as Float64Array;
const tsOf = (f: pl.DataFrame) =>
  f.getColumn("ts_utc").cast(pl.Int64).cast(pl.Float64).toTypedArray() as Float64Array;

/** Bit-level equality of two float arrays. */
function sameBits(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

function sameFrame(a: pl.DataFrame, b: pl.DataFrame): boolean {
  return sameBits(tsOf(a), tsOf(b)) &&
    ["open", "high", "low", "close", "volume"].every((c) => sameBits(col(a, c), col(b, c)));
}

/** Closed from Friday 22:00 to Sunday 22:00 UTC, via Date (not the module's arithmetic). */
function closed(ms: number): boolean {
  const d = new Date(ms), day = d.getUTCDay(), h = d.getUTCHours();
  return (day === 5 && h >= 22) || day === 6 || (day === 0 && h < 22);
}

/** One-minute log returns of a pair (only where the previous minute exists), with their stamps. */
function minuteReturns(f: pl.DataFrame): { ts: number[]; r: number[] } {
  const ts = tsOf(f), c = col(f, "close"), out = { ts: [] as number[], r: [] as number[] };
  for (let i = 1; i < ts.length; i++) {
    if (ts[i] - ts[i - 1] !== MIN) continue;
    out.ts.push(ts[i]);
    out.r.push(Math.log(c[i] / c[i - 1]));
  }
  return out;
}

/** Returns of two pairs on their common minutes. */
function pairedReturns(a: pl.DataFrame, b: pl.DataFrame): [number[], number[]] {
  const ra = minuteReturns(a), rb = minuteReturns(b);
  const byTs = new Map(rb.ts.map((t, i) => [t, rb.r[i]]));
  const x: number[] = [], y: number[] = [];
  ra.ts.forEach((t, i) => {
    const v = byTs.get(t);
    if (v !== undefined) {
      x.push(ra.r[i]);
      y.push(v);
    }
  });
  return [x, y];
}

function mean(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}

function corr(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const mx = mean(x), my = mean(y);
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

function median(x: number[]): number {
  const s = [...x].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * SPEC §4 target_h(t) = w{h}_bqx_return(t+h) = Σ_{i=1..h} (c(t+h−i) − c(t+h)) / c(t+h), computed
 * from closes directly (the index scale cancels); NaN unless bars t..t+h are consecutive minutes.
 */
function target(f: pl.DataFrame, h: number): Float64Array {
  const ts = tsOf(f), c = col(f, "close"), out = new Float64Array(ts.length).fill(NaN);
  for (let t = 0; t + h < ts.length; t++) {
    if (ts[t + h] - ts[t] !== h * MIN) continue;
    const e = c[t + h];
    let y = 0;
    for (let i = 1; i <= h; i++) y += (c[t + h - i] - e) / e;
    out[t] = y;
  }
  return out;
}

/** Forecast R² (1 − SSE/SST) and squared correlation over the rows where the target is defined. */
function skill(y: Float64Array, f: Float64Array): { r2: number; corr2: number } {
  const ys: number[] = [], fs: number[] = [];
  for (let i = 0; i < y.length; i++) if (y[i] === y[i]) (ys.push(y[i]), fs.push(f[i]));
  const my = mean(ys);
  let sse = 0, sst = 0;
  for (let i = 0; i < ys.length; i++) {
    sse += (ys[i] - fs[i]) ** 2;
    sst += (ys[i] - my) ** 2;
  }
  return { r2: 1 - sse / sst, corr2: corr(ys, fs) ** 2 };
}

// One shared month of all 28 pairs (signal off, missing minutes on), generated once.
let cached: Map<string, pl.DataFrame> | undefined;
const market = () => (cached ??= synthMarket({ months: "2024-02", seed: 1 }));

// ---------- determinism, state, subsets

Deno.test("synthMonths() is deterministic for a seed", () => {
  const opts = { months: "2024-02", pairs: "eurusd,usdjpy", seed: 7 };
  const a = [...synthMonths(opts)][0].bars, b = [...synthMonths(opts)][0].bars;
  for (const p of ["eurusd", "usdjpy"]) assert.ok(sameFrame(a.get(p)!, b.get(p)!), p);
  const c = [...synthMonths({ ...opts, seed: 8 })][0].bars.get("eurusd")!;
  assert.ok(
    !sameBits(col(a.get("eurusd")!, "close").subarray(0, 1000), col(c, "close").subarray(0, 1000)),
  );
});

Deno.test("synthMonths() carries the state from month to month", () => {
  const months = [...synthMonths({ months: "2024-01..2024-02", pairs: "gbpjpy", seed: 3 })];
  assert.deepEqual(months.map((m) => m.month), ["2024-01", "2024-02"]);
  const jan = months[0].bars.get("gbpjpy")!, feb = months[1].bars.get("gbpjpy")!;
  // same months as one concatenated run
  const whole = synthMarket({ months: ["2024-01", "2024-02"], pairs: "gbpjpy", seed: 3 }).get(
    "gbpjpy",
  )!;
  assert.ok(sameFrame(whole, pl.concat([jan, feb])));
  // February continues January's path: first open within 10 bp of January's last close
  const lastJan = col(jan, "close")[jan.height - 1], firstFeb = col(feb, "open")[0];
  assert.ok(Math.abs(Math.log(firstFeb / lastJan)) < 1e-3, `${lastJan} → ${firstFeb}`);
  // month boundaries are respected
  assert.ok(
    tsOf(jan)[jan.height - 1] < Date.UTC(2024, 1, 1) && tsOf(feb)[0] >= Date.UTC(2024, 1, 1),
  );
  // a run started in February is a different path (it starts from the start levels)
  const alone = synthMarket({ months: "2024-02", pairs: "gbpjpy", seed: 3 }).get("gbpjpy")!;
  assert.ok(!sameBits(col(alone, "close").subarray(0, 100), col(feb, "close").subarray(0, 100)));
});

Deno.test("synthMarket() gives a subset of pairs the same prices as the full set", () => {
  const sub = synthMarket({ months: "2024-02", pairs: ["usdjpy", "eurgbp"], seed: 1 });
  assert.deepEqual([...sub.keys()], ["usdjpy", "eurgbp"]);
  for (const p of ["usdjpy", "eurgbp"]) assert.ok(sameFrame(sub.get(p)!, market().get(p)!), p);
});

// ---------- SPEC §2 contract

Deno.test("synthMarket() bars satisfy the bar contract", () => {
  const m = market();
  assert.deepEqual([...m.keys()], [...PAIRS]);
  for (const [p, f] of m) {
    assert.deepEqual(f.columns, ["ts_utc", "open", "high", "low", "close", "volume"]);
    assert.equal(String(f.getColumn("ts_utc").dtype), String(pl.Datetime("ms", "UTC")));
    for (const c of ["open", "high", "low", "close", "volume"]) {
      assert.equal(String(f.getColumn(c).dtype), String(pl.Float64));
    }
    const ts = tsOf(f),
      o = col(f, "open"),
      h = col(f, "high"),
      l = col(f, "low"),
      c = col(f, "close");
    const v = col(f, "volume");
    assert.ok(f.height > 25_000, `${p}: ${f.height} rows`);
    for (let i = 0; i < ts.length; i++) {
      if (i > 0 && !(ts[i] > ts[i - 1])) assert.fail(`${p}: ts not increasing at row ${i}`);
      if (ts[i] % MIN !== 0) assert.fail(`${p}: ts not on a minute at row ${i}`);
      if (!(l[i] > 0 && Number.isFinite(h[i]))) assert.fail(`${p}: bad price at row ${i}`);
      if (!(l[i] <= Math.min(o[i], c[i]) && Math.max(o[i], c[i]) <= h[i])) {
        assert.fail(`${p}: OHLC violated at row ${i}: ${o[i]} ${h[i]} ${l[i]} ${c[i]}`);
      }
      if (!(v[i] >= 0 && Number.isInteger(v[i]))) {
        assert.fail(`${p}: bad volume ${v[i]} at row ${i}`);
      }
    }
  }
});

Deno.test("synthMarket() starts at realistic price levels", () => {
  const first = (p: string) => col(market().get(p)!, "open")[0];
  const expected: Record<string, number> = {
    eurusd: 1.10,
    gbpusd: 1.30,
    audusd: 0.72,
    nzdusd: 0.67,
    usdcad: 1.32,
    usdchf: 0.95,
    usdjpy: 110,
    eurjpy: 121,
    gbpjpy: 143,
    eurgbp: 0.846,
    eurchf: 1.045,
  };
  for (const [p, v] of Object.entries(expected)) {
    assert.ok(Math.abs(first(p) / v - 1) < 0.005, `${p} starts at ${first(p)}, expected ≈ ${v}`);
  }
  // JPY quotes have 3 decimals, the others 5
  const dec = (x: number, d: number) => Math.abs(x * 10 ** d - Math.round(x * 10 ** d)) < 1e-6;
  assert.ok(col(market().get("usdjpy")!, "close").every((x) => dec(x, 3)));
  assert.ok(col(market().get("eurusd")!, "close").every((x) => dec(x, 5)));
});

// ---------- calendar

Deno.test("synthMarket() has no rows while the market is closed", () => {
  for (const [p, f] of market()) {
    const ts = tsOf(f);
    for (let i = 0; i < ts.length; i++) {
      if (closed(ts[i])) assert.fail(`${p}: row at ${new Date(ts[i]).toISOString()}`);
    }
  }
  // without missing minutes, every open minute of February 2024 is there and nothing else
  const full = synthMarket({ months: "2024-02", pairs: "eurusd", missingMinutes: false }).get(
    "eurusd",
  )!;
  let open = 0;
  for (let t = Date.UTC(2024, 1, 1); t < Date.UTC(2024, 2, 1); t += MIN) if (!closed(t)) open++;
  assert.equal(full.height, open);
  const ts = tsOf(full);
  assert.ok(ts.includes(Date.UTC(2024, 1, 2, 21, 59)) && ts.includes(Date.UTC(2024, 1, 4, 22, 0)));
});

Deno.test("synthMarket() drops a few short runs of minutes after the daily roll", () => {
  const lengths: number[] = [];
  const starts = new Set<number>();
  for (const [p, f] of market()) {
    const ts = tsOf(f);
    for (let i = 1; i < ts.length; i++) {
      const gap = (ts[i] - ts[i - 1]) / MIN - 1;
      if (gap === 0) continue;
      let weekend = false;
      for (let t = ts[i - 1] + MIN; t < ts[i]; t += MIN) if (closed(t)) weekend = true;
      if (weekend) continue;
      const d = new Date(ts[i - 1] + MIN);
      assert.ok(
        d.getUTCHours() === 22 && d.getUTCMinutes() < 15,
        `${p}: gap at ${d.toISOString()}`,
      );
      assert.ok(gap >= 1 && gap <= 10, `${p}: gap of ${gap} minutes`);
      lengths.push(gap);
      starts.add(ts[i - 1] + MIN);
    }
  }
  // about 0.12 × 28 pairs × ~20 rolls ≈ 67 runs; some long enough (≥ 5) to stay gaps; per pair
  assert.ok(lengths.length > 20 && lengths.length < 150, `${lengths.length} runs`);
  assert.ok(lengths.some((g) => g >= 5) && lengths.some((g) => g < 5));
  assert.ok(starts.size > lengths.length / 3, "runs are drawn per pair, not shared");
  // switching missing minutes off only adds the rows back: the prices are the same
  const on = market().get("eurusd")!;
  const off = synthMarket({ months: "2024-02", pairs: "eurusd", missingMinutes: false, seed: 1 })
    .get("eurusd")!;
  assert.ok(off.height > on.height);
  const onTs = new Set(tsOf(on)), offTs = tsOf(off);
  const keep = (c: Float64Array) => c.filter((_, i) => onTs.has(offTs[i]));
  assert.ok(sameBits(keep(offTs), tsOf(on)));
  for (const c of ["open", "high", "low", "close", "volume"]) {
    assert.ok(sameBits(keep(col(off, c)), col(on, c)), c);
  }
});

// ---------- market realism

Deno.test("synthMarket() keeps triangular parity within a few bp", () => {
  const m = market();
  const close = (p: string) => {
    const c = col(m.get(p)!, "close");
    return new Map(Array.from(tsOf(m.get(p)!), (t, i) => [t, c[i]]));
  };
  const eu = close("eurusd"), uj = close("usdjpy"), ej = close("eurjpy");
  const dev: number[] = [];
  for (const [t, x] of eu) {
    const y = uj.get(t), z = ej.get(t);
    if (y !== undefined && z !== undefined) dev.push(Math.abs(Math.log((x * y) / z)) * 1e4);
  }
  assert.ok(dev.length > 25_000);
  const sorted = dev.sort((a, b) => a - b);
  assert.ok(
    sorted[Math.floor(0.5 * dev.length)] < 0.5,
    `median ${sorted[Math.floor(0.5 * dev.length)]} bp`,
  );
  assert.ok(sorted[dev.length - 1] < 3, `max ${sorted[dev.length - 1]} bp`);
  assert.ok(
    sorted[Math.floor(0.9 * dev.length)] > 0.1,
    "parity is not exact: microstructure noise",
  );
});

Deno.test("synthMarket() has realistic vols and cross-currency correlations", () => {
  const m = market();
  for (const p of ["eurusd", "gbpusd", "audusd", "nzdusd", "usdcad", "usdchf", "usdjpy"]) {
    const r = minuteReturns(m.get(p)!).r;
    const annual = Math.sqrt(mean(r.map((x) => x * x)) * 260 * 1440);
    assert.ok(annual > 0.04 && annual < 0.15, `${p}: ${annual}`);
  }
  const c = (a: string, b: string) => corr(...pairedReturns(m.get(a)!, m.get(b)!));
  assert.ok(c("eurusd", "gbpusd") > 0.5, `eurusd~gbpusd ${c("eurusd", "gbpusd")}`);
  assert.ok(c("eurusd", "usdchf") < -0.6, `eurusd~usdchf ${c("eurusd", "usdchf")}`);
  assert.ok(c("audusd", "nzdusd") > 0.6, `audusd~nzdusd ${c("audusd", "nzdusd")}`);
  assert.ok(c("usdcad", "audusd") < -0.4, `usdcad~audusd ${c("usdcad", "audusd")}`);
  assert.ok(c("usdchf", "usdjpy") > 0.4, `usdchf~usdjpy ${c("usdchf", "usdjpy")}`);
});

Deno.test("synthMarket() clusters volatility and has fat tails", () => {
  const { ts, r } = minuteReturns(market().get("eurusd")!);
  // deseasonalize |r| by its own mean per UTC hour, so clustering is not just the session cycle
  const hour = ts.map((t) => new Date(t).getUTCHours());
  const byHour = new Float64Array(24), n = new Float64Array(24);
  hour.forEach((h, i) => (byHour[h] += Math.abs(r[i]), n[h]++));
  const a = r.map((x, i) => Math.abs(x) / (byHour[hour[i]] / n[hour[i]]));
  const acf = (lag: number) => corr(a.slice(lag), a.slice(0, a.length - lag));
  assert.ok(acf(1) > 0.1, `acf1 ${acf(1)}`);
  assert.ok(acf(60) > 0.05, `acf60 ${acf(60)}`);
  const m2 = mean(r.map((x) => x * x)), m4 = mean(r.map((x) => x ** 4));
  assert.ok(m4 / (m2 * m2) > 4, `kurtosis ${m4 / (m2 * m2)}`);
});

Deno.test("synthMarket() follows the trading sessions", () => {
  const f = market().get("eurusd")!;
  const { ts, r } = minuteReturns(f);
  const hour = ts.map((t) => new Date(t).getUTCHours());
  const meanAbs = (from: number, to: number) =>
    mean(r.filter((_, i) => hour[i] >= from && hour[i] < to).map(Math.abs));
  const overlap = meanAbs(12, 16),
    london = meanAbs(8, 12),
    tokyo = meanAbs(1, 6),
    roll = meanAbs(22, 23);
  assert.ok(
    overlap > london && london > tokyo && tokyo > roll,
    `${overlap} ${london} ${tokyo} ${roll}`,
  );
  assert.ok(overlap > 2.5 * roll);
});

Deno.test("synthMarket() volume rises with the bar range", () => {
  for (const p of ["eurusd", "audjpy"]) {
    const f = market().get(p)!;
    const low = col(f, "low"), range = col(f, "high").map((h, i) => Math.log(h / low[i]));
    const v = col(f, "volume");
    assert.ok(corr(v, range) > 0.3, `${p}: ${corr(v, range)}`);
    assert.ok(mean(v) > 10 && mean(v) < 150, `${p}: mean volume ${mean(v)}`);
  }
});

// ---------- planted signal

Deno.test("plantedR2() puts most pairs between 2 % and 10 % at h = 15 by default", () => {
  const r2 = plantedR2();
  assert.deepEqual(Object.keys(r2), [...PAIRS]);
  const at15 = PAIRS.map((p) => r2[p][15]);
  assert.ok(at15.filter((x) => x >= 0.02 && x <= 0.1).length >= 18);
  for (const p of PAIRS) {
    for (const h of [15, 30, 45, 60, 75]) {
      assert.ok(r2[p][h] >= 0 && r2[p][h] < 0.2, `${p} ${h}: ${r2[p][h]}`);
    }
  }
  assert.ok(
    Object.values(plantedR2({ strength: 0 })).every((r) => Object.values(r).every((x) => x === 0)),
  );
});

Deno.test("plantedR2() equals the one-bar closed form", () => {
  // h = 1: target_1 = −r(t+1) = −Δβ·s(t) − d·e(t+1): R² = Δβ²·Var s / (Δβ²·Var s + d'Σd)
  const alpha = 1 - 2 ** (-1 / 30);
  const sd = CURRENCIES.map((c) => CURRENCY_VOLS[c] / Math.sqrt(260 * 1440));
  // documented: off-diagonals × e^(−0.2²) for the independent per-currency vol factors
  const cov = (i: number, j: number) =>
    CURRENCY_CORRELATION[i][j] * sd[i] * sd[j] * (i === j ? 1 : Math.exp(-0.04));
  const quad = (a: number[]) =>
    a.reduce((s, ai, i) => s + a.reduce((t, aj, j) => t + ai * cov(i, j) * aj, 0), 0);
  const w = CURRENCIES.map((c) => (c === "usd" ? 1 : -1 / 7));
  const varS = (alpha / (2 - alpha)) * quad(w);
  const r2 = plantedR2({ horizons: [1], noiseBp: 0, jumpsPerDay: 0 });
  for (const p of ["eurusd", "usdjpy", "audnzd", "gbpchf"]) {
    const [b, q] = [p.slice(0, 3), p.slice(3)] as [
      keyof typeof PLANTED_BETAS,
      keyof typeof PLANTED_BETAS,
    ];
    const d = CURRENCIES.map((c) => (c === b ? 1 : c === q ? -1 : 0));
    const expl = (PLANTED_BETAS[b] - PLANTED_BETAS[q]) ** 2 * varS;
    assert.ok(Math.abs(r2[p][1] - expl / (expl + quad(d))) < 1e-12, `${p}: ${r2[p][1]}`);
  }
});

Deno.test("plantedR2() rejects loadings that feed back into the USD factor", () => {
  assert.throws(
    () => plantedR2({ betas: { ...PLANTED_BETAS, usd: 0.1 } }),
    new RangeError("Expected betas.usd to be 0 but found 0.1"),
  );
  assert.throws(
    () => plantedR2({ betas: { ...PLANTED_BETAS, eur: PLANTED_BETAS.eur + 0.5 } }),
    /Expected the non-USD betas to sum to 0 but found 0\.5/,
  );
});

Deno.test("oracle() recovers the planted R² over a year", () => {
  // One month is too short for a tight check: every pair shares the same s path, so a month's
  // oracle R² scatters ±30–70 % around theory. A year of 8 pairs with 2 sub-steps (sub-steps do
  // not change close-to-close dynamics) is fast; over 6 seeds the median ratio stayed within
  // ±15 % and single pairs within ±15 % (h = 15) / ±40 % (h = 60) of theory.
  const pairs = ["eurusd", "gbpusd", "audusd", "nzdusd", "usdcad", "usdchf", "usdjpy", "cadjpy"];
  const bars = synthMarket({
    months: "2024-01..2024-12",
    pairs,
    signal: true,
    subSteps: 2,
    seed: 1,
  });
  const theory = plantedR2();
  const o = oracle(bars, { horizons: [15, 60] });
  for (const h of [15, 60]) {
    const ratios: number[] = [];
    for (const p of pairs) {
      const { r2 } = skill(target(bars.get(p)!, h), col(o.get(p)!, `oracle_${h}`));
      if (theory[p][h] < 0.01) {
        assert.ok(Math.abs(r2 - theory[p][h]) < 0.01, `${p} h=${h}: ${r2} vs ${theory[p][h]}`);
        continue;
      }
      ratios.push(r2 / theory[p][h]);
      const tol = h === 15 ? 0.2 : 0.5;
      assert.ok(Math.abs(r2 / theory[p][h] - 1) < tol, `${p} h=${h}: ${r2} vs ${theory[p][h]}`);
    }
    assert.ok(Math.abs(median(ratios) - 1) < 0.15, `h=${h}: median ratio ${median(ratios)}`);
  }
});

Deno.test("oracle() finds no skill when the signal is off", () => {
  const m = market();
  const o = oracle(m, { horizons: [15, 60] });
  for (const h of [15, 60]) {
    const c2: number[] = [], r2s: number[] = [];
    for (const p of PAIRS) {
      const { r2, corr2 } = skill(target(m.get(p)!, h), col(o.get(p)!, `oracle_${h}`));
      assert.ok(corr2 < 0.03, `${p} h=${h}: corr² ${corr2}`);
      c2.push(corr2);
      r2s.push(r2);
    }
    assert.ok(median(c2) < 0.005, `h=${h}: median corr² ${median(c2)}`);
    // a forecast of a signal that is not there only adds its own variance: R² < 0
    assert.ok(median(r2s) < 0, `h=${h}: median R² ${median(r2s)}`);
  }
});

Deno.test("oracle() rejects bars without the seven USD pairs", () => {
  const m = new Map([["eurusd", market().get("eurusd")!]]);
  assert.throws(
    () => oracle(m),
    new RangeError(
      "Expected bars for the USD pairs but found none for gbpusd, audusd, nzdusd, usdcad, usdchf, usdjpy",
    ),
  );
});

// ---------- validation

Deno.test("synthMonths() rejects non-consecutive months and bad knobs", () => {
  assert.throws(
    () => synthMonths({ months: ["2024-01", "2024-03"] }), // thrown at the call, not at next()
    new RangeError("Expected consecutive months but found 2024-01 then 2024-03"),
  );
  assert.throws(
    () => synthMonths({ months: "2024-01", subSteps: 0 }),
    new RangeError("Expected subSteps to be an integer >= 1 but found 0"),
  );
  assert.throws(() => synthMonths({ months: "2024-01", pairs: "eurxyz" }), /Unknown pair "eurxyz"/);
  assert.throws(
    () => synthMonths({ months: "2024-01", noiseBp: -1 }),
    new RangeError("Expected noiseBp to be a finite number >= 0 but found -1"),
  );
});
