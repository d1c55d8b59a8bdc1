/**
 * Read and validate many files on all cores: each file goes to a Web Worker running
 * {@linkcode readBars} + {@linkcode validate}; valid bars come back as Arrow IPC. Results are returned
 * in file order, and when files fail, the error of the first failing file (in file order) is thrown,
 * so the outcome does not depend on which worker finished first.
 * @module
 */
import pl from "nodejs-polars";
import { Buffer } from "node:buffer";
import { type BarFormat, DataError, type HistDataTz, readBars } from "./readBars.ts";
import { type Policy, validate, type ValidationReport } from "./validate.ts";

/** One read-and-validated file. */
export interface ReadValidated {
  file: string;
  format: string;
  seconds: number;
  bars: pl.DataFrame;
  report: ValidationReport;
}

/** Options of {@linkcode readValidated}. */
export interface ReadValidatedOptions {
  format?: BarFormat;
  tz?: HistDataTz;
  onInvalid?: Policy;
  /** Parallel workers; 0 or 1 reads in this thread. @default min(2, cores, files) */
  workers?: number;
  /** Called after each file, in completion order. */
  onFile?: (r: ReadValidated, index: number) => void;
}

/** Read and validate `files`; results in file order. */
export async function readValidated(
  files: readonly string[],
  options: ReadValidatedOptions = {},
): Promise<ReadValidated[]> {
  const { format = "auto", tz = "america/new_york", onInvalid = "reject", onFile } = options;
  const n = Math.min(
    options.workers ?? Math.min(2, navigator.hardwareConcurrency || 1),
    files.length,
  );
  const out: (ReadValidated | undefined)[] = new Array(files.length);
  const errors: (Error | undefined)[] = new Array(files.length);
  if (n <= 1) {
    for (let i = 0; i < files.length; i++) {
      const t0 = performance.now();
      const read = readBars(files[i], { format, tz });
      const { bars, report } = validate(read, { onInvalid });
      out[i] = {
        file: files[i],
        format: read.format,
        seconds: (performance.now() - t0) / 1e3,
        bars,
        report,
      };
      onFile?.(out[i]!, i);
    }
    return out as ReadValidated[];
  }
  let next = 0;
  const pool = Array.from(
    { length: n },
    () => new Worker(new URL("./_readWorker.ts", import.meta.url).href, { type: "module" }),
  );
  try {
    await Promise.all(pool.map((w) =>
      new Promise<void>((resolve, reject) => {
        const send = () => {
          // stop handing out files after a failure at an earlier index
          const failedAt = errors.findIndex((e) => e);
          if (next >= files.length || (failedAt >= 0 && next > failedAt)) return resolve();
          const id = next++;
          w.postMessage({ id, file: files[id], format, tz, onInvalid });
        };
        w.onmessage = (e: MessageEvent) => {
          const { id, error } = e.data;
          if (error) {
            errors[id] = error.detail
              ? new DataError(error.message, error.detail)
              : Object.assign(new Error(error.message), { name: error.name });
          } else {
            out[id] = {
              file: files[id],
              format: e.data.format,
              seconds: e.data.seconds,
              report: e.data.report,
              bars: pl.readIPC(Buffer.from(e.data.bytes.buffer)),
            };
            onFile?.(out[id]!, id);
          }
          send();
        };
        w.onerror = (e) => {
          e.preventDefault();
          reject(new Error(`Read worker failed: ${e.message}`));
        };
        send();
      })
    ));
  } finally {
    for (const w of pool) w.terminate();
  }
  const first = errors.findIndex((e) => e);
  if (first >= 0) throw errors[first];
  return out as ReadValidated[];
}
