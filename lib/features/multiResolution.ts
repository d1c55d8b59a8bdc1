/**
 * Multi-resolution family (SPEC §5 "multi-resolution", 30 `x_` columns, scope primary): core
 * statistics of 5-minute and 15-minute bars built causally from the 1-minute rate-index bars, plus
 * 1m/5m/15m momentum agreement. Why: the same move reads differently at coarser clocks (a 1-minute
 * reversal inside a rising hour), and agreement across timeframes is a classic trend filter.
 *
 * **Buckets.** A bar belongs to bucket floor(ts / R minutes), R ∈ {5, 15} (aligned to the clock:
 * :00, :05 … / :00, :15 …). At row t the current bucket is PARTIAL and uses only its minutes ≤ t:
 * open = its first minute's open, high/low = extremes of its minutes so far, close = close(t).
 * Earlier buckets are complete (close = their last minute's close). Buckets are counted as they
 * occur in the data (a bucket with no minutes does not exist; a gap does not create empty ones),
 * like rows (SPEC §2). With C_j = close(t) for the current bucket j and C_{j−k} earlier closes:
 * - `x_m{R}_ret` = ln(C_j / C_{j−1}) (the partial bucket so far); `x_m{R}_ret_last` =
 *   ln(C_{j−1} / C_{j−2}) (the last complete bucket);
 * - `x_m{R}_mom_12` = ln(C_j / C_{j−12}); `x_m{R}_rsi_12` = 100 · Σ gains / Σ |changes| of the 12
 *   close-to-close changes C_{j−11} − C_{j−12} … C_j − C_{j−1} (Cutler's RSI: simple sums, not
 *   Wilder's recursion, so it needs no burn-in; NaN when all changes are 0); `x_m{R}_vol_12` =
 *   sample std (n − 1) of the 12 bucket log returns over the same span;
 * - `x_m{R}_range_12` = ln(HH / LL) and `x_m{R}_range_pos_12` = (C_j − LL) / (HH − LL), HH / LL the
 *   highest high / lowest low of buckets j−11..j (NaN when HH = LL);
 * - `x_m{R}_z_12` = z-score of C_j among the closes C_{j−11..j} (n − 1; NaN when flat) and
 *   `x_m{R}_sma_dist_12` = C_j / mean(C_{j−11..j}) − 1;
 * - `x_m{R}_bqx_3` = Σ_{i=1..3} (C_{j−i} − C_j) / C_j, SPEC §3's BQX formula on bucket closes
 *   (positive when the price sits below its last three bucket closes);
 * - `x_m{R}_body` = (C_j − open_j) / (high_j − low_j) and `x_m{R}_hl_pos` = (C_j − low_j) /
 *   (high_j − low_j), the partial candle's shape (NaN when high_j = low_j; the positions are
 *   clamped to [0, 1] and the body to [−1, 1], against rounding of the indexed OHLC); `x_m{R}_progress` =
 *   (minute of t within its bucket + 1) / R, how much of the bucket the partial values cover.
 *
 * Agreement (momentum sign at each clock: 1m = sign ln(close(t)/close(t−12)), 12 one-minute bars;
 * 5m and 15m = sign of `x_m{R}_mom_12`): `x_mtf_agree_1m_5m`, `x_mtf_agree_1m_15m`,
 * `x_mtf_agree_5m_15m` = 1 when both signs are equal and non-zero, else 0; `x_mtf_agree_all` = 1
 * when all three are; NaN while a momentum is undefined.
 *
 * `warmup` = the longest look-back of the column in rows on continuous minutes (e.g. 12·R for the
 * 12-bucket momentum: C_{j−12} ends at most 12·R rows before t). Gaps only shorten it, so a tail of
 * warmup + 1 rows reproduces the batch value, and every row from `warmup` on is defined (the
 * partial-bucket columns are defined from row 0: a series that starts inside a bucket treats its
 * first minutes as that bucket). O(1) per row: the complete-bucket part of every sum is prepared
 * once per bucket.
 *
 * @example
 * ```ts
 * import { multiResolution } from "./multiResolution.ts";
 * import assert from "node:assert/strict";
 * // minutes 00:00 … 00:06: the 5-minute bucket 00:00–00:04 closes at 104, bucket 00:05 is partial
 * const n = 7, ts = new Float64Array(n), close = new Float64Array(n);
 * for (let t = 0; t < n; t++) [ts[t], close[t]] = [t * 60_000, 100 + t];
 * const s = { n, ts, open: close, high: close, low: close, close } as never;
 * const cols = new Map<string, Float64Array>();
 * multiResolution.compute(s, { from: 0 }, (name) => {
 *   const a = new Float64Array(n).fill(NaN);
 *   cols.set(name, a);
 *   return a;
 * });
 * // at 00:06 the partial bucket has minutes 05 and 06: ret = ln(106 / 104), progress 2/5
 * assert.equal(cols.get("x_m5_ret")![6], Math.log(106 / 104));
 * assert.equal(cols.get("x_m5_progress")![6], 0.4);
 * assert.equal(cols.get("x_m5_hl_pos")![6], 1); // close at the partial high (105 … 106)
 * ```
 * @module
 */
import type { FeatureFamily, FeatureSpec, PairSeries, Sink } from "./_types.ts";

const MINUTE_MS = 60_000;
/** Bucket sizes in minutes. */
const RESOLUTIONS = [5, 15] as const;
/** Buckets of the momentum / RSI / vol / range / z windows. */
const K = 12;
/** Rows of the 1-minute momentum used for agreement. */
const MOM_1M = 12;

/** Per-resolution statistics: [suffix, warmup in rows as a function of R, doc]. */
const STATS: readonly [string, (r: number) => number, string][] = [
  ["ret", (r) => r, "log return of the partial bucket from the previous bucket's close"],
  ["ret_last", (r) => 2 * r, "log return of the last complete bucket"],
  ["mom_12", (r) => 12 * r, "log change of the close over 12 buckets"],
  ["rsi_12", (r) => 12 * r, "Cutler RSI of the last 12 bucket changes (0–100)"],
  ["vol_12", (r) => 12 * r, "std of the last 12 bucket log returns"],
  ["range_12", (r) => 12 * r - 1, "ln(highest high / lowest low) over 12 buckets"],
  ["range_pos_12", (r) => 12 * r - 1, "position of the close in the 12-bucket range"],
  ["z_12", (r) => 11 * r, "z-score of the close among the last 12 bucket closes"],
  ["sma_dist_12", (r) => 11 * r, "close / mean of the last 12 bucket closes − 1"],
  ["bqx_3", (r) => 3 * r, "Σ (bucket close − close) / close over the last 3 buckets"],
  ["body", (r) => r - 1, "(close − open) / (high − low) of the partial bucket"],
  ["hl_pos", (r) => r - 1, "(close − low) / (high − low) of the partial bucket"],
  ["progress", (r) => r - 1, "(minute within the bucket + 1) / bucket minutes"],
];

const AGREE: readonly [string, number, string][] = [
  ["x_mtf_agree_1m_5m", 12 * 5, "1 when 1m and 5m momentum signs agree"],
  ["x_mtf_agree_1m_15m", 12 * 15, "1 when 1m and 15m momentum signs agree"],
  ["x_mtf_agree_5m_15m", 12 * 15, "1 when 5m and 15m momentum signs agree"],
  ["x_mtf_agree_all", 12 * 15, "1 when 1m, 5m and 15m momentum signs agree"],
];

const name = (r: number, stat: string) => `x_m${r}_${stat}`;

/** (minute within the bucket + 1) / R by minute, per bucket size R (built on first use). */
const PROGRESS: Record<number, Float64Array> = {};

/** Bounded shares stay in their range: indexed high/low and close are rescaled separately
 * (series.ts), so a close equal to the low can sit 1e-14 below it. */
const clamp = (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x);

/**
 * Fill the 13 columns of one resolution for rows from..n−1; returns the 12-bucket momentum (for
 * the agreement flags).
 */
function resolution(s: PairSeries, r: number, from: number, out: Sink): Float64Array {
  const { n, ts, open, high, low, close } = s;
  const [ret, retLast, mom, rsi, vol, range, rangePos, zc, smaDist, bqx3, body, hlPos, prog] = STATS
    .map(([stat]) => out(name(r, stat)));
  const span = r * MINUTE_MS;
  // complete buckets (high, low, close); a bucket more than K + 1 buckets back is never read,
  // so starting (K + 1)·r rows early reproduces the batch values exactly
  const bH = new Float64Array(n), bL = new Float64Array(n), bC = new Float64Array(n);
  let m = 0;
  let cur = NaN, start = 0, pO = NaN, pH = NaN, pL = NaN;
  // per-bucket constants (complete buckets only)
  let c1 = NaN, c2 = NaN, c3 = NaN, c12 = NaN;
  let s1 = NaN, s2 = NaN, gain = NaN, loss = NaN, hh = NaN, ll = NaN, a1 = NaN, a2 = NaN;
  let last = NaN, lastOk = false; // ln(C_{j−1} / C_{j−2}): once per bucket, on first use
  let rH = NaN, rL = NaN, rng = NaN; // the last range's extremes and its log (reused while equal)
  // (minute within the bucket + 1) / R, by minute
  const progress = PROGRESS[r] ??= Float64Array.from({ length: r }, (_, i) => (i + 1) / r);
  let end = NaN; // the current bucket is [start, end)
  for (let t = Math.max(0, from - (K + 1) * r); t < n; t++) {
    const tt = ts[t];
    if (!(tt >= start && tt < end)) { // a new bucket: floor(ts / span) changed
      const id = Math.floor(tt / span);
      if (cur === cur) {
        bH[m] = pH;
        bL[m] = pL;
        bC[m] = close[t - 1];
        m++;
      }
      cur = id;
      start = id * span;
      end = start + span;
      pO = open[t];
      pH = high[t];
      pL = low[t];
      c1 = m >= 1 ? bC[m - 1] : NaN;
      c2 = m >= 2 ? bC[m - 2] : NaN;
      c3 = m >= 3 ? bC[m - 3] : NaN;
      c12 = m >= K ? bC[m - K] : NaN;
      lastOk = false;
      s1 =
        s2 =
        gain =
        loss =
        hh =
        ll =
        a1 =
        a2 =
          NaN;
      if (m >= K - 1) {
        // the K − 1 complete buckets j−11..j−1: highs/lows and closes (anchored at C_{j−1})
        hh = -Infinity;
        ll = Infinity;
        a1 = a2 = 0;
        for (let i = m - K + 1; i < m; i++) {
          if (bH[i] > hh) hh = bH[i];
          if (bL[i] < ll) ll = bL[i];
          const e = bC[i] - c1;
          a1 += e;
          a2 += e * e;
        }
      }
      if (m >= K) {
        // the K − 1 complete changes C_{j−11} − C_{j−12} … C_{j−1} − C_{j−2}
        s1 =
          s2 =
          gain =
          loss =
            0;
        for (let i = m - K + 1; i < m; i++) {
          const lr = Math.log(bC[i] / bC[i - 1]), d = bC[i] - bC[i - 1];
          s1 += lr;
          s2 += lr * lr;
          if (d > 0) gain += d;
          else loss -= d;
        }
      }
    } else {
      if (high[t] > pH) pH = high[t];
      if (low[t] < pL) pL = low[t];
    }
    if (t < from) continue;
    const c = close[t];
    const lr = Math.log(c / c1);
    ret[t] = lr;
    if (!lastOk) {
      last = Math.log(c1 / c2);
      lastOk = true;
    }
    retLast[t] = last;
    mom[t] = Math.log(c / c12);
    const d = c - c1;
    const g = gain + (d > 0 ? d : 0), l = loss + (d < 0 ? -d : 0);
    rsi[t] = g + l > 0 ? (100 * g) / (g + l) : NaN;
    const u1 = s1 + lr, u2 = s2 + lr * lr;
    const v = (u2 - (u1 * u1) / K) / (K - 1);
    vol[t] = v > 0 ? Math.sqrt(v) : v === v ? 0 : NaN;
    const H = pH > hh ? pH : hh, L = pL < ll ? pL : ll; // NaN hh/ll (warm-up) stays NaN below
    if (H !== rH || L !== rL) {
      rH = H;
      rL = L;
      rng = Math.log(H / L);
    }
    range[t] = hh === hh ? rng : NaN;
    rangePos[t] = hh === hh && H > L ? clamp((c - L) / (H - L), 0, 1) : NaN;
    const b1 = a1 + d, b2 = a2 + d * d;
    const mean = c1 + b1 / K, cv = (b2 - (b1 * b1) / K) / (K - 1);
    zc[t] = cv > 0 ? (c - mean) / Math.sqrt(cv) : NaN;
    smaDist[t] = c / mean - 1;
    bqx3[t] = (c1 - c + (c2 - c) + (c3 - c)) / c;
    const hl = pH - pL;
    body[t] = hl > 0 ? clamp((c - pO) / hl, -1, 1) : NaN;
    hlPos[t] = hl > 0 ? clamp((c - pL) / hl, 0, 1) : NaN;
    prog[t] = progress[Math.floor((tt - start) / MINUTE_MS)];
  }
  return mom;
}

/** The multi-resolution family: 30 `x_` columns (SPEC §5). */
export const multiResolution: FeatureFamily = {
  name: "multiResolution",
  specs: (): FeatureSpec[] => [
    ...RESOLUTIONS.flatMap((r) =>
      STATS.map(([stat, warm, doc]): FeatureSpec => ({
        name: name(r, stat),
        family: "multiResolution",
        domain: "x",
        scope: "primary",
        params: { source: "close", minutes: r, ...(stat.endsWith("_12") ? { buckets: K } : {}) },
        warmup: warm(r),
        doc: `${r}-minute bars: ${doc}`,
      }))
    ),
    ...AGREE.map(([n, warmup, doc]): FeatureSpec => ({
      name: n,
      family: "multiResolution",
      domain: "x",
      scope: "primary",
      params: { source: "close", minutes: "1,5,15", buckets: K },
      warmup,
      doc,
    })),
  ],
  compute(series, ctx, out) {
    const { n, close } = series, from = ctx.from;
    const m5 = resolution(series, 5, from, out), m15 = resolution(series, 15, from, out);
    const [a15, a115, a515, all] = AGREE.map(([n]) => out(n));
    const agree = (x: number, y: number) => (x !== 0 && x === y ? 1 : 0);
    for (let t = Math.max(from, MOM_1M); t < n; t++) {
      // sign(ln q) without the log: ln is increasing with ln 1 = 0 exactly (NaN for q < 0 or NaN)
      const q = close[t] / close[t - MOM_1M];
      const s1 = q > 1 ? 1 : q === 1 ? 0 : q >= 0 ? -1 : NaN;
      const s5 = Math.sign(m5[t]), s15 = Math.sign(m15[t]);
      if (s1 === s1 && s5 === s5) a15[t] = agree(s1, s5);
      if (s1 === s1 && s15 === s15) a115[t] = agree(s1, s15);
      if (s5 === s5 && s15 === s15) {
        a515[t] = agree(s5, s15);
        if (s1 === s1) all[t] = agree(s1, s5) * agree(s5, s15);
      }
    }
  },
};
