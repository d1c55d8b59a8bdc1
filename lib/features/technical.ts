/**
 * Classic technical indicators of the rate index and of BQX (SPEC §5, family "technical"): RSI 14
 * and 21, MACD 12/26/9 (line, signal, histogram), stochastic %K 14 / %D 3, CCI 20, Williams %R 14,
 * ROC 12, ADX 14, +DI 14, −DI 14, ATR 14 and ATR% 14 — 15 columns per domain:
 *
 *     {p}_rsi_14 {p}_rsi_21 {p}_macd_line {p}_macd_signal {p}_macd_hist {p}_stoch_k_14
 *     {p}_stoch_d_3 {p}_cci_20 {p}_willr_14 {p}_roc_12 {p}_adx_14 {p}_plus_di_14
 *     {p}_minus_di_14 {p}_atr_14 {p}_atr_pct_14            (p = idx | bqx)
 *
 * Why: the indicators traders watch summarise momentum, overbought/oversold position, trend
 * strength and volatility; models get them on both the rate and its BQX momentum.
 *
 * Definitions and the choices SPEC leaves open (row t reads rows ≤ t only):
 * - Sources: the idx domain uses the indexed OHLC (`high`, `low`, `close` of the PairSeries); the
 *   BQX domain uses the BQX series (`w15_bqx_return`) for high, low and close alike, so its true
 *   range is |Δbqx|, +DM = max(Δbqx, 0), −DM = max(−Δbqx, 0), and %K / %R use the BQX range.
 * - Smoothing: `wilder()` (α = 1/n) and `ema()` (α = 2/(span+1)), both seeded with the simple mean
 *   of their first n defined inputs (TA-Lib's convention), so they are recursive over the whole
 *   series. The chains run fused, side by side on scalars (the kernels' arithmetic, bit for bit),
 *   one pass each for RSI, MACD and the directional system, writing only rows `from..`. From a
 *   later `from` (the live path) they start {@linkcode RECURSIVE_BURN_IN} rows before it: the
 *   seed's weight there is at most (20/21)^1500 ≈ 1e-32 (RSI 21, the slowest chain; ADX, a
 *   chain of chains, (13/14)^1470 ≈ 1e-47), so the value equals the full-history one far below
 *   Float32 precision, and the live vector costs a sixth of a 4096-row pass.
 * - RSI n: changes d = c(t) − c(t−1) from t = 1; average gain / loss = wilder(max(d, 0)) /
 *   wilder(max(−d, 0)); RSI = 100·AG/(AG + AL) (= 100 − 100/(1 + RS)); NaN when AG + AL = 0
 *   (no move since the start). First value at t = n.
 * - MACD: line = EMA12 − EMA26 (first at t = 25); signal = EMA9 of the line, seeded with the mean
 *   of its first 9 values (first at t = 33); hist = line − signal.
 * - Stochastic: %K = 100·(c − LL14)/(HH14 − LL14) with HH/LL the max high / min low of rows
 *   t−13 … t; %D = 3-row SMA of %K. Williams %R = −100·(HH14 − c)/(HH14 − LL14). NaN when
 *   HH = LL (flat window); %D is NaN while any of its 3 %K values is.
 * - CCI 20: typical price TP = (H + L + C)/3, CCI = (TP − SMA20(TP)) / (0.015 · MD) with MD the
 *   mean absolute deviation of the 20 TPs from that same SMA; NaN on a flat window.
 * - ROC 12: on the rate index 100·(c(t)/c(t−12) − 1) (percent). BQX crosses 0, so a ratio to
 *   bqx(t−12) explodes: the BQX variant uses the change bqx(t) − bqx(t−12).
 * - ATR 14: true range TR = max(H − L, |H − C(t−1)|, |L − C(t−1)|) from t = 1, ATR = wilder(TR)
 *   (first at t = 14). ATR% = 100·ATR / close on the rate index; on BQX (which may be ~0)
 *   100·ATR / (14-row mean of |bqx|).
 * - +DI/−DI/ADX 14 (Wilder): up = H(t) − H(t−1), down = L(t−1) − L(t); +DM = up when up > down
 *   and up > 0, else 0 (−DM mirrored); +DI = 100·wilder(+DM)/wilder(TR) (same for −DI, first at
 *   t = 14); DX = 100·|+DI − −DI|/(+DI + −DI); ADX = wilder(DX) (first at t = 27). Smoothing the
 *   means instead of Wilder's running sums changes nothing in these ratios (tested against the
 *   running-sum form); libraries that seed the sums differently (e.g. over 13 rows) differ in
 *   the first values only, by a weight decaying as (13/14)^k.
 * - A NaN input inside the series (none in built data after the warm-up) blanks the windowed
 *   outputs whose window holds it and leaves the recursive ones at their last value (the
 *   `ema()`/`wilder()` rule).
 * - Bounds are enforced by clamping rounding excursions: RSI, %K, %D, ±DI, ADX in [0, 100],
 *   %R in [−100, 0]. Undefined values (warm-up, 0/0) are NaN, never 0 or ±∞.
 * - Warm-ups add 15 rows on BQX (w15_bqx_return is NaN for t < 15).
 *
 * @example
 * ```ts
 * import { technical } from "./technical.ts";
 * import type { PairSeries } from "./_types.ts";
 * import assert from "node:assert/strict";
 * // 15 closes: 10 rises of 1 then 4 falls of 1 → AG = 10/14, AL = 4/14, RSI 14 = 100·10/14
 * const c = [100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 109, 108, 107, 106];
 * const n = c.length, close = new Float64Array(c);
 * const s = { pair: "eurusd", n, close, high: close, low: close, open: close,
 *   bqx: new Float64Array(n).fill(NaN) } as PairSeries;
 * const cols = new Map<string, Float64Array>();
 * technical.compute(s, { from: 0 }, (name) => {
 *   const a = new Float64Array(n).fill(NaN);
 *   cols.set(name, a);
 *   return a;
 * });
 * assert.ok(Math.abs(cols.get("idx_rsi_14")![14] - 1000 / 14) < 1e-12);
 * assert.ok(Number.isNaN(cols.get("idx_rsi_14")![13])); // warm-up
 * ```
 * @module
 */
import type { Domain, FeatureFamily, FeatureSpec, PairSeries } from "./_types.ts";
import { rollingExtremeInto, rollingMeanInto } from "./_kernels.ts";

/** w15_bqx_return(t) is defined for t ≥ 15 (SPEC §3). */
const BQX_LEAD = 15;
/** Lambert's constant of the CCI. */
const CCI_CONSTANT = 0.015;

/** One domain: variants only set the source arrays, the prefix and how ratios are taken. */
interface Variant {
  domain: Domain;
  /** Rows before the source itself is defined. */
  lead: number;
  /** The close is a positive level (ratios to it make sense) rather than an oscillator around 0. */
  level: boolean;
  high(s: PairSeries): Float64Array;
  low(s: PairSeries): Float64Array;
  close(s: PairSeries): Float64Array;
}

const VARIANTS: readonly Variant[] = [
  {
    domain: "idx",
    lead: 0,
    level: true,
    high: (s) => s.high,
    low: (s) => s.low,
    close: (s) => s.close,
  },
  {
    domain: "bqx",
    lead: BQX_LEAD,
    level: false,
    high: (s) => s.bqx,
    low: (s) => s.bqx,
    close: (s) => s.bqx,
  },
];

/** Column stems, parameters and warm-up (rows after the source is defined), in catalog order. */
const COLUMNS: readonly {
  stem: string;
  params: Record<string, number>;
  warmup: number;
  doc: string;
}[] = [
  { stem: "rsi_14", params: { period: 14 }, warmup: 14, doc: "Wilder RSI 14" },
  { stem: "rsi_21", params: { period: 21 }, warmup: 21, doc: "Wilder RSI 21" },
  {
    stem: "macd_line",
    params: { fast: 12, slow: 26, signal: 9 },
    warmup: 25,
    doc: "MACD line EMA12 − EMA26",
  },
  {
    stem: "macd_signal",
    params: { fast: 12, slow: 26, signal: 9 },
    warmup: 33,
    doc: "MACD signal: EMA9 of the line",
  },
  {
    stem: "macd_hist",
    params: { fast: 12, slow: 26, signal: 9 },
    warmup: 33,
    doc: "MACD histogram: line − signal",
  },
  { stem: "stoch_k_14", params: { period: 14 }, warmup: 13, doc: "Stochastic %K 14" },
  {
    stem: "stoch_d_3",
    params: { period: 14, smooth: 3 },
    warmup: 15,
    doc: "Stochastic %D: 3-row SMA of %K 14",
  },
  {
    stem: "cci_20",
    params: { period: 20, constant: CCI_CONSTANT },
    warmup: 19,
    doc: "Commodity channel index 20",
  },
  { stem: "willr_14", params: { period: 14 }, warmup: 13, doc: "Williams %R 14" },
  { stem: "roc_12", params: { period: 12 }, warmup: 12, doc: "Rate of change over 12 rows" },
  { stem: "adx_14", params: { period: 14 }, warmup: 27, doc: "Wilder ADX 14" },
  { stem: "plus_di_14", params: { period: 14 }, warmup: 14, doc: "Wilder +DI 14" },
  { stem: "minus_di_14", params: { period: 14 }, warmup: 14, doc: "Wilder −DI 14" },
  { stem: "atr_14", params: { period: 14 }, warmup: 14, doc: "Wilder average true range 14" },
  {
    stem: "atr_pct_14",
    params: { period: 14 },
    warmup: 14,
    doc: "ATR 14 relative to the level, percent",
  },
];

/** Column names per domain, catalog order. */
const NAMES: Record<string, string[]> = Object.fromEntries(
  VARIANTS.map((v) => [v.domain, COLUMNS.map((c) => `${v.domain}_${c.stem}`)]),
);
/** Longest look-back of the windowed columns (CCI 20, %D over %K 14, ATR% base 14), with room. */
const WINDOWED_LOOKBACK = 40;
/** Rows the recursive chains run before `from` when `from` > 0 (see the module doc). */
export const RECURSIVE_BURN_IN = 1500;

function columns(v: Variant): FeatureSpec[] {
  return COLUMNS.map((c) => ({
    name: `${v.domain}_${c.stem}`,
    family: "technical",
    domain: v.domain,
    scope: "primary" as const,
    params: { ...c.params, source: v.domain === "idx" ? "rate_index_ohlc" : "w15_bqx_return" },
    warmup: v.lead + c.warmup,
    doc: `${c.doc} of the ${v.domain === "idx" ? "rate index" : "BQX series"}`,
  }));
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x; // NaN passes through
}

/**
 * Wilder RSI 14 and 21 of close into rows `from..` of `o14` / `o21`. One pass over the whole series
 * (the smoothing is recursive): the four Wilder chains (average gain / loss per period) run side
 * by side on scalars — the `wilder()` kernel's arithmetic (SMA seed over the first `period`
 * defined changes, then s += (x − s)/period, a NaN change holds the value), without its arrays.
 */
function rsi(c: Float64Array, from: number, o14: Float64Array, o21: Float64Array): void {
  const n = c.length, a14 = 1 / 14, a21 = 1 / 21;
  let sg14 = 0, sl14 = 0, k14 = 0, g14 = NaN, l14 = NaN;
  let sg21 = 0, sl21 = 0, k21 = 0, g21 = NaN, l21 = NaN;
  for (let t = 1; t < n; t++) {
    const d = c[t] - c[t - 1];
    if (d === d) {
      const g = d > 0 ? d : 0, l = d < 0 ? -d : 0;
      if (k14 < 14) {
        sg14 += g;
        sl14 += l;
        if (++k14 === 14) {
          g14 = sg14 / 14;
          l14 = sl14 / 14;
        }
      } else {
        g14 += a14 * (g - g14);
        l14 += a14 * (l - l14);
      }
      if (k21 < 21) {
        sg21 += g;
        sl21 += l;
        if (++k21 === 21) {
          g21 = sg21 / 21;
          l21 = sl21 / 21;
        }
      } else {
        g21 += a21 * (g - g21);
        l21 += a21 * (l - l21);
      }
    }
    if (t < from) continue;
    const s14 = g14 + l14, s21 = g21 + l21;
    o14[t] = s14 > 0 ? clamp((100 * g14) / s14, 0, 100) : NaN;
    o21[t] = s21 > 0 ? clamp((100 * g21) / s21, 0, 100) : NaN;
  }
}

/**
 * MACD 12/26/9 into rows `from..`: line, signal, histogram. One pass, three EMA chains side by side
 * (the `ema()` arithmetic: SMA seeds, a NaN close holds the value; the signal is seeded by the
 * first 9 defined line values).
 */
function macd(
  c: Float64Array,
  from: number,
  line: Float64Array,
  signal: Float64Array,
  hist: Float64Array,
): void {
  const n = c.length, af = 2 / 13, as = 2 / 27, a9 = 2 / 10;
  let sf = 0, kf = 0, f = NaN, ss = 0, ks = 0, sl = NaN, s9 = 0, k9 = 0, g = NaN;
  for (let t = 0; t < n; t++) {
    const x = c[t];
    if (x === x) {
      if (kf < 12) {
        sf += x;
        if (++kf === 12) f = sf / 12;
      } else f += af * (x - f);
      if (ks < 26) {
        ss += x;
        if (++ks === 26) sl = ss / 26;
      } else sl += as * (x - sl);
    }
    const m = f - sl;
    if (m === m) {
      if (k9 < 9) {
        s9 += m;
        if (++k9 === 9) g = s9 / 9;
      } else g += a9 * (m - g);
    }
    if (t < from) continue;
    line[t] = m;
    signal[t] = g;
    hist[t] = m - g;
  }
}

/** Stochastic %K (rows `from..`) from the 14-row highest high / lowest low. */
function stochK(
  c: Float64Array,
  hh: Float64Array,
  ll: Float64Array,
  from: number,
  k: Float64Array,
) {
  for (let t = from; t < c.length; t++) {
    const span = hh[t] - ll[t];
    k[t] = span > 0 ? clamp((100 * (c[t] - ll[t])) / span, 0, 100) : NaN;
  }
}

/** Williams %R (rows `from..`). */
function williams(
  c: Float64Array,
  hh: Float64Array,
  ll: Float64Array,
  from: number,
  o: Float64Array,
) {
  for (let t = from; t < c.length; t++) {
    const span = hh[t] - ll[t];
    o[t] = span > 0 ? clamp((-100 * (hh[t] - c[t])) / span, -100, 0) : NaN;
  }
}

/**
 * CCI 20 (rows `from..`): typical price, its SMA and mean absolute deviation from that SMA. `tp`
 * and `sma` are scratch arrays of length n (rows `from − 19..` are written).
 */
function cci(
  h: Float64Array,
  l: Float64Array,
  c: Float64Array,
  from: number,
  o: Float64Array,
  tp: Float64Array,
  sma: Float64Array,
) {
  const n = c.length, w = 20, tFrom = Math.max(0, from - w + 1);
  for (let t = tFrom; t < n; t++) tp[t] = (h[t] + l[t] + c[t]) / 3;
  rollingMeanInto(tp, w, Math.max(from, w - 1), sma);
  let run = 0; // equal typical prices ending at t (flat window: run ≥ w)
  for (let t = tFrom; t < n; t++) {
    const x = tp[t];
    run = t > tFrom && x === tp[t - 1] ? run + 1 : 1;
    if (t < from) continue;
    if (t < w - 1 || run >= w) {
      o[t] = NaN;
      continue;
    }
    const m = sma[t];
    if (m !== m) {
      o[t] = NaN;
      continue;
    }
    let md = 0;
    for (let j = t - w + 1; j <= t; j++) md += Math.abs(tp[j] - m);
    md /= w;
    o[t] = md > 0 ? (x - m) / (CCI_CONSTANT * md) : NaN;
  }
}

/** ROC 12 (rows `from..`, from >= 12): percent on a level, plain change on an oscillator. */
function roc(c: Float64Array, level: boolean, from: number, o: Float64Array): void {
  for (let t = from; t < c.length; t++) {
    const prev = c[t - 12];
    o[t] = level ? (prev !== 0 ? 100 * (c[t] / prev - 1) : NaN) : c[t] - prev;
  }
}

/**
 * Wilder's directional movement system into rows `from..`: ATR, +DI, −DI, ADX (one pass over the
 * whole series, the four Wilder chains side by side on scalars, as in `wilder()`).
 */
function dmi(
  h: Float64Array,
  l: Float64Array,
  c: Float64Array,
  from: number,
  o: {
    adx: Float64Array;
    pdi: Float64Array;
    mdi: Float64Array;
    atr: Float64Array;
  },
): void {
  const n = c.length, a = 1 / 14;
  const { adx, pdi, mdi, atr } = o;
  let sr = 0, kr = 0, vr = NaN; // ATR
  let sp = 0, sm = 0, kd = 0, vp = NaN, vm = NaN; // smoothed +DM / −DM (same defined rows)
  let sx = 0, kx = 0, vx = NaN; // ADX
  for (let t = 1; t < n; t++) {
    const hi = h[t], lo = l[t], cp = c[t - 1];
    const r = Math.max(hi - lo, Math.abs(hi - cp), Math.abs(lo - cp));
    if (r === r) {
      if (kr < 14) {
        sr += r;
        if (++kr === 14) vr = sr / 14;
      } else vr += a * (r - vr);
      const up = hi - h[t - 1], down = l[t - 1] - lo;
      if (up === up && down === down) {
        const pdm = up > down && up > 0 ? up : 0, mdm = down > up && down > 0 ? down : 0;
        if (kd < 14) {
          sp += pdm;
          sm += mdm;
          if (++kd === 14) {
            vp = sp / 14;
            vm = sm / 14;
          }
        } else {
          vp += a * (pdm - vp);
          vm += a * (mdm - vm);
        }
      }
    }
    let pd = NaN, md = NaN;
    if (vr > 0) {
      pd = clamp((100 * vp) / vr, 0, 100);
      md = clamp((100 * vm) / vr, 0, 100);
      const s = pd + md;
      const dx = s > 0 ? (100 * Math.abs(pd - md)) / s : NaN;
      if (dx === dx) {
        if (kx < 14) {
          sx += dx;
          if (++kx === 14) vx = sx / 14;
        } else vx += a * (dx - vx);
      }
    }
    if (t < from) continue;
    pdi[t] = pd;
    mdi[t] = md;
    adx[t] = clamp(vx, 0, 100);
    atr[t] = vr;
  }
}

/**
 * ATR% (rows `from..`): 100·ATR relative to the close on a level, to the 14-row mean |x| on an
 * oscillator around 0 (`abs` and `mean`: scratch, rows `from − 13..` are written).
 */
function atrPct(
  c: Float64Array,
  atr: Float64Array,
  level: boolean,
  from: number,
  pct: Float64Array,
  abs: Float64Array,
  mean: Float64Array,
): void {
  const n = c.length;
  let base = c;
  if (!level) {
    for (let t = Math.max(0, from - 13); t < n; t++) abs[t] = Math.abs(c[t]);
    rollingMeanInto(abs, 14, from, mean);
    base = mean;
  }
  for (let t = from; t < n; t++) {
    const b = base[t];
    pct[t] = b !== 0 ? (100 * atr[t]) / Math.abs(b) : NaN;
  }
}

/** The family: 15 columns per domain. */
export const technical: FeatureFamily = {
  name: "technical",
  specs: () => VARIANTS.flatMap(columns),
  compute(series, ctx, out) {
    const n = series.n, from = Math.min(Math.max(0, ctx.from), n);
    // the windowed outputs read at most 40 rows back: they run on views from `base` (shift
    // invariant: `f` stays >= every window when base > 0), with small scratch arrays
    const base = Math.max(0, from - WINDOWED_LOOKBACK), m = n - base, f = from - base;
    const chain = Math.max(0, from - RECURSIVE_BURN_IN);
    const hh = new Float64Array(m), ll = new Float64Array(m);
    const tp = new Float64Array(m), sma = new Float64Array(m);
    for (const v of VARIANTS) {
      const h = v.high(series), l = v.low(series), c = v.close(series);
      // every output, registered in catalog order
      const [rsi14, rsi21, line, signal, hist, k, d, cci20, willr, roc12, adx, pdi, mdi, atr, pct] =
        NAMES[v.domain].map((name) => out(name));
      // recursive columns: one pass each over the series (from `chain`, see RECURSIVE_BURN_IN)
      const cf = from - chain;
      const cc = c.subarray(chain);
      rsi(cc, cf, rsi14.subarray(chain), rsi21.subarray(chain));
      macd(cc, cf, line.subarray(chain), signal.subarray(chain), hist.subarray(chain));
      dmi(h.subarray(chain), l.subarray(chain), cc, cf, {
        adx: adx.subarray(chain),
        pdi: pdi.subarray(chain),
        mdi: mdi.subarray(chain),
        atr: atr.subarray(chain),
      });
      // windowed columns on the views
      const hv = h.subarray(base), lv = l.subarray(base), cv = c.subarray(base);
      const kv = k.subarray(base), dv = d.subarray(base);
      // %D averages %K over 3 rows: %K is needed from 2 rows before `from`
      const kf = Math.max(0, f - 2);
      rollingExtremeInto(hv, 14, "max", kf, hh);
      rollingExtremeInto(lv, 14, "min", kf, ll);
      stochK(cv, hh, ll, kf, kv);
      rollingMeanInto(kv, 3, f, dv);
      for (let t = f; t < m; t++) dv[t] = clamp(dv[t], 0, 100);
      if (kf < f) kv.fill(NaN, kf, f); // rows before `from` stay NaN
      cci(hv, lv, cv, f, cci20.subarray(base), tp, sma);
      williams(cv, hh, ll, f, willr.subarray(base));
      roc(cv, v.level, Math.max(f, 12 - base), roc12.subarray(base));
      atrPct(cv, atr.subarray(base), v.level, f, pct.subarray(base), tp, sma);
    }
  },
};
