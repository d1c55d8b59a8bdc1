import assert from "node:assert/strict";
import type { PairSeries } from "../../lib/features/_types.ts";
import { time } from "../../lib/features/time.ts";
import { fixture, perturbAfter, runFamily as run } from "./_fixture.ts";

/** The row of one UTC minute. */
function at(y: number, mo: number, d: number, h: number, mi: number): Map<string, number> {
  const ts = new Float64Array([Date.UTC(y, mo - 1, d, h, mi)]);
  const cols = run(time, { n: 1, ts } as PairSeries);
  return new Map([...cols].map(([k, v]) => [k, v[0]]));
}

function expectFlags(row: Map<string, number>, on: string[], names: string[]) {
  for (const n of names) assert.equal(row.get(n), on.includes(n) ? 1 : 0, n);
}

const SESSION = [
  "t_session_tokyo",
  "t_session_london",
  "t_session_newyork",
  "t_overlap_tokyo_london",
  "t_overlap_london_newyork",
];
const DAYS = ["mon", "tue", "wed", "thu", "fri"].map((d) => `t_weekday_${d}`);

Deno.test("time.specs() lists 20 t_ columns, warm-up 0, the names compute() writes", () => {
  const specs = time.specs("eurusd", ["eurusd"]);
  assert.equal(specs.length, 20);
  assert.equal(new Set(specs.map((s) => s.name)).size, 20);
  assert.ok(specs.every((s) => s.name.startsWith("t_") && s.domain === "t" && s.warmup === 0));
  assert.ok(specs.every((s) => s.scope === "primary" && s.family === "time"));
  const { series } = fixture({ pairs: ["eurusd"], rows: 3000 });
  const s = series.get("eurusd")!;
  const cols = run(time, s);
  assert.deepEqual([...cols.keys()], specs.map((x) => x.name));
  for (const [name, a] of cols) {
    for (let t = 0; t < s.n; t++) assert.ok(Number.isFinite(a[t]), `${name} row ${t}: ${a[t]}`);
  }
});

Deno.test("time.compute() matches hand-computed sessions, hour and cyclical encodings", () => {
  // Monday 2024-01-01 08:30 UTC: Tokyo and London, their overlap
  let r = at(2024, 1, 1, 8, 30);
  expectFlags(r, ["t_session_tokyo", "t_session_london", "t_overlap_tokyo_london"], SESSION);
  expectFlags(r, ["t_weekday_mon"], DAYS);
  assert.equal(r.get("t_hour"), 8);
  assert.equal(r.get("t_hour_sin"), Math.sin(2 * Math.PI * 510 / 1440));
  assert.equal(r.get("t_hour_cos"), Math.cos(2 * Math.PI * 510 / 1440));
  assert.equal(r.get("t_minute_cos"), -1); // 30 minutes = half a turn
  assert.ok(Math.abs(r.get("t_minute_sin")!) < 1e-15);
  assert.equal(r.get("t_weekday_sin"), 0); // Monday = 0
  assert.equal(r.get("t_weekday_cos"), 1);
  // Wednesday 2024-01-03 14:59: London and New York, their overlap
  r = at(2024, 1, 3, 14, 59);
  expectFlags(r, ["t_session_london", "t_session_newyork", "t_overlap_london_newyork"], SESSION);
  expectFlags(r, ["t_weekday_wed"], DAYS);
  assert.equal(r.get("t_weekday_sin"), Math.sin(2 * Math.PI * 2 / 7));
  assert.equal(r.get("t_hour_cos"), Math.cos(2 * Math.PI * (14 * 60 + 59) / 1440));
  // session ends are exclusive: 09:00 is not Tokyo, 16:00 not London, 21:00 not New York
  expectFlags(at(2024, 1, 2, 9, 0), ["t_session_london"], SESSION);
  expectFlags(at(2024, 1, 2, 16, 0), ["t_session_newyork"], SESSION);
  expectFlags(at(2024, 1, 2, 21, 0), [], SESSION);
  expectFlags(at(2024, 1, 2, 0, 0), ["t_session_tokyo"], SESSION);
  assert.equal(at(2024, 1, 2, 23, 59).get("t_hour"), 23);
  // Sunday evening: no weekday one-hot, weekday angle 6/7 of a turn
  r = at(2024, 1, 7, 22, 15);
  expectFlags(r, [], DAYS);
  assert.equal(r.get("t_weekday_cos"), Math.cos(2 * Math.PI * 6 / 7));
});

Deno.test("time.compute() flags the last business day of the month, UTC", () => {
  const me = (y: number, m: number, d: number) => at(y, m, d, 10, 0).get("t_month_end");
  assert.equal(me(2024, 1, 31), 1); // Wednesday
  assert.equal(me(2024, 1, 30), 0);
  assert.equal(me(2024, 3, 29), 1); // 30–31 March 2024 are a weekend
  assert.equal(me(2024, 3, 31), 0); // Sunday: no business day
  assert.equal(me(2024, 6, 28), 1); // 29–30 June 2024 are a weekend
  assert.equal(me(2024, 8, 30), 1); // 31 August 2024 is a Saturday
  assert.equal(me(2024, 9, 30), 1); // Monday
  assert.equal(me(2024, 2, 29), 1); // leap day, Thursday
  assert.equal(at(2024, 2, 29, 23, 59).get("t_month_end"), 1); // the whole day
});

Deno.test("time.compute() flags the week's open and close hour in New York time (DST aware)", () => {
  const open = (y: number, m: number, d: number, h: number) =>
    at(y, m, d, h, 10).get("t_week_open");
  const close = (y: number, m: number, d: number, h: number) =>
    at(y, m, d, h, 10).get("t_week_close");
  // winter (EST): Sunday 22:00–23:00 UTC, Friday 21:00–22:00 UTC
  assert.equal(open(2024, 1, 7, 22), 1);
  assert.equal(open(2024, 1, 7, 21), 0);
  assert.equal(open(2024, 1, 7, 23), 0);
  assert.equal(close(2024, 1, 5, 21), 1);
  assert.equal(close(2024, 1, 5, 20), 0);
  assert.equal(close(2024, 3, 8, 21), 1); // the Friday before the switch
  // 2024-03-10, the Sunday DST starts (02:00 local): the evening open is 21:00 UTC
  assert.equal(open(2024, 3, 10, 21), 1);
  assert.equal(open(2024, 3, 10, 22), 0);
  assert.equal(close(2024, 3, 15, 20), 1);
  assert.equal(close(2024, 3, 15, 21), 0);
  // 2024-11-03, DST ends that Sunday: back to 22:00 UTC
  assert.equal(open(2024, 10, 27, 21), 1);
  assert.equal(open(2024, 11, 3, 22), 1);
  assert.equal(open(2024, 11, 3, 21), 0);
  // the 1987–2006 rule: DST from the first Sunday of April (2006-04-02) to the last of October
  assert.equal(open(2006, 3, 12, 22), 1); // the 2007 rule would say 21:00 here
  assert.equal(open(2006, 4, 2, 21), 1);
  assert.equal(open(2006, 10, 29, 22), 1);
  assert.equal(open(2006, 10, 22, 21), 1);
  // other weekdays never flag
  assert.equal(open(2024, 1, 8, 22), 0);
  assert.equal(close(2024, 1, 4, 21), 0);
});

Deno.test("time.compute() reads only the row's own stamp: causal, from-exact", () => {
  const { series } = fixture({ pairs: ["eurusd"], rows: 3000 });
  const s = series.get("eurusd")!;
  const base = run(time, s);
  for (const i of [700, 1913, 2522]) {
    const cut = s.ts[i] + 7 * 60_000;
    const p = run(time, perturbAfter(s, cut));
    for (const [name, a] of base) {
      const b = p.get(name)!;
      for (let t = 0; t < s.n && s.ts[t] <= cut; t++) {
        assert.ok(Object.is(a[t], b[t]), `${name} ${t}`);
      }
    }
  }
  for (const from of [s.n - 1, 1234]) {
    const part = run(time, s, from);
    for (const [name, a] of base) {
      const b = part.get(name)!;
      for (let t = from; t < s.n; t++) assert.ok(Object.is(a[t], b[t]), `${name} ${t}`);
    }
  }
});

Deno.test("time.compute() agrees with Date on every minute of a week", () => {
  const n = 7 * 1440, ts = new Float64Array(n);
  for (let i = 0; i < n; i++) ts[i] = Date.UTC(2024, 4, 26) + i * 60_000; // Sunday 26 May
  const cols = run(time, { n, ts } as PairSeries);
  for (let i = 0; i < n; i++) {
    const d = new Date(ts[i]);
    const h = d.getUTCHours(), iso = (d.getUTCDay() + 6) % 7;
    assert.equal(cols.get("t_hour")![i], h);
    assert.equal(cols.get("t_session_tokyo")![i], h < 9 ? 1 : 0);
    assert.equal(cols.get("t_overlap_london_newyork")![i], h >= 12 && h < 16 ? 1 : 0);
    for (let k = 0; k < 5; k++) {
      assert.equal(cols.get(`t_weekday_${DAYS[k].slice(10)}`)![i], iso === k ? 1 : 0);
    }
    assert.equal(cols.get("t_minute_sin")![i], Math.sin(2 * Math.PI * d.getUTCMinutes() / 60));
    // 31 May 2024 (Friday) is May's last business day; EDT: open Sunday 21h, close Friday 20h
    assert.equal(cols.get("t_month_end")![i], d.getUTCDate() === 31 ? 1 : 0);
    assert.equal(cols.get("t_week_open")![i], iso === 6 && h === 21 ? 1 : 0);
    assert.equal(cols.get("t_week_close")![i], iso === 4 && h === 20 ? 1 : 0);
  }
});
