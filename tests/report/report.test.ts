/**
 * `deno task report` end to end on a real run (`trainRun`, ridge only, tiny synthetic lake; see
 * _fixture.ts): the pages' and summary.json's numbers equal metrics.json, the backtest table
 * recomputed from predictions.parquet equals the run's own backtest figures, the same run gives
 * byte-identical files at a fixed time, the charts are all there, names are escaped, and the CLI
 * writes the files.
 * @module
 */
import assert from "node:assert/strict";
import { readRun } from "../../lib/eval/run.ts";
import { newestRun, reportTime, writeReports } from "../../lib/report/generate.ts";
import { backtestReport } from "../../lib/report/backtestReport.ts";
import { validationReport } from "../../lib/report/validationReport.ts";
import {
  fixtureRun,
  HORIZONS,
  readTables,
  removeFixture,
  syntheticRun,
  tableRecords,
} from "./_fixture.ts";

const NOW = new Date(Date.UTC(2024, 5, 1, 12));

function same(a: number, b: number, msg: string): void {
  if (Number.isNaN(a) && Number.isNaN(b)) return;
  assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${msg}: ${a} vs ${b}`);
}

/** data-value of a cell as a number ("" / "NaN" → NaN). */
const val = (c: { value: string | null } | undefined) =>
  c?.value === null || c?.value === undefined || c.value === "" ? NaN : Number(c.value);

Deno.test("report: summary.json and the validation tables carry metrics.json's numbers", async () => {
  const { runsDir, summary: s } = await fixtureRun();
  const out = `${runsDir}/../out1`;
  const res = writeReports({ runsDir, out, now: NOW });
  assert.equal(res.run, s.id);
  for (const dir of [out, `${runsDir}/${s.id}/report`]) {
    for (const f of ["validation.html", "backtest.html", "summary.json"]) {
      assert.ok(Deno.statSync(`${dir}/${f}`).size > 0, `${dir}/${f}`);
    }
  }
  const run = readRun(`${runsDir}/${s.id}`);

  // summary.json: best model = lowest-MSE model, figures copied; best baseline = dmVs
  const sum = JSON.parse(Deno.readTextFileSync(`${out}/summary.json`));
  assert.equal(sum.run, s.id);
  assert.equal(sum.generatedAt, NOW.toISOString());
  assert.equal(sum.dataHash, run.dataHash);
  assert.deepEqual(sum.horizons.map((h: { horizon: number }) => h.horizon), HORIZONS);
  for (const h of sum.horizons) {
    const rows = run.rows.filter((r) => r.horizon === h.horizon);
    const models = rows.filter((r) => r.kind === "model");
    const best = models.reduce((a, b) => (b.mse < a.mse ? b : a));
    const base = rows.find((r) => r.model === best.dmVs)!;
    assert.equal(h.best.model, best.model);
    assert.equal(h.bestBaseline.model, base.model);
    for (const k of ["r2", "mse", "dmP", "dmPBetter", "sharpe", "hitRate"] as const) {
      assert.equal(h.best[k], best[k], `h${h.horizon} best.${k}`);
    }
    for (const k of ["r2", "mse", "sharpe"] as const) {
      assert.equal(h.bestBaseline[k], base[k], `h${h.horizon} baseline.${k}`);
    }
    assert.equal(h.beatsBaseline, best.mse < base.mse);
  }

  // validation.html: one metrics table per horizon, every cell's data-value = metrics.json
  const html = Deno.readTextFileSync(`${out}/validation.html`);
  const tables = readTables(html);
  const metricTables = tables.filter((t) => t.className === "metrics");
  assert.equal(metricTables.length, HORIZONS.length);
  const labels: Record<string, string> = {
    "R²": "r2",
    MAE: "mae",
    RMSE: "rmse",
    MSE: "mse",
    "hit rate": "hitRate",
    n: "n",
    Sharpe: "sharpe",
    "bt hit": "btHitRate",
    "cover 80 %": "coverage80",
  };
  HORIZONS.forEach((h, k) => {
    const recs = tableRecords(metricTables[k]);
    const rows = run.rows.filter((r) => r.horizon === h);
    assert.deepEqual(recs.map((r) => r.forecaster.text), rows.map((r) => r.model));
    recs.forEach((rec, i) => {
      for (const [label, key] of Object.entries(labels)) {
        if (!(label in rec)) continue;
        same(
          val(rec[label]),
          (rows[i] as unknown as Record<string, number>)[key],
          `h${h} ${label}`,
        );
      }
    });
    assert.ok("R²" in recs[0] && "hit rate" in recs[0] && "Sharpe" in recs[0]);
  });
  const dmTables = tables.filter((t) => t.className === "dm");
  assert.equal(dmTables.length, HORIZONS.length);
  HORIZONS.forEach((h, k) => {
    const rows = run.rows.filter((r) => r.horizon === h);
    tableRecords(dmTables[k]).forEach((rec, i) => {
      same(val(rec["DM statistic"]), rows[i].dmStat, "dmStat");
      same(val(rec["p (two-sided)"]), rows[i].dmP, "dmP");
      same(val(rec["p (better)"]), rows[i].dmPBetter, "dmPBetter");
      assert.equal(rec["vs (best baseline)"].text, rows[i].dmVs);
    });
  });
  // charts: R² and hit rate, then calibration + errors per horizon; no scripts, no externals
  assert.equal(html.match(/<svg xmlns/g)?.length, 2 + 2 * HORIZONS.length);
  assert.ok(!/<script|<link|src="http|href="http/.test(html));
  assert.ok(html.includes(run.dataHash));
  assert.ok(html.includes(run.segments.test.startIso));
});

Deno.test("report: the backtest table recomputed from predictions equals the run's figures", async () => {
  const { runsDir, summary: s } = await fixtureRun();
  const out = `${runsDir}/../out1`;
  writeReports({ runsDir, out, now: NOW, perRun: false });
  const run = readRun(`${runsDir}/${s.id}`);
  const html = Deno.readTextFileSync(`${out}/backtest.html`);
  const tables = readTables(html).filter((t) => t.className === "backtest");
  assert.equal(tables.length, HORIZONS.length);
  HORIZONS.forEach((h, k) => {
    const rows = run.rows.filter((r) => r.horizon === h) as unknown as Record<string, number>[];
    const recs = tableRecords(tables[k]);
    assert.equal(recs.length, rows.length);
    recs.forEach((rec, i) => {
      const r = rows[i];
      same(val(rec.Sharpe), r.sharpe, `h${h} ${r.model} sharpe`);
      same(val(rec["hit rate"]), r.btHitRate, `h${h} ${r.model} hit`);
      same(val(rec.trades), r.btTrades, `h${h} ${r.model} trades`);
      same(val(rec["PnL (net)"]), r.btTotal, `h${h} ${r.model} total`);
      if ("sharpeGross" in r) same(val(rec["Sharpe gross"]), r.sharpeGross, "sharpeGross");
      if ("turnover" in r) same(val(rec.turnover), r.turnover, "turnover");
      if ("maxDrawdown" in r) same(val(rec["max DD (worst pair)"]), r.maxDrawdown, "maxDD");
    });
  });
  assert.ok(html.includes("agree with metrics.json"));
  // per horizon: portfolio equity + drawdown (one line per forecaster) + per-pair equity
  assert.equal(html.match(/<svg xmlns/g)?.length, 3 * HORIZONS.length);
  const lines = [...html.matchAll(/aria-label="line"[^>]*>(.*?)<\/g>/g)].map((m) =>
    m[1].match(/<path /g)?.length ?? 0
  );
  const perHorizon = run.rows.length / HORIZONS.length;
  assert.deepEqual(lines, HORIZONS.flatMap(() => [perHorizon, perHorizon, 3]));
});

Deno.test("report: same run and time → byte-identical files; only the time differs otherwise", async () => {
  const { runsDir } = await fixtureRun();
  const a = `${runsDir}/../outA`, b = `${runsDir}/../outB`, c = `${runsDir}/../outC`;
  writeReports({ runsDir, out: a, now: NOW, perRun: false });
  writeReports({ runsDir, out: b, now: NOW, perRun: false });
  const later = new Date(NOW.getTime() + 86_400_000 * 3);
  writeReports({ runsDir, out: c, now: later, perRun: false });
  for (const f of ["validation.html", "backtest.html", "summary.json"]) {
    const x = Deno.readFileSync(`${a}/${f}`), y = Deno.readFileSync(`${b}/${f}`);
    assert.deepEqual(x, y, f);
    const z = Deno.readTextFileSync(`${c}/${f}`);
    assert.notEqual(z, new TextDecoder().decode(x));
    assert.equal(
      z.replaceAll(later.toISOString(), NOW.toISOString()),
      new TextDecoder().decode(x),
      `${f} differs only in the generation time`,
    );
  }
});

Deno.test("report: model names are escaped in both pages", () => {
  const evil = `<img src=x onerror="alert(1)">&`;
  const { run, predictions } = syntheticRun(3, [evil]);
  const v = validationReport(run, { now: NOW, predictions }).html;
  const b = backtestReport(run, { now: NOW, predictions }).html;
  for (const html of [v, b]) {
    assert.ok(!html.includes("<img"), "raw tag leaked");
    assert.ok(html.includes("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;"));
  }
  // and the tables give the name back intact
  const [t] = readTables(v).filter((x) => x.className === "metrics");
  assert.equal(t.rows[0][0].text, evil);
});

Deno.test("report: walk-forward folds, folds.csv and breakdown.json get their own sections", () => {
  const { run, predictions } = syntheticRun(8);
  const span = (d: number, rows: number) => ({
    startIso: new Date(Date.UTC(2024, 0, d)).toISOString(),
    endIso: new Date(Date.UTC(2024, 0, d + 1)).toISOString(),
    rows,
  });
  run.kind = "walkforward";
  run.segments = {};
  run.config.folds = [0, 1, 2].map((i) => ({
    index: i,
    train: span(1 + i, 100),
    valid: span(2 + i, 20),
    test: span(3 + i, 50 + i),
    partial: i === 2,
  }));
  const names = ["ridge", "zero_change", "train_mean", "ridge_ar"];
  const foldRows = [15, 30].flatMap((h) =>
    [0, 1, 2].flatMap((f) =>
      names.map((m, j) => ({ fold: f, horizon: h, model: m, r2: (f - j) / 100 }))
    )
  );
  run.foldsCsv = "fold,horizon,model,r2\n" +
    foldRows.map((r) => `${r.fold},${r.horizon},${r.model},${r.r2}`).join("\n") + "\n";
  run.breakdown = [15, 30].flatMap((h) =>
    ["tokyo", "london"].flatMap((g, k) =>
      names.map((m, j) => ({
        horizon: h,
        model: m,
        kind: "x",
        by: "session",
        group: g,
        r2: k - j,
        hitRate: 0.5,
      }))
    )
  );
  const html = validationReport(run, { now: NOW, predictions }).html;
  const tables = readTables(html);
  const folds = tables.find((t) => t.caption.startsWith("Walk-forward folds"))!;
  assert.deepEqual(folds.rows.map((r) => r[6].text), ["50", "51", "52"]); // kept test rows
  assert.deepEqual(folds.rows.map((r) => r[7].text), ["no", "no", "yes"]);
  for (const h of [15, 30]) {
    const t = tables.find((x) => x.caption.startsWith(`R² per fold (h = ${h})`))!;
    assert.deepEqual(t.head, ["forecaster", "fold 0", "fold 1", "fold 2"]);
    tableRecords(t).forEach((rec, j) => {
      for (const f of [0, 1, 2]) assert.equal(val(rec[`fold ${f}`]), (f - j) / 100);
    });
    const b = tables.find((x) => x.caption === `R² by session (h = ${h})`)!;
    assert.deepEqual(
      tableRecords(b).map((r) => [val(r.tokyo), val(r.london)]),
      names.map((_, j) => [0 - j, 1 - j]),
    );
  }
  // one dot per fold × forecaster in each fold chart
  const circles = [...html.matchAll(/aria-label="dot"[^>]*>(.*?)<\/g>/g)].map((m) =>
    m[1].match(/<circle /g)?.length ?? 0
  );
  assert.ok(circles.filter((n) => n === 12).length >= 2, JSON.stringify(circles));
  assert.ok(html.includes('href="#folds"') && html.includes('href="#breakdown"'));
});

Deno.test("newestRun() picks the latest stamped id; reportTime() reads --now / SOURCE_DATE_EPOCH", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bqx_runs_" });
  try {
    for (const id of ["20240102T000000Z-aa", "20240301T120000Z-bb", "20240215T000000Z-cc"]) {
      Deno.mkdirSync(`${dir}/${id}`);
      Deno.writeTextFileSync(`${dir}/${id}/metrics.json`, "{}");
    }
    Deno.mkdirSync(`${dir}/.20250101T000000Z-tmp.1.tmp`);
    assert.equal(newestRun(dir), "20240301T120000Z-bb");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assert.throws(() => newestRun(`${dir}/nope`), /No runs directory/);
  assert.equal(reportTime("2024-06-01T12:00:00Z").getTime(), NOW.getTime());
  assert.equal(reportTime(undefined, String(NOW.getTime() / 1000)).getTime(), NOW.getTime());
  assert.throws(() => reportTime("yesterday"), /Invalid --now "yesterday"/);
  assert.throws(() => reportTime(undefined, "x"), /Invalid SOURCE_DATE_EPOCH "x"/);
});

Deno.test("deno task report: the CLI writes the three files and rejects unknown flags", async () => {
  try {
    const { runsDir, summary: s } = await fixtureRun();
    const out = `${runsDir}/../cli`, ref = `${runsDir}/../ref`;
    writeReports({ runsDir, out: ref, now: NOW, perRun: false });
    const cmd = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "lib/cli/report.ts", ...args],
        env: { SOURCE_DATE_EPOCH: String(NOW.getTime() / 1000) },
        stdout: "piped",
        stderr: "piped",
      }).output();
    const ok = await cmd(["--runs", runsDir, "--out", out, "--no-per-run"]);
    assert.equal(ok.code, 0, new TextDecoder().decode(ok.stderr));
    assert.match(new TextDecoder().decode(ok.stdout), new RegExp(`run ${s.id}`));
    const sum = JSON.parse(Deno.readTextFileSync(`${out}/summary.json`));
    assert.equal(sum.generatedAt, NOW.toISOString());
    for (const f of ["validation.html", "backtest.html", "summary.json"]) {
      assert.deepEqual(
        Deno.readFileSync(`${out}/${f}`),
        Deno.readFileSync(`${ref}/${f}`),
        `${f}: the CLI (SOURCE_DATE_EPOCH) and writeReports (now) give the same bytes`,
      );
    }
    const bad = await cmd(["--bogus"]);
    assert.equal(bad.code, 1);
    assert.match(new TextDecoder().decode(bad.stderr), /--bogus/);
  } finally {
    await removeFixture();
  }
});
