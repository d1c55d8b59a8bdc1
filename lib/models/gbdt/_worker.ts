/// <reference lib="deno.worker" />
/**
 * Web Worker behind the threaded tree backend (internal): holds one {@linkcode HistEngine} on the
 * shared data it receives first (`{ op: "init", data }`), then answers `tree` (no reply) and `step`
 * messages in order with `{ res }` or `{ error }`.
 * @module
 */
import { HistEngine } from "./_engine.ts";

let engine: HistEngine | undefined;

self.onmessage = (e: MessageEvent) => {
  const m = e.data;
  try {
    if (m.op === "init") {
      engine = new HistEngine(m.data);
      self.postMessage({ ready: true });
    } else if (m.op === "tree") {
      engine!.beginTree(m.setup);
    } else if (m.op === "step") {
      const res = engine!.step(m.req);
      self.postMessage({ res }, [res.buffer as ArrayBuffer]);
    }
  } catch (err) {
    self.postMessage({ error: (err as Error).message });
  }
};
