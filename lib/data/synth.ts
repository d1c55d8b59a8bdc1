/**
 * Synthetic market: seeded, deterministic 1-minute bid bars (SPEC §2 contract) for any of the 28
 * pairs, built from 8 currency processes so that triangular parity holds up to a small noise
 * spread, with an optional planted, exactly computable predictable component (to test that the
 * pipeline can find signal where there is some, and finds none where there is none).
 *
 * Model, per trading minute t (everything in log space):
 * - **Currencies.** Log value `x_k` of each currency against an abstract numeraire (start levels
 *   give EURUSD 1.10, GBPUSD 1.30, AUDUSD 0.72, NZDUSD 0.67, USDCAD 1.32, USDCHF 0.95, USDJPY 110).
 *   USD is the hub of the structure: its own shock is the main common factor of the seven USD
 *   pairs. Shocks are Gaussian, correlated through the Cholesky factor of
 *   {@linkcode CURRENCY_CORRELATION} (EUR/CHF/GBP block, AUD/NZD/CAD block, JPY–CHF and JPY–USD
 *   safe-haven links, AUD/NZD against JPY), with annualized vols {@linkcode CURRENCY_VOLS}; the
 *   implied pair vols are 4–12 % (EURUSD ≈ 7.4 %, USDJPY ≈ 6.2 %, AUDJPY ≈ 11.5 %) and
 *   corr(EURUSD, GBPUSD) ≈ 0.71, corr(EURUSD, USDCHF) ≈ −0.86, corr(AUDUSD, NZDUSD) ≈ 0.84.
 * - **Volatility.** Instantaneous vol `v_k(t) = σ_k · S(t) · exp(a₁ + a₂ + b_k − c)`: a slow market
 *   log-vol OU `a₁` (half-life 2 trading days, sd 0.30), a fast one `a₂` (half-life 60 min,
 *   sd 0.25), a per-currency one `b_k` (half-life 1 day, sd 0.20); `c` makes E[m²] = 1 so σ_k is the
 *   true unconditional vol. `S(t)` is the intraday session profile {@linkcode SESSION_PROFILE}
 *   (Tokyo 00–09, London 07–16, New York 12–21 UTC, peaks in the overlaps and at 12:30 / 14:00,
 *   quiet after the 22:00 roll), normalized to mean square 1.
 * - **Jumps.** Each currency jumps with probability `jumpsPerDay / 1440` per minute, size
 *   12 · v_k(t) · N(0, 1).
 * - **Weekends.** No rows from Friday 22:00 to Sunday 22:00 UTC; the process pauses and the week
 *   opens with a correlated gap shock (one hour's worth of variance).
 * - **Bars.** Each minute is `subSteps` sub-steps; a pair's path is `x_base − x_quote` plus iid
 *   microstructure noise per sub-step (`noiseBp`, ×1.5 on crosses). open = first sub-step,
 *   close = last, high/low = extremes, so low ≤ min(open, close) ≤ max(open, close) ≤ high. Prices
 *   are rounded to 5 decimals (3 for JPY quotes), like HistData.
 * - **Volume.** Poisson tick count around `level · (v_base + v_quote)/(σ_base + σ_quote)`: it rises
 *   with the instantaneous vol and the session.
 * - **Missing minutes** (`missingMinutes`): after each 22:00 UTC roll a pair loses, with
 *   probability 0.12, a run of 1–10 minutes starting 0–14 minutes after the roll (like HistData).
 *
 * **Planted signal** (`signal`). With `g(t) = r_USD(t) − mean_{k≠USD} r_k(t)` the one-minute
 * USD-factor return (observable: `g = (Σ r_usdY − Σ r_Xusd)/7` over the seven USD pairs) and
 * `s(t) = (1−α)·s(t−1) + α·g(t)`, α = 1 − 2^(−1/halfLife), each currency's log return gets the
 * drift `β_k · s(t−1)` with β_USD = 0 and Σ_{k≠USD} β_k = 0. Then g gets no feedback (w·β = 0),
 * s is an exact EMA of martingale-difference shocks, and pair X/Y drifts by (β_X − β_Y)·s(t−1):
 * a lagged spill-over of USD moves into the crosses. The bar that opens a week does not feed s
 * (its return holds the weekend gap). Since
 * `target_h(t) = w{h}_bqx_return(t+h) ≈ −Σ_{k=1..h} k·r(t+k)` (log returns), the best forecast is
 * `E[target_h | F_t] = −(β_X − β_Y) · s(t) · Σ_{k=1..h} k (1−α)^(k−1)`
 * ({@linkcode oracle}) and its R² has a closed form ({@linkcode plantedR2}).
 * Default strength ({@linkcode PLANTED_BETAS}, strength 1, half-life 30 bars): EUR 0.27, GBP 0.71,
 * CHF 0.68, JPY 0.92, AUD −0.85, NZD −1.22, CAD −0.51 (after a USD rally the USD partly gives it
 * back against the European currencies and the yen, and keeps going against the commodity bloc).
 * Theoretical R² (plantedR2) at h = 15: median 3.4 %, 2–10 % on 20 of the 28 pairs, 11.8 % at most
 * (gbpnzd), below 2 % on 7 pairs whose legs have close loadings (eurusd 0.5 %, gbpjpy 0.2 %,
 * gbpchf ≈ 0: built-in negative controls). It peaks near h = 30 (median 3.9 %, max 12.8 %) and
 * fades slowly (h = 75: median 2.8 %). Recoverable by a ridge on a few months, far above the 0–1 %
 * of real data, so the signal is **off by default** (`signal: true` for demos).
 *
 * Determinism: the same options give bit-identical frames. The currency processes use one stream
 * and are always simulated for all 8 currencies; each pair's noise, volume and missing minutes use
 * the pair's own stream, so a subset of pairs has exactly the prices it has in the full set. The
 * state (levels, vols, s, streams) is carried from month to month; a month's bars depend on the
 * first month of the request (the process starts there from the start levels).
 *
 * Not modelled: holidays, DST shifts of the session clocks, bid–ask spread columns, regime breaks.
 *
 * @example
 * ```ts
 * import { synthMarket } from "./synth.ts";
 * import assert from "node:assert/strict";
 * const bars = synthMarket({ months: "2024-01", pairs: "eurusd" });
 * const eurusd = bars.get("eurusd")!;
 * assert.deepEqual(eurusd.columns, ["ts_utc", "open", "high", "low", "close", "volume"]);
 * assert.ok(Math.abs((eurusd.getColumn("close").get(0) as number) - 1.1) < 0.01);
 * ```
 * @module
 */
import pl from "nodejs-polars";
import { CURRENCIES, type Currency, legs, PAIRS, resolvePairs } from "./pairs.ts";
import { HORIZONS, MINUTE_MS, monthRange, monthStartMs, TS_DTYPE } from "./schema.ts";
import { Rng, subSeed } from "./_rng.ts";

/** Trading minutes per year used to de-annualize vols (260 weekdays × 1440). */
export const MINUTES_PER_YEAR = 260 * 1440;

/** Annualized vol of each currency's log value against the abstract numeraire. */
export const CURRENCY_VOLS: Readonly<Record<Currency, number>> = {
  eur: 0.045,
  gbp: 0.058,
  aud: 0.075,
  nzd: 0.078,
  usd: 0.050,
  cad: 0.048,
  chf: 0.055,
  jpy: 0.065,
};

/** Hand-set correlations of the currency shocks (unlisted pairs: 0). Positive definite. */
const CORRELATION_ENTRIES: readonly [Currency, Currency, number][] = [
  // European block
  ["eur", "gbp", 0.30],
  ["eur", "chf", 0.65],
  ["gbp", "chf", 0.30],
  // commodity block
  ["aud", "nzd", 0.72],
  ["aud", "cad", 0.35],
  ["nzd", "cad", 0.40],
  // safe havens
  ["jpy", "chf", 0.50],
  ["usd", "jpy", 0.45],
  ["eur", "jpy", 0.15],
  ["gbp", "jpy", -0.05],
  // risk-on vs safe haven
  ["aud", "jpy", -0.35],
  ["nzd", "jpy", -0.30],
  ["cad", "jpy", -0.15],
  ["aud", "chf", -0.15],
  ["nzd", "chf", -0.15],
  ["cad", "chf", -0.05],
  // USD hub
  ["usd", "eur", -0.20],
  ["usd", "gbp", -0.25],
  ["usd", "aud", -0.25],
  ["usd", "nzd", -0.30],
  ["usd", "cad", 0.30],
  ["usd", "chf", -0.25],
  // mild cross links
  ["eur", "aud", 0.10],
  ["eur", "nzd", 0.05],
  ["gbp", "aud", 0.15],
  ["gbp", "nzd", 0.10],
  ["gbp", "cad", 0.10],
];

/** 8 × 8 correlation matrix of the currency shocks, rows/columns in {@linkcode CURRENCIES} order. */
export const CURRENCY_CORRELATION: readonly (readonly number[])[] = (() => {
  const m: number[][] = CURRENCIES.map((_, i) => CURRENCIES.map((_, j) => (i === j ? 1 : 0)));
  for (const [a, b, r] of CORRELATION_ENTRIES) {
    const i = CURRENCIES.indexOf(a), j = CURRENCIES.indexOf(b);
    m[i][j] = m[j][i] = r;
  }
  return m;
})();

/** Value of one unit of each currency in USD at the start (EURUSD 1.10, USDJPY 110, …). */
export const START_RATES: Readonly<Record<Currency, number>> = {
  eur: 1.10,
  gbp: 1.30,
  aud: 0.72,
  nzd: 0.67,
  usd: 1,
  cad: 1 / 1.32,
  chf: 1 / 0.95,
  jpy: 1 / 110,
};

/**
 * Default planted loadings β_k (per minute, on s(t−1)); β_USD = 0 and the other seven sum to 0.
 * Scaled by `strength`. See the module doc for the R² they imply.
 */
export const PLANTED_BETAS: Readonly<Record<Currency, number>> = {
  eur: 0.27,
  gbp: 0.71,
  aud: -0.85,
  nzd: -1.22,
  usd: 0,
  cad: -0.51,
  chf: 0.68,
  jpy: 0.92,
};

/** Relative intraday vol level per UTC hour, before smoothing and normalization. */
const HOURLY_LEVEL = [
  0.75,
  0.85,
  0.75,
  0.65,
  0.60,
  0.60,
  0.70, // 00–06 Tokyo
  1.15,
  1.25, // 07–08 Tokyo/London overlap
  1.10,
  1.00,
  0.95, // 09–11 London
  1.30,
  1.55,
  1.50,
  1.35, // 12–15 London/New York overlap
  1.05,
  0.80,
  0.70,
  0.65,
  0.55, // 16–20 New York
  0.40,
  0.30,
  0.45, // 21 New York close, 22 roll, 23 Sydney/Tokyo pre-open
];

/**
 * Session vol multiplier S for each minute of the UTC day (1440 values, mean square 1): hourly
 * levels smoothed over 21 minutes, plus short bumps at 12:30 (US data) and 14:00 UTC.
 */
export const SESSION_PROFILE: Float64Array = (() => {
  const raw = new Float64Array(1440);
  for (let m = 0; m < 1440; m++) raw[m] = HOURLY_LEVEL[Math.floor(m / 60)];
  const out = new Float64Array(1440);
  for (let m = 0; m < 1440; m++) {
    let s = 0;
    for (let d = -10; d <= 10; d++) s += raw[(m + d + 1440) % 1440];
    out[m] = s / 21;
  }
  for (let d = 0; d < 6; d++) out[12 * 60 + 30 + d] *= 1 + 1.2 * Math.exp(-d / 1.5);
  for (let d = 0; d < 4; d++) out[14 * 60 + d] *= 1 + 0.6 * Math.exp(-d / 1.5);
  let ms = 0;
  for (let m = 0; m < 1440; m++) ms += out[m] * out[m];
  const k = 1 / Math.sqrt(ms / 1440);
  for (let m = 0; m < 1440; m++) out[m] *= k;
  return out;
})();

// Stochastic-vol and event constants (documented in the module doc).
const SLOW_HALF_LIFE = 2 * 1440, SLOW_SD = 0.30;
const FAST_HALF_LIFE = 60, FAST_SD = 0.25;
const CCY_HALF_LIFE = 1440, CCY_SD = 0.20;
const JUMP_SIZE = 12;
const WEEKEND_GAP_MINUTES = 60;
const ROLL_MINUTE = 22 * 60;
const MISSING_PROB = 0.12;
const USD = CURRENCIES.indexOf("usd");
const DAY_MS = 86_400_000;

/** Options of the planted predictable component. */
export interface PlantedSignalOptions {
  /** Multiplier on the loadings `betas`. @default 1 */
  strength?: number;
  /** Half-life in bars of the EMA s(t) of the USD-factor return. @default 30 */
  halfLife?: number;
  /**
   * Loadings β_k per currency: USD must be 0 and the other seven must sum to 0.
   * @default PLANTED_BETAS
   */
  betas?: Readonly<Record<Currency, number>>;
}

/** Options of {@linkcode synthMonths} and {@linkcode synthMarket}. */
export interface SynthOptions {
  /** Consecutive months: "2024-01", "2024-01..2024-12" or a list of "YYYY-MM". */
  months: string | readonly string[];
  /**
   * Pairs to materialize ("all", a comma list or an array); all 8 currencies are simulated anyway.
   * @default "all"
   */
  pairs?: string | readonly string[];
  /** Integer seed of every random stream. @default 1 */
  seed?: number;
  /** Planted signal: false (off), true (defaults) or its options. @default false */
  signal?: boolean | PlantedSignalOptions;
  /** Drop short runs of 1–10 minutes after some daily rolls, per pair. @default true */
  missingMinutes?: boolean;
  /** Sub-steps per minute of the intra-minute path (OHLC resolution). @default 8 */
  subSteps?: number;
  /** Microstructure noise sd per sub-step, in basis points of price (×1.5 on crosses). @default 0.15 */
  noiseBp?: number;
  /** Expected jumps per currency per trading day. @default 0.05 */
  jumpsPerDay?: number;
  /** Multiplier on every currency vol. @default 1 */
  volScale?: number;
  /** Multiplier on the tick-volume level (majors ≈ 60 ticks a minute at average activity). @default 1 */
  volumeScale?: number;
}

/** Options of {@linkcode plantedR2}: the signal plus the market knobs that enter the variance. */
export interface PlantedR2Options extends PlantedSignalOptions {
  /** As in {@linkcode SynthOptions}. @default 0.15 */
  noiseBp?: number;
  /** As in {@linkcode SynthOptions}. @default 0.05 */
  jumpsPerDay?: number;
  /** As in {@linkcode SynthOptions}. @default 1 */
  volScale?: number;
  /** Horizons in bars. @default HORIZONS */
  horizons?: readonly number[];
}

/** Options of {@linkcode oracle}. */
export interface OracleOptions extends PlantedSignalOptions {
  /** Horizons in bars. @default HORIZONS */
  horizons?: readonly number[];
  /** A step longer than this many minutes is a closure: it does not feed s. @default 60 */
  maxStepMinutes?: number;
}

interface ResolvedSignal {
  alpha: number;
  betas: Float64Array;
}

function resolveSignal(options: PlantedSignalOptions = {}): ResolvedSignal {
  const { strength = 1, halfLife = 30, betas = PLANTED_BETAS } = options;
  if (!(Number.isFinite(strength) && strength >= 0)) {
    throw new RangeError(`Expected strength to be a finite number >= 0 but found ${strength}`);
  }
  if (!(Number.isFinite(halfLife) && halfLife > 0)) {
    throw new RangeError(`Expected halfLife to be a number > 0 but found ${halfLife}`);
  }
  const b = new Float64Array(8);
  let sum = 0, scale = 0;
  for (let k = 0; k < 8; k++) {
    const v = betas[CURRENCIES[k]];
    if (!Number.isFinite(v)) {
      throw new RangeError(`Expected betas.${CURRENCIES[k]} to be finite but found ${v}`);
    }
    b[k] = strength * v;
    sum += v;
    scale += Math.abs(v);
  }
  if (betas.usd !== 0) throw new RangeError(`Expected betas.usd to be 0 but found ${betas.usd}`);
  if (Math.abs(sum) > 1e-9 * Math.max(1, scale)) {
    throw new RangeError(`Expected the non-USD betas to sum to 0 but found ${sum}`);
  }
  return { alpha: 1 - Math.pow(2, -1 / halfLife), betas: b };
}

function cholesky(r: readonly (readonly number[])[]): Float64Array {
  const n = r.length, l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = r[i][j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(s > 0)) {
          throw new RangeError(
            `Expected a positive definite correlation matrix but found pivot ${s}`,
          );
        }
        l[i * n + i] = Math.sqrt(s);
      } else l[i * n + j] = s / l[j * n + j];
    }
  }
  return l;
}

const CHOL = cholesky(CURRENCY_CORRELATION);

/** True for a USD pair (a "major"). */
function isMajor(pair: string): boolean {
  return pair.includes("usd");
}

/** Microstructure noise multiplier of a pair: 1 on majors, 1.5 on crosses. */
function noiseFactor(pair: string): number {
  return isMajor(pair) ? 1 : 1.5;
}

/** Tick-volume level of a pair at average activity. */
function volumeLevel(pair: string): number {
  if (isMajor(pair)) return 60;
  return ["eurgbp", "eurjpy", "gbpjpy", "eurchf", "audjpy"].includes(pair) ? 40 : 25;
}

/**
 * Whether the synthetic market trades in the minute starting at `ms` (UTC epoch ms): closed from
 * Friday 22:00 to Sunday 22:00 UTC.
 * @example
 * ```ts
 * import { isMarketOpen } from "./synth.ts";
 * import assert from "node:assert/strict";
 * assert.equal(isMarketOpen(Date.UTC(2024, 0, 5, 21, 59)), true); // Friday 21:59
 * assert.equal(isMarketOpen(Date.UTC(2024, 0, 5, 22, 0)), false); // Friday 22:00
 * assert.equal(isMarketOpen(Date.UTC(2024, 0, 7, 22, 0)), true); // Sunday 22:00
 * ```
 */
export function isMarketOpen(ms: number): boolean {
  const day = Math.floor(ms / DAY_MS);
  const dow = (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
  const tod = Math.floor((ms - day * DAY_MS) / MINUTE_MS);
  return !((dow === 5 && tod >= ROLL_MINUTE) || dow === 6 || (dow === 0 && tod < ROLL_MINUTE));
}

function resolveMonths(months: string | readonly string[]): string[] {
  const list = typeof months === "string"
    ? monthRange(months)
    : months.flatMap((m) => monthRange(m));
  if (list.length === 0) throw new RangeError("Expected at least one month but found none");
  for (let i = 1; i < list.length; i++) {
    const a = monthStartMs(list[i - 1]), b = monthStartMs(list[i]);
    const next = monthStartMs(nextMonth(list[i - 1]));
    if (b !== next || b <= a) {
      throw new RangeError(`Expected consecutive months but found ${list[i - 1]} then ${list[i]}`);
    }
  }
  return list;
}

function nextMonth(month: string): string {
  const [y, m] = month.split("-").map(Number);
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, "0")}`;
}

function ouStep(halfLife: number): [number, number] {
  const phi = Math.pow(2, -1 / halfLife);
  return [phi, Math.sqrt(1 - phi * phi)];
}

/** Geometric waiting time (in minutes, ≥ 1) until the next event of probability p per minute. */
function waitMinutes(rng: Rng, p: number): number {
  if (!(p > 0)) return Infinity;
  const u = 1 - rng.float(); // (0, 1]
  return 1 + Math.floor(Math.log(u) / Math.log1p(-p));
}

/**
 * Stream the synthetic market month by month; the process state (levels, vols, signal, random
 * streams) is carried between months, so the months equal those of one long run while only one
 * month of bars is held at a time.
 *
 * @param options months, pairs, seed, signal and market knobs ({@linkcode SynthOptions})
 * @returns a generator of `{ month, bars }`, bars mapping each requested pair to its bar frame
 * (`ts_utc` Datetime("ms", "UTC"), `open high low close volume` Float64, strictly increasing)
 * @example
 * ```ts
 * import { synthMonths } from "./synth.ts";
 * import assert from "node:assert/strict";
 * const months = [...synthMonths({ months: "2024-01..2024-02", pairs: ["eurusd", "usdjpy"] })];
 * assert.deepEqual(months.map((m) => m.month), ["2024-01", "2024-02"]);
 * assert.ok(months[1].bars.get("usdjpy")!.height > 25_000);
 * ```
 */
export function synthMonths(
  options: SynthOptions,
): Generator<{ month: string; bars: Map<string, pl.DataFrame> }> {
  const {
    months,
    pairs,
    seed = 1,
    signal = false,
    missingMinutes = true,
    subSteps = 8,
    noiseBp = 0.15,
    jumpsPerDay = 0.05,
    volScale = 1,
    volumeScale = 1,
  } = options;
  // validate at the door (a generator body would only run at the first next())
  const monthList = resolveMonths(months);
  const pairList = resolvePairs(pairs);
  if (!Number.isInteger(subSteps) || subSteps < 1) {
    throw new RangeError(`Expected subSteps to be an integer >= 1 but found ${subSteps}`);
  }
  const knobs = { noiseBp, jumpsPerDay, volScale, volumeScale };
  for (const [name, v] of Object.entries(knobs)) {
    if (!(Number.isFinite(v) && v >= 0)) {
      throw new RangeError(`Expected ${name} to be a finite number >= 0 but found ${v}`);
    }
  }
  if (!Number.isFinite(seed)) {
    throw new RangeError(`Expected seed to be a finite number but found ${seed}`);
  }
  const planted = signal === false ? undefined : resolveSignal(signal === true ? {} : signal);
  return simulate({ monthList, pairList, seed, planted, missingMinutes, subSteps, ...knobs });
}

interface SimConfig {
  monthList: string[];
  pairList: string[];
  seed: number;
  planted: ResolvedSignal | undefined;
  missingMinutes: boolean;
  subSteps: number;
  noiseBp: number;
  jumpsPerDay: number;
  volScale: number;
  volumeScale: number;
}

/** The simulation loop behind {@linkcode synthMonths} (options already validated). */
function* simulate(cfg: SimConfig): Generator<{ month: string; bars: Map<string, pl.DataFrame> }> {
  const { monthList, pairList, seed, planted, missingMinutes, subSteps, noiseBp, jumpsPerDay } =
    cfg;
  const { volScale, volumeScale } = cfg;
  // ---- static parameters
  const K = subSteps, sqrtK = Math.sqrt(K);
  const base = new Float64Array(8); // per-minute base vol
  for (let k = 0; k < 8; k++) {
    base[k] = (volScale * CURRENCY_VOLS[CURRENCIES[k]]) / Math.sqrt(MINUTES_PER_YEAR);
  }
  const [phi1, eta1] = ouStep(SLOW_HALF_LIFE), [phi2, eta2] = ouStep(FAST_HALF_LIFE);
  const [phiB, etaB] = ouStep(CCY_HALF_LIFE);
  const volCorr = SLOW_SD * SLOW_SD + FAST_SD * FAST_SD + CCY_SD * CCY_SD;
  const pJump = jumpsPerDay / 1440;
  const alpha = planted?.alpha ?? 1 - Math.pow(2, -1 / 30);
  const beta = planted?.betas ?? new Float64Array(8);
  const nP = pairList.length;
  const pX = new Int32Array(nP), pY = new Int32Array(nP);
  const pNoise = new Float64Array(nP), pVol = new Float64Array(nP), pDec = new Float64Array(nP);
  const pRng: Rng[] = [];
  for (let p = 0; p < nP; p++) {
    const [b, q] = legs(pairList[p]);
    pX[p] = CURRENCIES.indexOf(b);
    pY[p] = CURRENCIES.indexOf(q);
    pNoise[p] = noiseBp * 1e-4 * noiseFactor(pairList[p]);
    pVol[p] = volumeScale * volumeLevel(pairList[p]) / (base[pX[p]] + base[pY[p]]);
    pDec[p] = q === "jpy" ? 1e3 : 1e5;
    pRng.push(new Rng(subSeed(seed, 1 + PAIRS.indexOf(pairList[p]))));
  }

  // ---- carried state
  const rng = new Rng(subSeed(seed, 0));
  const x = new Float64Array(8), x0 = new Float64Array(8), b = new Float64Array(8);
  const v = new Float64Array(8), drift = new Float64Array(8), z = new Float64Array(8);
  const jumpIn = new Float64Array(8), jumpAt = new Int32Array(8), jumpSize = new Float64Array(8);
  for (let k = 0; k < 8; k++) x[k] = Math.log(START_RATES[CURRENCIES[k]]);
  let a1 = SLOW_SD * rng.normal(), a2 = FAST_SD * rng.normal();
  for (let k = 0; k < 8; k++) b[k] = CCY_SD * rng.normal();
  for (let k = 0; k < 8; k++) jumpIn[k] = waitMinutes(rng, pJump);
  let s = 0, prevMs = -Infinity;
  const gapFrom = new Float64Array(nP).fill(-1), gapTo = new Float64Array(nP).fill(-1);
  const path = new Float64Array(8 * K); // currency sub-step path of the current minute

  for (const month of monthList) {
    const t0 = monthStartMs(month), t1 = monthStartMs(nextMonth(month));
    const cap = Math.round((t1 - t0) / MINUTE_MS);
    const cols = pairList.map(() => ({
      ts: new Float64Array(cap),
      o: new Float64Array(cap),
      h: new Float64Array(cap),
      l: new Float64Array(cap),
      c: new Float64Array(cap),
      vol: new Float64Array(cap),
      n: 0,
    }));
    for (let t = t0; t < t1; t += MINUTE_MS) {
      if (!isMarketOpen(t)) continue;
      const tod = Math.floor((t % DAY_MS) / MINUTE_MS);
      const sess = SESSION_PROFILE[tod];
      const reopen = t - prevMs > MINUTE_MS && prevMs > -Infinity;
      prevMs = t;
      // 1. volatility factors
      a1 = phi1 * a1 + eta1 * SLOW_SD * rng.normal();
      a2 = phi2 * a2 + eta2 * FAST_SD * rng.normal();
      const common = a1 + a2 - volCorr;
      for (let k = 0; k < 8; k++) {
        b[k] = phiB * b[k] + etaB * CCY_SD * rng.normal();
        v[k] = base[k] * sess * Math.exp(common + b[k]);
        drift[k] = (beta[k] * s) / K;
      }
      // 2. weekend gap shock (not part of the signal's g)
      if (reopen) {
        for (let k = 0; k < 8; k++) z[k] = rng.normal();
        const scale = Math.sqrt(WEEKEND_GAP_MINUTES) / sess; // base vol × vol factors, no session
        for (let k = 0; k < 8; k++) {
          let e = 0;
          for (let l = 0; l <= k; l++) e += CHOL[k * 8 + l] * z[l];
          x[k] += v[k] * scale * e;
        }
      }
      for (let k = 0; k < 8; k++) x0[k] = x[k];
      // 3. jumps due this minute: each at a random sub-step
      let jumping = false;
      for (let k = 0; k < 8; k++) {
        jumpAt[k] = -1;
        if (--jumpIn[k] <= 0) {
          jumping = true;
          jumpAt[k] = Math.floor(rng.float() * K);
          jumpSize[k] = JUMP_SIZE * v[k] * rng.normal();
          jumpIn[k] = waitMinutes(rng, pJump);
        }
      }
      // 4. intra-minute path
      for (let j = 0; j < K; j++) {
        for (let k = 0; k < 8; k++) z[k] = rng.normal();
        for (let k = 0; k < 8; k++) {
          let e = 0;
          for (let l = 0; l <= k; l++) e += CHOL[k * 8 + l] * z[l];
          x[k] += drift[k] + (v[k] / sqrtK) * e;
          if (jumping && jumpAt[k] === j) x[k] += jumpSize[k];
          path[k * K + j] = x[k];
        }
      }
      // 5. signal state
      if (reopen) s = (1 - alpha) * s;
      else {
        let others = 0;
        for (let k = 0; k < 8; k++) if (k !== USD) others += x[k] - x0[k];
        s = (1 - alpha) * s + alpha * (x[USD] - x0[USD] - others / 7);
      }
      // 6. pairs
      for (let p = 0; p < nP; p++) {
        const r = pRng[p], xi = pX[p] * K, yi = pY[p] * K, sd = pNoise[p], dec = pDec[p];
        // drawn whether or not missingMinutes is on, so the flag only removes rows
        if (tod === ROLL_MINUTE && r.float() < MISSING_PROB) {
          const from = t + Math.floor(r.float() * 15) * MINUTE_MS;
          const to = from + (1 + Math.floor(r.float() * 10)) * MINUTE_MS;
          if (missingMinutes) (gapFrom[p] = from, gapTo[p] = to);
        }
        let lp = path[xi] - path[yi] + sd * r.normal();
        const op = lp;
        let hi = lp, lo = lp;
        for (let j = 1; j < K; j++) {
          lp = path[xi + j] - path[yi + j] + sd * r.normal();
          if (lp > hi) hi = lp;
          else if (lp < lo) lo = lp;
        }
        const ticks = r.poisson(pVol[p] * (v[pX[p]] + v[pY[p]]));
        if (t >= gapFrom[p] && t < gapTo[p]) continue;
        const col = cols[p], n = col.n++;
        col.ts[n] = t;
        col.o[n] = Math.round(Math.exp(op) * dec) / dec;
        col.h[n] = Math.round(Math.exp(hi) * dec) / dec;
        col.l[n] = Math.round(Math.exp(lo) * dec) / dec;
        col.c[n] = Math.round(Math.exp(lp) * dec) / dec;
        col.vol[n] = ticks;
      }
    }
    const bars = new Map<string, pl.DataFrame>();
    for (let p = 0; p < nP; p++) {
      const c = cols[p], n = c.n;
      bars.set(
        pairList[p],
        pl.DataFrame([
          pl.Series("ts_utc", c.ts.subarray(0, n)).cast(pl.Int64).cast(TS_DTYPE),
          pl.Series("open", c.o.subarray(0, n)),
          pl.Series("high", c.h.subarray(0, n)),
          pl.Series("low", c.l.subarray(0, n)),
          pl.Series("close", c.c.subarray(0, n)),
          pl.Series("volume", c.vol.subarray(0, n)),
        ]),
      );
    }
    yield { month, bars };
  }
}

/**
 * All requested months concatenated per pair (convenience over {@linkcode synthMonths}; holds
 * everything in memory, ≈ 48 bytes per bar).
 *
 * @param options as {@linkcode synthMonths}
 * @returns each requested pair's bar frame over all months
 * @example
 * ```ts
 * import { synthMarket } from "./synth.ts";
 * import assert from "node:assert/strict";
 * const bars = synthMarket({ months: "2024-03", pairs: "eurusd,usdjpy,eurjpy", missingMinutes: false });
 * const c = (p: string) => bars.get(p)!.getColumn("close").get(100) as number;
 * // triangular parity up to noise and rounding: eurusd · usdjpy ≈ eurjpy (within 5 bp)
 * assert.ok(Math.abs(Math.log(c("eurusd") * c("usdjpy") / c("eurjpy"))) < 5e-4);
 * ```
 */
export function synthMarket(options: SynthOptions): Map<string, pl.DataFrame> {
  const parts = new Map<string, pl.DataFrame[]>();
  for (const { bars } of synthMonths(options)) {
    for (const [pair, frame] of bars) {
      if (!parts.has(pair)) parts.set(pair, []);
      parts.get(pair)!.push(frame);
    }
  }
  const out = new Map<string, pl.DataFrame>();
  for (const [pair, frames] of parts) {
    out.set(pair, frames.length === 1 ? frames[0] : pl.concat(frames));
  }
  return out;
}

/** Σ_{k=1..h} k (1−α)^(k−1): the weight of s(t) in E[target_h | F_t] per unit of loading. */
function horizonWeight(alpha: number, h: number): number {
  let a = 0, f = 1;
  for (let k = 1; k <= h; k++) {
    a += k * f;
    f *= 1 - alpha;
  }
  return a;
}

/**
 * Theoretical best R² of the planted signal per pair and horizon: the R² of the oracle
 * forecast `−(β_X − β_Y)·s(t)·Σ_{k=1..h} k(1−α)^(k−1)` for `target_h` (SPEC §4, the
 * window-equals-horizon variant).
 *
 * With e(t) the currency shocks (per-minute covariance Σ = D·R·D from {@linkcode CURRENCY_VOLS}
 * and {@linkcode CURRENCY_CORRELATION}; jump variance on the diagonal; off-diagonals × e^(−0.2²)
 * for the per-currency vol factors), w the USD-factor weights (1 on USD, −1/7 elsewhere), d the
 * pair's ±1 leg vector and Δβ = β_X − β_Y:
 *
 *     target_h(t) ≈ −Σ_k k·r(t+k) = −Δβ·A_h·s(t) − Σ_{j=1..h} (j·d + Δβ·B_j·w)·e(t+j) + noise
 *     A_h = Σ_{k=1..h} k φ^(k−1),  B_j = α Σ_{k=j+1..h} k φ^(k−1−j),  φ = 1 − α
 *     Var s = α/(2−α) · w'Σw,   noise variance = h(h+1)·σ_noise²
 *     R² = Δβ²A_h² Var s / (Δβ²A_h² Var s + Σ_j [j² d'Σd + 2jΔβB_j d'Σw + Δβ²B_j² w'Σw] + noise)
 *
 * Approximations (linearized, locally homoskedastic): log returns for the ratio in BQX; the
 * common vol factors and the session profile scale signal and noise alike (their mean square
 * is 1), so pooled R² is this ratio; price rounding, the week-opening bar and missing minutes
 * are ignored. An empirical check on 12 months matches within a few percent (see the tests).
 *
 * @param options signal options and the market knobs that enter the variances
 * @returns `r2[pair][h]` for all 28 pairs
 * @example
 * ```ts
 * import { plantedR2 } from "./synth.ts";
 * import assert from "node:assert/strict";
 * const r2 = plantedR2();
 * assert.ok(r2.usdjpy[15] > 0.02 && r2.usdjpy[15] < 0.1);
 * assert.equal(plantedR2({ strength: 0 }).eurusd[60], 0);
 * ```
 */
export function plantedR2(options: PlantedR2Options = {}): Record<string, Record<number, number>> {
  const { noiseBp = 0.15, jumpsPerDay = 0.05, volScale = 1, horizons = HORIZONS } = options;
  const { alpha, betas } = resolveSignal(options);
  const sd = CURRENCIES.map((c) => (volScale * CURRENCY_VOLS[c]) / Math.sqrt(MINUTES_PER_YEAR));
  const offDiag = Math.exp(-CCY_SD * CCY_SD),
    jumpVar = (jumpsPerDay / 1440) * JUMP_SIZE * JUMP_SIZE;
  const cov = (i: number, j: number) =>
    CURRENCY_CORRELATION[i][j] * sd[i] * sd[j] * (i === j ? 1 + jumpVar : offDiag);
  const quad = (a: number[], b: number[]) => {
    let q = 0;
    for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) q += a[i] * cov(i, j) * b[j];
    return q;
  };
  const w = CURRENCIES.map((_, k) => (k === USD ? 1 : -1 / 7));
  const wSw = quad(w, w), varS = (alpha / (2 - alpha)) * wSw, phi = 1 - alpha;
  const out: Record<string, Record<number, number>> = {};
  for (const pair of PAIRS) {
    const [bc, qc] = legs(pair);
    const xi = CURRENCIES.indexOf(bc), yi = CURRENCIES.indexOf(qc);
    const d = CURRENCIES.map((_, k) => (k === xi ? 1 : k === yi ? -1 : 0));
    const dSd = quad(d, d), dSw = quad(d, w), db = betas[xi] - betas[yi];
    const noise = (noiseBp * 1e-4 * noiseFactor(pair)) ** 2;
    out[pair] = {};
    for (const h of horizons) {
      const A = horizonWeight(alpha, h);
      let resid = h * (h + 1) * noise;
      for (let j = 1; j <= h; j++) {
        let B = 0, f = 1;
        for (let k = j + 1; k <= h; k++) {
          B += k * f;
          f *= phi;
        }
        B *= alpha;
        resid += j * j * dSd + 2 * j * db * B * dSw + db * db * B * B * wSw;
      }
      const expl = db * db * A * A * varS;
      out[pair][h] = expl / (expl + resid);
    }
  }
  return out;
}

/** USD pairs and the sign with which their log return enters g = r_USD − mean of the others. */
const USD_LEGS: readonly [string, number][] = PAIRS.filter((p) => p.includes("usd")).map((p) => [
  p,
  p.startsWith("usd") ? 1 / 7 : -1 / 7,
]);

/**
 * Oracle forecast of the planted signal, rebuilt from observable data only: s(t) from the seven
 * USD pairs' log close returns (on the minutes where all seven have a bar; a step of n missing
 * minutes decays s by φⁿ and spreads the step's return; a step longer than `maxStepMinutes` is a
 * closure and does not feed s, as in the generator), then for each pair
 * `oracle_h = −(β_X − β_Y)·s(t)·Σ_{k=1..h} k(1−α)^(k−1)` ≈ E[target_h | F_t].
 *
 * @param bars bar frames by pair; must hold the seven USD pairs
 * @param options the signal the data was generated with, horizons
 * @returns for each pair in `bars`, a frame row-aligned with it: `ts_utc`, `s`, `oracle_{h}`
 * @example
 * ```ts
 * import { oracle, synthMarket } from "./synth.ts";
 * import assert from "node:assert/strict";
 * const pairs = "eurusd,gbpusd,audusd,nzdusd,usdcad,usdchf,usdjpy";
 * const bars = synthMarket({ months: "2024-01", pairs, signal: true });
 * const o = oracle(bars, { horizons: [15] }).get("eurusd")!;
 * assert.deepEqual(o.columns, ["ts_utc", "s", "oracle_15"]);
 * assert.equal(o.height, bars.get("eurusd")!.height);
 * ```
 */
export function oracle(
  bars: Map<string, pl.DataFrame>,
  options: OracleOptions = {},
): Map<string, pl.DataFrame> {
  const { horizons = HORIZONS, maxStepMinutes = 60 } = options;
  const { alpha, betas } = resolveSignal(options);
  const missing = USD_LEGS.map(([p]) => p).filter((p) => !bars.has(p));
  if (missing.length > 0) {
    throw new RangeError(
      `Expected bars for the USD pairs but found none for ${missing.join(", ")}`,
    );
  }
  const tsOf = (f: pl.DataFrame) =>
    f.getColumn("ts_utc").cast(pl.Int64).cast(pl.Float64).toTypedArray() as Float64Array;
  const legTs = USD_LEGS.map(([p]) => tsOf(bars.get(p)!));
  const legClose = USD_LEGS.map(([p]) =>
    bars.get(p)!.getColumn("close").toTypedArray() as Float64Array
  );
  // common minutes of the seven USD pairs, and s on them
  const ptr = new Int32Array(7);
  const gridTs: number[] = [], gridS: number[] = [];
  const prevLog = new Float64Array(7);
  let s = 0, prevT = NaN;
  outer: while (true) {
    let t = -Infinity;
    for (let i = 0; i < 7; i++) {
      if (ptr[i] >= legTs[i].length) break outer;
      if (legTs[i][ptr[i]] > t) t = legTs[i][ptr[i]];
    }
    let aligned = true;
    for (let i = 0; i < 7; i++) {
      while (ptr[i] < legTs[i].length && legTs[i][ptr[i]] < t) ptr[i]++;
      if (ptr[i] >= legTs[i].length) break outer;
      if (legTs[i][ptr[i]] !== t) aligned = false;
    }
    if (!aligned) continue;
    let g = 0;
    for (let i = 0; i < 7; i++) {
      const lc = Math.log(legClose[i][ptr[i]]);
      g += USD_LEGS[i][1] * (lc - prevLog[i]);
      prevLog[i] = lc;
      ptr[i]++;
    }
    const n = (t - prevT) / MINUTE_MS;
    if (!(n >= 1)) s = 0; // first common bar
    else if (n > maxStepMinutes) s *= 1 - alpha;
    else {
      const decay = Math.pow(1 - alpha, n);
      s = decay * s + (g * (1 - decay)) / n;
    }
    prevT = t;
    gridTs.push(t);
    gridS.push(s);
  }
  const weights = horizons.map((h) => horizonWeight(alpha, h));
  const out = new Map<string, pl.DataFrame>();
  for (const [pair, frame] of bars) {
    const [bc, qc] = legs(pair);
    const db = betas[CURRENCIES.indexOf(bc)] - betas[CURRENCIES.indexOf(qc)];
    const ts = tsOf(frame), sp = new Float64Array(ts.length);
    let gi = -1;
    for (let i = 0; i < ts.length; i++) {
      while (gi + 1 < gridTs.length && gridTs[gi + 1] <= ts[i]) gi++;
      sp[i] = gi >= 0 ? gridS[gi] : 0;
    }
    const cols = [frame.getColumn("ts_utc"), pl.Series("s", sp)];
    horizons.forEach((h, k) =>
      cols.push(pl.Series(`oracle_${h}`, sp.map((v) => -db * weights[k] * v)))
    );
    out.set(pair, pl.DataFrame(cols));
  }
  return out;
}
