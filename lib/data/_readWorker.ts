/// <reference lib="deno.worker" />
/**
 * Web Worker behind {@linkcode readValidated}: reads and validates one file, answers the valid bars
 * as Arrow IPC bytes (transferred, not copied) plus the validation report, or the DataError's
 * message and detail so the parent can rethrow it unchanged.
 * @module
 */
import { releaseNative } from "./_native.ts";
import { DataError, readBars } from "./readBars.ts";
import { validate } from "./validate.ts";

self.onmessage = async (e: MessageEvent) => {
  const { id, file, format, tz, onInvalid } = e.data;
  try {
    const t0 = performance.now();
    const read = readBars(file, { format, tz });
    const { bars, report } = validate(read, { onInvalid });
    const ipc = bars.writeIPC();
    const bytes = new Uint8Array(ipc.buffer, ipc.byteOffset, ipc.byteLength).slice();
    const seconds = (performance.now() - t0) / 1000;
    self.postMessage({ id, format: read.format, seconds, report, bytes }, [bytes.buffer]);
  } catch (err) {
    const d = err instanceof DataError
      ? {
        file: err.file,
        line: err.line,
        field: err.field,
        value: err.value,
        expected: err.expected,
        reason: err.reason,
      }
      : undefined;
    self.postMessage({
      id,
      error: { name: (err as Error).name, message: (err as Error).message, detail: d },
    });
  }
  await releaseNative();
};
