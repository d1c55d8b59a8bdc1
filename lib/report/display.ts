/**
 * Jupyter display helpers for the notebooks (Deno kernel): tables as readable HTML, Observable
 * Plot charts inline as SVG, markdown notes and a progress line that updates in place in the
 * cell. Outside Jupyter (`deno run`, tests) every helper falls back to the console, so a
 * notebook's code also runs as a plain script.
 *
 * Why explicit calls: under `jupyter nbconvert --execute` the Deno kernel can publish a cell's
 * last-expression value after the cell reports idle, and nbclient then drops it (seen with Deno
 * 2.9.6 and nbclient 0.7); `await Deno.jupyter.display(…)` is sent while the cell runs and
 * always lands. So notebooks call `await showTable(…)`, `await showChart(…)` instead of ending a
 * cell with a value.
 *
 * Progress: `lib/progress.ts` writes to stderr, which never reaches a cell;
 * {@linkcode progressInCell} routes every bar of the lib (synth, build, features …) into one
 * updating line of the current cell, and {@linkcode notebookProgress} makes such a line for a
 * notebook's own loop.
 *
 * @example
 * ```ts
 * import { inJupyter, tableHtml } from "./display.ts";
 * import assert from "node:assert/strict";
 * assert.equal(inJupyter(), false); // deno test is not a kernel
 * const html = tableHtml([{ pair: "eurusd", r2: 0.0123456 }]);
 * assert.ok(html.includes('data-value="0.0123456">0.01235<'));
 * ```
 * @module
 */
import * as Plot from "@observablehq/plot";
import { escapeHtml as escape } from "./_html.ts";
import { chartSvg } from "./charts.ts";
import { htmlTable, type TableOptions } from "./tables.ts";
import { type Progress, setProgressSink } from "../progress.ts";

/** True inside the Deno Jupyter kernel (`Deno.jupyter` throws elsewhere). */
export function inJupyter(): boolean {
  try {
    return typeof Deno.jupyter?.display === "function";
  } catch {
    return false;
  }
}

/** Compact table style, scoped to `.bqx` so it does not restyle the notebook. */
const TABLE_STYLE = `<style>
.bqx table{border-collapse:collapse;font:12px/1.35 ui-monospace,Menlo,Consolas,monospace;margin:4px 0}
.bqx caption{text-align:left;font-weight:600;padding:2px 0}
.bqx th,.bqx td{padding:2px 8px;border-bottom:1px solid #e3e6ea;text-align:left}
.bqx th{background:#f4f6f8;position:sticky;top:0}
.bqx td.num{text-align:right}
.bqx td.best{font-weight:700;color:#1f5fbf}
.bqx tr.baseline td{color:#6b7683}
.bqx .more{color:#6b7683;font:11px sans-serif}
</style>`;

/** Options of {@linkcode tableHtml} and {@linkcode showTable}. */
export interface ShowTableOptions extends TableOptions {
  /** Rows shown at most (the rest are counted below the table). @default 50 */
  limit?: number;
}

/**
 * A styled HTML table of records (the report tables' `htmlTable`, limited to `limit` rows).
 * @param records one object per row
 * @param options columns, caption, row classes, row limit
 * @returns `<div class="bqx">…</div>` markup
 * @example
 * ```ts
 * import { tableHtml } from "./display.ts";
 * import assert from "node:assert/strict";
 * const html = tableHtml([{ a: 1 }, { a: 2 }, { a: 3 }], { limit: 2 });
 * assert.equal(html.match(/<tr>/g)?.length, 3); // header + 2 rows
 * assert.ok(html.includes("1 more row"));
 * ```
 */
export function tableHtml(
  records: readonly Record<string, unknown>[],
  options: ShowTableOptions = {},
): string {
  const { limit = 50, ...rest } = options;
  if (!(limit >= 1)) throw new RangeError(`Invalid limit ${limit}: expected >= 1`);
  const shown = records.slice(0, limit);
  const more = records.length - shown.length;
  return `<div class="bqx">${TABLE_STYLE}${htmlTable(shown, rest)}${
    more > 0 ? `<div class="more">… ${more} more row${more === 1 ? "" : "s"}</div>` : ""
  }</div>`;
}

/** Display raw HTML in the cell (console: the tags stripped). */
export async function showHtml(html: string, plain?: string): Promise<void> {
  if (inJupyter()) {
    await Deno.jupyter.display({ "text/html": html, "text/plain": plain ?? stripTags(html) }, {
      raw: true,
    });
  } else console.log(plain ?? stripTags(html));
}

/** Display markdown (console: as is). */
export async function showMarkdown(markdown: string): Promise<void> {
  if (inJupyter()) {
    await Deno.jupyter.display({ "text/markdown": markdown, "text/plain": markdown }, {
      raw: true,
    });
  } else console.log(markdown);
}

/**
 * Display records as an HTML table (console: `console.table`).
 * @param records one object per row
 * @param options columns, caption, row classes, row limit
 */
export async function showTable(
  records: readonly Record<string, unknown>[],
  options: ShowTableOptions = {},
): Promise<void> {
  if (inJupyter()) {
    await Deno.jupyter.display({
      "text/html": tableHtml(records, options),
      "text/plain": `${options.caption ? options.caption + ": " : ""}${records.length} rows`,
    }, { raw: true });
  } else {
    if (options.caption) console.log(options.caption);
    console.table(records.slice(0, options.limit ?? 50));
  }
}

/** Options of {@linkcode showChart}. */
export interface ShowChartOptions {
  /** Title above the chart (escaped). @default none */
  title?: string;
  /** Note below the chart (escaped). @default none */
  note?: string;
}

/**
 * Display an SVG chart string (from `lib/report/charts.ts`) inline (console: its title and size).
 * @param svg `<svg …>` or `<figure>` markup
 * @param options title and note
 */
export async function showChart(svg: string, options: ShowChartOptions = {}): Promise<void> {
  const { title, note } = options;
  if (inJupyter()) {
    const html = `<div class="bqx-chart">${
      title ? `<div style="font:600 13px sans-serif;margin:6px 0 2px">${escape(title)}</div>` : ""
    }${svg}${
      note ? `<div style="font:11px sans-serif;color:#6b7683">${escape(note)}</div>` : ""
    }</div>`;
    await Deno.jupyter.display({ "text/html": html, "text/plain": title ?? "chart" }, {
      raw: true,
    });
  } else console.log(`[chart${title ? ": " + title : ""}, ${svg.length} bytes of SVG]`);
}

/**
 * Render an Observable Plot specification (server-side, `chartSvg`) and display it.
 * @param spec Plot options, e.g. `{ marks: [Plot.lineY(values)] }`
 * @param options title and note
 */
export async function showPlot(
  spec: Plot.PlotOptions,
  options: ShowChartOptions = {},
): Promise<void> {
  await showChart(chartSvg(spec), options);
}

/** A progress line in a cell; `flush()` waits until the last update is sent. */
export interface CellProgress extends Progress {
  flush(): Promise<void>;
}

let displayCounter = 0;

/** One updating display (Jupyter) or a plain stderr line per update (console). */
function updatingLine(): { set(text: string): void; flush(): Promise<void> } {
  const id = `bqx-progress-${Deno.pid}-${++displayCounter}`;
  let first = true;
  let pending: Promise<void> = Promise.resolve();
  const jupyter = inJupyter();
  return {
    set(text: string) {
      if (!jupyter) {
        console.error(text);
        return;
      }
      const bundle = {
        "text/plain": text,
        "text/html": `<pre style="margin:0;font:12px ui-monospace,Menlo,monospace">${
          escape(text)
        }</pre>`,
      };
      const opts = first
        ? { raw: true, display_id: id }
        : { raw: true, display_id: id, update: true };
      first = false;
      // displays are sent in call order; errors (a closed kernel) are not the caller's problem
      pending = pending.then(() => Deno.jupyter.display(bundle, opts)).catch(() => {});
    },
    flush: () => pending,
  };
}

/**
 * A progress bar for a notebook's own loop: one line that updates in place (console: a line per
 * update on stderr).
 * @param label what is running
 * @param total units of work
 * @param options unit shown after counts
 */
export function notebookProgress(
  label: string,
  total: number,
  options: { unit?: string } = {},
): CellProgress {
  const { unit = "" } = options;
  const line = updatingLine();
  const t0 = performance.now();
  let done = 0, last = 0;
  const render = (note?: string) => {
    const el = (performance.now() - t0) / 1e3;
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const bar = "█".repeat(Math.round(frac * 20)).padEnd(20, "░");
    const eta = frac > 0 ? el * (1 - frac) / frac : NaN;
    return `${label} ${bar} ${done}/${total}${unit ? " " + unit : ""} · ${el.toFixed(1)}s${
      Number.isFinite(eta) && frac < 1 ? `, ETA ${eta.toFixed(0)}s` : ""
    }${note ? " · " + note : ""}`;
  };
  return {
    tick(n = 1, note?: string) {
      done += n;
      const now = performance.now();
      if (now - last > 250 || done >= total) {
        line.set(render(note));
        last = now;
      }
    },
    done(note?: string) {
      const el = (performance.now() - t0) / 1e3;
      line.set(
        `${label}: ${done}/${total}${unit ? " " + unit : ""} in ${el.toFixed(1)}s${
          note ? " · " + note : ""
        }`,
      );
      return el;
    },
    flush: () => line.flush(),
  };
}

/**
 * Run `fn` with every `lib/progress.ts` bar drawn into this cell: the running bar on one
 * updating line, finished bars kept above it. Outside Jupyter the bars go to stderr as usual.
 * @param fn the long work (a build, a training run)
 * @returns what `fn` returns
 */
export async function progressInCell<T>(fn: () => Promise<T> | T): Promise<T> {
  if (!inJupyter()) return await fn();
  const finished: string[] = [];
  const line = updatingLine();
  setProgressSink((text, final) => {
    if (final) finished.push(text);
    line.set([...finished, ...(final ? [] : [text])].join("\n"));
  });
  try {
    return await fn();
  } finally {
    setProgressSink(undefined);
    await line.flush();
  }
}

function stripTags(html: string): string {
  return html.replace(/<style[\s\S]*?<\/style>/g, "").replace(/<[^>]+>/g, " ").replace(
    /\s+/g,
    " ",
  ).trim();
}
