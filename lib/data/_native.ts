/**
 * Native-memory hygiene for nodejs-polars: frames hold Rust memory that is freed only when their JS
 * wrappers are collected and the finalizers run, which happens on the event loop. Long loops over
 * pairs or months call {@linkcode releaseNative} between items so peak RSS stays at one item's worth.
 * When Deno runs with `--v8-flags=--expose-gc` (the deno tasks do), a full collection is forced first.
 * @module
 */

/** Collect garbage if exposed, then yield one macrotask so finalizers can free native buffers. */
export function releaseNative(): Promise<void> {
  (globalThis as { gc?: () => void }).gc?.();
  return new Promise((resolve) => setTimeout(resolve, 0));
}
