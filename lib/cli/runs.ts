/**
 * `deno task runs`: list the run directories under `reports/runs` (or `--dir`), oldest first, with
 * headline metrics: per horizon the best model (lowest test MSE among the models, baselines
 * excluded), its test R², its DM p-value against the best baseline, and that baseline's R², its hit
 * rate and its Sharpe net of spread costs (gross in brackets). Walk-forward runs
 * (`deno task evaluate`) are marked `[walkforward, N folds]` and scored on their pooled
 * out-of-sample rows.
 * @module
 */
import { readRun, type RunSummary } from "../eval/run.ts";
import { main, parseFlags } from "./_args.ts";

/** One line per run (and horizon) of the listing. */
export function listRuns(dir: string): string[] {
  let names: string[];
  try {
    names = [...Deno.readDirSync(dir)].filter((e) => e.isDirectory && !e.name.startsWith("."))
      .map((e) => e.name).sort();
  } catch {
    return [`no runs in ${dir}`];
  }
  const out: string[] = [];
  const f = (v: number, d = 4) => (Number.isFinite(v) ? v.toFixed(d) : "-");
  for (const name of names) {
    let s: RunSummary;
    try {
      s = readRun(`${dir}/${name}`);
    } catch {
      out.push(`${name}  (incomplete: no readable metrics.json)`);
      continue;
    }
    const pairs = (s.config.pairs as string[]) ?? [];
    const kind = (s.config.kind as string | undefined) ?? "split";
    const folds = (s.config.folds as unknown[] | undefined)?.length;
    out.push(
      `${name}  [${kind}${folds ? `, ${folds} folds` : ""}]  pairs ${pairs.join(",")}  models ${
        (s.config.models as string[]).join(",")
      }`,
    );
    for (const h of [...new Set(s.rows.map((r) => r.horizon))]) {
      const rows = s.rows.filter((r) => r.horizon === h);
      const models = rows.filter((r) => r.kind === "model" && Number.isFinite(r.mse));
      const best = models.sort((a, b) => a.mse - b.mse)[0];
      const base = rows.find((r) => r.model === rows[0].dmVs);
      out.push(
        best
          ? `  h${h}: best ${best.model} R2 ${f(best.r2)}  DM p ${f(best.dmP)} vs ${best.dmVs} ` +
            `(R2 ${f(base?.r2 ?? NaN)})  hit ${f(best.hitRate, 3)}  Sharpe ${f(best.sharpe, 2)} (${
              f(best.sharpeGross, 2)
            })`
          : `  h${h}: no model rows`,
      );
    }
  }
  return out;
}

if (import.meta.main) {
  await main(() => {
    const f = parseFlags({ dir: "string" });
    console.log(listRuns(f.dir ?? "reports/runs").join("\n"));
  });
}
