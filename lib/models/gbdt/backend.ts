/**
 * Tree backends: the same `beginTree` / `step` protocol served by one in-thread
 * {@linkcode HistEngine}, or by one engine per Web Worker over SharedArrayBuffer data, each owning a
 * contiguous block of the tree's features (per-feature-block histograms and split search; no
 * histogram reduction is needed, and the grower only merges the per-block best splits).
 * Splits merged with `better()` are exactly those one thread finds, so the thread count never
 * changes a model. Workers start in ~0.1 s and add one message round trip per tree level, so small
 * data stay on one thread (the models' `parallelMinCells`).
 *
 * @example
 * ```ts
 * import { createBackend } from "./backend.ts";
 * import { prepareData } from "./tree.ts";
 * import assert from "node:assert/strict";
 * const data = prepareData(new Uint8Array([0, 1]), 2, 1, Uint16Array.of(2), false);
 * const backend = await createBackend(data, 1);
 * assert.equal(backend.threads, 1);
 * backend.close();
 * ```
 * @module
 */
import { HistEngine, type SharedData, SPLIT_STRIDE, type StepRequest } from "./_engine.ts";
import { better, newSplit, type Split, type SplitParams } from "./split.ts";

export type { HistTask, SharedData, SplitTask, StepRequest } from "./_engine.ts";

/** What the tree grower talks to. */
export interface Backend {
  readonly threads: number;
  beginTree(features: Int32Array, params: SplitParams, unitHess: boolean): void;
  /** Run a step; one merged best split per split task. */
  step(req: StepRequest): Promise<Split[]>;
  close(): void;
}

function decode(res: Float64Array, i: number, out: Split): Split {
  const o = i * SPLIT_STRIDE;
  out.gain = res[o], out.feature = res[o + 1], out.bin = res[o + 2];
  out.defaultLeft = res[o + 3] === 1, out.GL = res[o + 4], out.HL = res[o + 5];
  return out;
}

class LocalBackend implements Backend {
  readonly threads = 1;
  private engine: HistEngine;
  constructor(data: SharedData) {
    this.engine = new HistEngine(data);
  }
  beginTree(features: Int32Array, params: SplitParams, unitHess: boolean): void {
    this.engine.beginTree({ features, unitHess, ...params });
  }
  step(req: StepRequest): Promise<Split[]> {
    const res = this.engine.step(req);
    return Promise.resolve(req.split.map((_, i) => decode(res, i, newSplit())));
  }
  close(): void {}
}

class WorkerBackend implements Backend {
  private pending: ((m: { res?: Float64Array; error?: string }) => void)[] = [];
  private active = 0;
  private constructor(private workers: Worker[]) {}
  get threads(): number {
    return this.workers.length;
  }

  static async create(data: SharedData, n: number): Promise<WorkerBackend> {
    const url = new URL("./_worker.ts", import.meta.url).href;
    const workers = Array.from({ length: n }, () => new Worker(url, { type: "module" }));
    const b = new WorkerBackend(workers);
    workers.forEach((w, i) => {
      w.onmessage = (e: MessageEvent) => b.pending[i]?.(e.data);
      w.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        b.pending[i]?.({ error: `Tree worker failed: ${e.message}` });
      };
    });
    try {
      await Promise.all(workers.map((_, i) => b.call(i, { op: "init", data })));
    } catch (e) {
      b.close();
      throw e;
    }
    return b;
  }

  private call(i: number, msg: unknown): Promise<Float64Array | undefined> {
    return new Promise((resolve, reject) => {
      this.pending[i] = (m) => {
        this.pending[i] = undefined as never;
        if (m.error) reject(new Error(m.error));
        else resolve(m.res);
      };
      this.workers[i].postMessage(msg);
    });
  }

  beginTree(features: Int32Array, params: SplitParams, unitHess: boolean): void {
    // contiguous feature blocks, one per worker (fewer workers when there are few features)
    this.active = Math.min(this.workers.length, features.length);
    for (let i = 0; i < this.active; i++) {
      const a = Math.floor((i * features.length) / this.active);
      const b = Math.floor(((i + 1) * features.length) / this.active);
      this.workers[i].postMessage({
        op: "tree",
        setup: { features: features.slice(a, b), unitHess, ...params },
      });
    }
  }

  async step(req: StepRequest): Promise<Split[]> {
    const parts = await Promise.all(
      Array.from({ length: this.active }, (_, i) => this.call(i, { op: "step", req })),
    );
    return req.split.map((_, j) => {
      const best = newSplit(), s = newSplit();
      for (const res of parts) if (better(decode(res!, j, s), best)) Object.assign(best, s);
      return best;
    });
  }

  close(): void {
    for (const w of this.workers) w.terminate();
    this.workers = [];
  }
}

/**
 * A backend on `threads` threads: in-thread for 1, Web Workers otherwise (the data must then sit
 * on SharedArrayBuffers).
 */
export async function createBackend(data: SharedData, threads: number): Promise<Backend> {
  return threads <= 1 ? new LocalBackend(data) : await WorkerBackend.create(data, threads);
}
