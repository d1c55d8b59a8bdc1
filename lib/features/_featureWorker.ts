/// <reference lib="deno.worker" />
/**
 * Web Worker behind {@linkcode buildFeatures}: on its first message it opens the store, loads every
 * pair's series and aligns the market (once), then builds each pair it is sent and answers
 * `{ report }` or `{ error }`. A pair's commit (fsyncs, renames, manifest update) completes while
 * the next pair is computed; `{ flush: true }` waits for the last one (answer `{ flushed }`). Only the light market inputs of every pair stay in memory; a pair's
 * full series is loaded when it is built.
 * @module
 */
import { releaseNative } from "../data/_native.ts";
import { openStore, type OpenStoreOptions, type Store } from "../data/store.ts";
import type { Market } from "./_types.ts";
import { buildFeaturesForPair, loadMarketSeries, loadSeries } from "./build.ts";
import { buildMarket } from "./market.ts";
import { FAMILIES } from "./registry.ts";

let state: { store: Store; market: Market } | undefined;
/** The previous pair's commit (fsyncs, renames, manifest), awaited after the next pair is staged. */
let pending: Promise<unknown> | undefined;

self.onmessage = async (e: MessageEvent) => {
  const { store: spec, pair, flush } = e.data as {
    store: OpenStoreOptions;
    pair?: string;
    flush?: boolean;
  };
  try {
    if (flush) {
      // the build is over: wait for the last commit
      const p = pending;
      pending = undefined;
      await p;
      self.postMessage({ flushed: true });
      return;
    }
    const t0 = performance.now();
    let init = 0;
    if (!state) {
      const store = await openStore(spec);
      const present = [...new Set((await store.listPartitions("bqx")).map((p) => p.pair))].sort();
      const light = [];
      for (const p of present) light.push(await loadMarketSeries(store, p));
      state = { store, market: buildMarket(light) };
      init = (performance.now() - t0) / 1e3;
    }
    const t1 = performance.now();
    const series = await loadSeries(state.store, pair!);
    const load = (performance.now() - t1) / 1e3;
    const previous = pending;
    pending = undefined;
    const report = await buildFeaturesForPair(state.store, series, FAMILIES, state.market, {
      deferCommit: (p) => pending = p,
    });
    // the previous pair's files were written before this pair's compute: its fsyncs are done
    const t2 = performance.now();
    await previous;
    await releaseNative();
    report.seconds = {
      ...report.seconds,
      init,
      load,
      wait: (performance.now() - t2) / 1e3,
    };
    self.postMessage({ report });
  } catch (err) {
    self.postMessage({ error: `${pair ?? "last commit"}: ${(err as Error).message}` });
  }
};
