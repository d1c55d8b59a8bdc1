/**
 * Time family (SPEC §5 "time", 20 `t_` columns): where the bar sits on the FX clock — trading
 * sessions and their overlaps, hour, cyclical hour/minute/weekday encodings, weekday one-hots,
 * month-end and the week's open/close hour. Why: intraday volatility, volume and drift follow the
 * session clock, and a model needs it spelled out (trees split on flags, networks like sin/cos).
 *
 * Every value is a function of the bar's own `ts` (UTC, minute start) only: warm-up 0, scope
 * primary, trivially causal, and the live path gets the same value from one row. Columns:
 * - `t_session_tokyo` [00, 09), `t_session_london` [07, 16), `t_session_newyork` [12, 21) UTC
 *   hours (SPEC §5, fixed UTC: sessions are not shifted for DST — choice); `t_overlap_tokyo_london`
 *   [07, 09) and `t_overlap_london_newyork` [12, 16): flags 0/1;
 * - `t_hour`: the UTC hour 0..23;
 * - `t_hour_sin` / `t_hour_cos`: angle 2π·(minute of day)/1440 — the fractional hour (choice:
 *   smoother than the integer hour; 12:30 sits halfway between 12:00 and 13:00);
 * - `t_minute_sin` / `t_minute_cos`: angle 2π·(minute of hour)/60;
 * - `t_weekday_sin` / `t_weekday_cos`: angle 2π·d/7 with the ISO weekday d = 0 (Monday) … 6
 *   (Sunday), UTC date;
 * - `t_weekday_mon` … `t_weekday_fri`: one-hots of the UTC weekday (Sunday-evening bars, the
 *   week's first hours, have all five at 0);
 * - `t_month_end`: 1 on every bar of the month's last business day (the last Monday–Friday UTC
 *   date of the month; holidays are ignored — choice);
 * - `t_week_open` / `t_week_close` (the "week roll", choice): the FX week opens Sunday 17:00 and
 *   closes Friday 17:00 New York time, i.e. 21:00 UTC under US daylight time and 22:00 UTC
 *   otherwise. `t_week_open` = 1 on Sunday bars in the first hour after the open ([21, 22) or
 *   [22, 23) UTC), `t_week_close` = 1 on Friday bars in the last hour before the close ([20, 21)
 *   or [21, 22) UTC). US DST is decided per date by the US rule (2007+: second Sunday of March to
 *   first Sunday of November; 1987–2006: first Sunday of April to last Sunday of October); the
 *   switch happens at 02:00 local on a Sunday, before any Sunday-evening or Friday bar it could
 *   affect, so a date test is exact for these hours. Data that opens at another hour simply has
 *   fewer flagged bars: the flags are calendar rules, not read from the data (they must hold at
 *   warm-up 0, from one row).
 *
 * @example
 * ```ts
 * import { time } from "./time.ts";
 * import assert from "node:assert/strict";
 * // Friday 2024-05-31 20:30 UTC: New York session, last business day of May, and (EDT) the last
 * // hour before the 21:00 UTC close
 * const ts = new Float64Array([Date.UTC(2024, 4, 31, 20, 30)]);
 * const cols = new Map<string, Float64Array>();
 * time.compute({ n: 1, ts } as never, { from: 0 }, (name) => {
 *   const a = new Float64Array(1).fill(NaN);
 *   cols.set(name, a);
 *   return a;
 * });
 * assert.equal(cols.get("t_session_newyork")![0], 1);
 * assert.equal(cols.get("t_month_end")![0], 1);
 * assert.equal(cols.get("t_week_close")![0], 1);
 * assert.equal(cols.get("t_weekday_fri")![0], 1);
 * // hour angle 2π·(20·60 + 30)/1440
 * assert.ok(Math.abs(cols.get("t_hour_sin")![0] - Math.sin(2 * Math.PI * 1230 / 1440)) < 1e-15);
 * ```
 * @module
 */
import type { FeatureFamily, FeatureSpec } from "./_types.ts";

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const TAU = 2 * Math.PI;

/** Session hours [start, end) in UTC (SPEC §5). */
const SESSIONS = {
  tokyo: [0, 9],
  london: [7, 16],
  newyork: [12, 21],
} as const;

const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"] as const;

/** Column names in output order, with their documentation. */
const COLUMNS: readonly [string, string][] = [
  ["t_session_tokyo", "1 during the Tokyo session, 00–09 UTC"],
  ["t_session_london", "1 during the London session, 07–16 UTC"],
  ["t_session_newyork", "1 during the New York session, 12–21 UTC"],
  ["t_overlap_tokyo_london", "1 during the Tokyo–London overlap, 07–09 UTC"],
  ["t_overlap_london_newyork", "1 during the London–New York overlap, 12–16 UTC"],
  ["t_hour", "UTC hour 0..23"],
  ["t_hour_sin", "sin of 2π·minute-of-day/1440"],
  ["t_hour_cos", "cos of 2π·minute-of-day/1440"],
  ["t_minute_sin", "sin of 2π·minute-of-hour/60"],
  ["t_minute_cos", "cos of 2π·minute-of-hour/60"],
  ["t_weekday_sin", "sin of 2π·ISO weekday (Mon = 0)/7"],
  ["t_weekday_cos", "cos of 2π·ISO weekday (Mon = 0)/7"],
  ...WEEKDAYS.map((d): [string, string] => [`t_weekday_${d}`, `1 on ${d} (UTC date)`]),
  ["t_month_end", "1 on the month's last business day (UTC date)"],
  ["t_week_open", "1 in the first hour after the Sunday 17:00 New York open"],
  ["t_week_close", "1 in the last hour before the Friday 17:00 New York close"],
];

/** Day of month (UTC) of the n-th (1-based) Sunday of a month, or the last one when n = −1. */
function sunday(year: number, month: number, nth: number): number {
  if (nth > 0) {
    const dow = new Date(Date.UTC(year, month, 1)).getUTCDay();
    return 1 + ((7 - dow) % 7) + 7 * (nth - 1);
  }
  const last = new Date(Date.UTC(year, month + 1, 0));
  return last.getUTCDate() - last.getUTCDay();
}

/** Whether US daylight time is in force on the evening of this UTC date. */
function usDaylight(year: number, month: number, day: number): boolean {
  const [m0, d0, m1, d1] = year >= 2007
    ? [2, sunday(year, 2, 2), 10, sunday(year, 10, 1)]
    : [3, sunday(year, 3, 1), 9, sunday(year, 9, -1)];
  const key = month * 32 + day;
  return key >= m0 * 32 + d0 && key < m1 * 32 + d1;
}

/** Whether this UTC date is the month's last Monday–Friday. */
function lastBusinessDay(year: number, month: number, day: number): boolean {
  const last = new Date(Date.UTC(year, month + 1, 0));
  const dow = last.getUTCDay(); // 0 = Sunday
  const lbd = last.getUTCDate() - (dow === 6 ? 1 : dow === 0 ? 2 : 0);
  return day === lbd;
}

/** sin / cos of 2π·i/k for i = 0..k−1, computed as the per-row formulas do (same bits). */
function cycle(k: number, period: number): [Float64Array, Float64Array] {
  const sin = new Float64Array(k), cos = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const a = (TAU * i) / period;
    sin[i] = Math.sin(a);
    cos[i] = Math.cos(a);
  }
  return [sin, cos];
}
/** Encodings by minute of day, minute of hour and ISO weekday: table look-ups per row. */
const [DAY_SIN, DAY_COS] = cycle(1440, 1440);
const [MIN_SIN, MIN_COS] = cycle(60, 60);
const [WEEK_SIN, WEEK_COS] = cycle(7, 7);

/** The time family: 20 `t_` columns, warm-up 0 (SPEC §5). */
export const time: FeatureFamily = {
  name: "time",
  specs: (): FeatureSpec[] =>
    COLUMNS.map(([name, doc]) => ({
      name,
      family: "time",
      domain: "t",
      scope: "primary",
      params: { source: "ts_utc" },
      warmup: 0,
      doc,
    })),
  compute(series, ctx, out) {
    const { n, ts } = series;
    // written once (0/1 flags, hours, sines): straight into Float32 storage in the batch build,
    // every row from `from` (no NaN pre-fill needed from row 0)
    const c = COLUMNS.map(([name]) => ctx.out32?.(name, ctx.from > 0) ?? out(name));
    const [tokyo, london, newyork, tokLon, lonNy, hourC, hSin, hCos, mSin, mCos, dSin, dCos] = c;
    const oneHot = c.slice(12, 17), monthEnd = c[17], weekOpen = c[18], weekClose = c[19];
    let lastDay = NaN, iso = 0, isMonthEnd = 0, openHour = 22, closeHour = 21;
    for (let t = ctx.from; t < n; t++) {
      const day = Math.floor(ts[t] / DAY_MS);
      if (day !== lastDay) {
        // calendar facts change once a day: one Date per day, not per row
        lastDay = day;
        const d = new Date(day * DAY_MS);
        const y = d.getUTCFullYear(), m = d.getUTCMonth(), dd = d.getUTCDate();
        iso = (d.getUTCDay() + 6) % 7; // Monday = 0 … Sunday = 6
        isMonthEnd = iso < 5 && lastBusinessDay(y, m, dd) ? 1 : 0;
        const edt = usDaylight(y, m, dd);
        openHour = edt ? 21 : 22; // Sunday 17:00 New York in UTC
        closeHour = openHour - 1; // the hour before Friday 17:00 New York
      }
      const mod = Math.floor((ts[t] - day * DAY_MS) / MINUTE_MS); // minute of day 0..1439
      const hour = Math.floor(mod / 60), minute = mod - hour * 60;
      tokyo[t] = hour >= SESSIONS.tokyo[0] && hour < SESSIONS.tokyo[1] ? 1 : 0;
      london[t] = hour >= SESSIONS.london[0] && hour < SESSIONS.london[1] ? 1 : 0;
      newyork[t] = hour >= SESSIONS.newyork[0] && hour < SESSIONS.newyork[1] ? 1 : 0;
      tokLon[t] = tokyo[t] * london[t];
      lonNy[t] = london[t] * newyork[t];
      hourC[t] = hour;
      hSin[t] = DAY_SIN[mod];
      hCos[t] = DAY_COS[mod];
      mSin[t] = MIN_SIN[minute];
      mCos[t] = MIN_COS[minute];
      dSin[t] = WEEK_SIN[iso];
      dCos[t] = WEEK_COS[iso];
      for (let k = 0; k < 5; k++) oneHot[k][t] = iso === k ? 1 : 0;
      monthEnd[t] = isMonthEnd;
      weekOpen[t] = iso === 6 && hour === openHour ? 1 : 0;
      weekClose[t] = iso === 4 && hour === closeHour ? 1 : 0;
    }
  },
};
