/// <reference lib="deno.worker" />
/**
 * Web Worker behind {@linkcode buildFeatures}: on its first message it opens the store, loads every
 * pair's series and aligns the market (once), then builds each pair it is sent and answers
 * `{ report }` or `{ error }`. Only the light market inputs of every pair stay in memory; a pair's
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

self.onmessage = async (e: MessageEvent) => {
  const { store: spec, pair } = e.data as { store: OpenStoreOptions; pair: string };
  try {
    if (!state) {
      const store = await openStore(spec);
      const present = [...new Set((await store.listPartitions("bqx")).map((p) => p.pair))].sort();
      const light = [];
      for (const p of present) light.push(await loadMarketSeries(store, p));
      state = { store, market: buildMarket(light) };
    }
    const series = await loadSeries(state.store, pair);
    const report = await buildFeaturesForPair(state.store, series, FAMILIES, state.market);
    await releaseNative();
    self.postMessage({ report });
  } catch (err) {
    self.postMessage({ error: `${pair}: ${(err as Error).message}` });
  }
};
