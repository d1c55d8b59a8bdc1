/**
 * `deno task report [--run <id>] [--runs reports/runs] [--out reports] [--now <ISO>] [--no-per-run]`:
 * the validation page, the backtest page and summary.json of one run (default: the newest) into
 * `--out`, and the same files into `<runs>/<id>/report/`. `--now` (or `SOURCE_DATE_EPOCH`, in
 * seconds) fixes the generation time, the only field that changes between two reports of a run.
 * @module
 */
import { reportTime, writeReports } from "../report/generate.ts";
import { main, parseFlags } from "./_args.ts";

if (import.meta.main) {
  await main(() => {
    const f = parseFlags({
      run: "string",
      runs: "string",
      out: "string",
      now: "string",
      "no-per-run": "boolean",
    });
    const t0 = performance.now();
    const res = writeReports({
      run: f.run,
      runsDir: f.runs ?? "reports/runs",
      out: f.out ?? "reports",
      now: reportTime(f.now, Deno.env.get("SOURCE_DATE_EPOCH")),
      perRun: !f["no-per-run"],
    });
    console.log(`run ${res.run}`);
    for (const h of res.summary.horizons) {
      const b = h.best;
      const f4 = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v.toFixed(4) : "-");
      console.log(
        b
          ? `  h${h.horizon}: best ${b.model} R2 ${f4(b.r2)} DM p ${f4(b.dmP)} vs ${
            h.bestBaseline?.model ?? "-"
          } (R2 ${f4(h.bestBaseline?.r2)}) Sharpe ${f4(b.sharpe)}`
          : `  h${h.horizon}: no model rows`,
      );
    }
    for (const p of res.files) console.log(`wrote ${p}`);
    console.log(`${((performance.now() - t0) / 1e3).toFixed(1)} s`);
  });
}
