/**
 * Progress for long work: a bar with rate and ETA on a terminal (stderr, redrawn in place), a
 * plain line every few seconds when stderr is not a terminal (CI logs, Jupyter), nothing when
 * `BQX_QUIET=1`. Long loops call `tick()`; stages call `done()`. A notebook can route every bar to
 * its cell with {@linkcode setProgressSink} (stderr writes do not reach a Jupyter cell).
 *
 * @example
 * ```ts
 * import { progress } from "./progress.ts";
 * const p = progress("build", 3, { silent: true });
 * for (let i = 0; i < 3; i++) p.tick(1, `pair ${i}`);
 * p.done();
 * ```
 * @module
 */

/** Options of {@linkcode progress}. */
export interface ProgressOptions {
  /** Print nothing. @default env BQX_QUIET === "1" */
  silent?: boolean;
  /** Unit shown after counts. @default "" */
  unit?: string;
  /** Seconds between plain lines when not on a terminal. @default 5 */
  every?: number;
}

/** A running progress display. */
export interface Progress {
  /** Advance by `n` (default 1), with an optional note (current item). */
  tick(n?: number, note?: string): void;
  /** Finish: print the total time; returns elapsed seconds. */
  done(note?: string): number;
}

/** Receives rendered progress lines instead of stderr; `final` marks a bar's `done()` line. */
export type ProgressSink = (line: string, final: boolean) => void;

let sink: ProgressSink | undefined;

/**
 * Send the lines of every bar started afterwards to `fn` (throttled to one every 250 ms, plus the
 * final line) instead of stderr; `undefined` restores stderr.
 * @example
 * ```ts
 * import { progress, setProgressSink } from "./progress.ts";
 * import assert from "node:assert/strict";
 * const lines: string[] = [];
 * setProgressSink((line) => lines.push(line));
 * const p = progress("build", 2, { silent: false });
 * p.tick();
 * p.tick();
 * p.done();
 * setProgressSink(undefined);
 * assert.match(lines.at(-1)!, /^build: 2\/2 in /);
 * ```
 */
export function setProgressSink(fn: ProgressSink | undefined): void {
  sink = fn;
}

function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${s.toFixed(1)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
}

/** Start a progress display for `total` units of work labelled `label`. */
export function progress(label: string, total: number, options: ProgressOptions = {}): Progress {
  const { silent = Deno.env.get("BQX_QUIET") === "1", unit = "", every = 5 } = options;
  const tty = Deno.stderr.isTerminal();
  const t0 = performance.now();
  let done = 0, lastPrint = 0;
  const enc = new TextEncoder();
  const out = sink;
  const write = (s: string) => Deno.stderr.writeSync(enc.encode(s));
  const render = (note = "") => {
    const el = (performance.now() - t0) / 1000;
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const eta = frac > 0 ? el * (1 - frac) / frac : Infinity;
    const width = 24, full = Math.round(frac * width);
    const bar = "█".repeat(full) + "░".repeat(width - full);
    return `${label} ${bar} ${done}/${total}${unit ? " " + unit : ""} ${
      (frac * 100).toFixed(0)
    }% ` +
      `${fmtSeconds(el)} elapsed, ETA ${fmtSeconds(eta)}${note ? " · " + note : ""}`;
  };
  return {
    tick(n = 1, note?: string) {
      done += n;
      if (silent) return;
      const now = performance.now();
      if (out) {
        if (now - lastPrint > 250 || done >= total) {
          out(render(note), false);
          lastPrint = now;
        }
      } else if (tty) {
        if (now - lastPrint > 100 || done >= total) {
          write(`\r\x1b[2K${render(note)}`);
          lastPrint = now;
        }
      } else if (now - lastPrint > every * 1000 || done >= total) {
        write(`${render(note)}\n`);
        lastPrint = now;
      }
    },
    done(note?: string) {
      const el = (performance.now() - t0) / 1000;
      if (!silent && out) {
        out(
          `${label}: ${done}/${total}${unit ? " " + unit : ""} in ${fmtSeconds(el)}${
            note ? " · " + note : ""
          }`,
          true,
        );
      } else if (!silent) {
        write(
          `${tty ? "\r\x1b[2K" : ""}${label}: ${done}/${total}${unit ? " " + unit : ""} in ${
            fmtSeconds(el)
          }${note ? " · " + note : ""}\n`,
        );
      }
      return el;
    },
  };
}
