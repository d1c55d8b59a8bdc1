/**
 * Model layer (SPEC §7): the common interface (fit / predict / save, seeded) and the models built so
 * far — closed-form ridge, histogram gradient-boosted trees and a random forest on the same tree core, and a
 * 3-layer MLP, an LSTM over look-back windows, a multi-task network (one head per horizon) and
 * an autoencoder for embeddings on tfjs (backend chosen at start: tfjs-node-gpu → tfjs-node →
 * webgpu → wasm → cpu).
 * @module
 */
export * from "./base.ts";
export * from "./gbdt/mod.ts";
export * from "./ridge.ts";
export * from "./mlp.ts";
export * from "./lstm.ts";
export * from "./multiTask.ts";
export * from "./autoencoder.ts";
export * from "./backend.ts";
export * from "./train.ts";
