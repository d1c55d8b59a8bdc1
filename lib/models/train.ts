/**
 * The training loop for tfjs models, in nanoGPT's `train.py` shape (SPEC §7): shuffle with a seeded
 * PRNG, one pass of mini-batch steps per epoch, evaluate on the validation set every epoch, keep a
 * checkpoint of the best validation weights (in JS memory, not tensors), stop after `patience`
 * epochs without improvement, restore the best weights, and print one progress line per epoch
 * (samples/s, train loss, valid loss). It reads top to bottom; the network lives in `mlp.ts`.
 *
 * The model is anything {@linkcode Trainable}: a train step on one batch (returns its loss), a
 * loss on a whole segment (no dropout), and get/set of its weights as Float32Arrays.
 * @module
 */

/** What the loop needs from a network. */
export interface Trainable {
  /** One optimizer step on a batch (row-major x, rows = y.length); returns the batch loss. */
  trainStep(x: Float32Array, y: Float32Array, w: Float32Array | undefined, step: number): number;
  /** Mean loss over a segment in evaluation mode (no dropout), computed in batches. */
  evalLoss(x: Float32Array, y: Float32Array, w: Float32Array | undefined): number;
  /** Copies of the current weights. */
  getWeights(): Float32Array[];
  /** Overwrite the weights with copies from {@linkcode Trainable.getWeights}. */
  setWeights(ws: Float32Array[]): void;
}

/** One epoch's record. */
export interface EpochLog {
  epoch: number;
  train: number;
  valid?: number;
  samplesPerSecond: number;
  seconds: number;
}

/** Loop inputs: standardized row-major matrices with `cols` columns. */
export interface TrainLoopOptions {
  model: Trainable;
  cols: number;
  xTrain: Float32Array;
  yTrain: Float32Array;
  wTrain?: Float32Array;
  xValid?: Float32Array;
  yValid?: Float32Array;
  wValid?: Float32Array;
  epochs: number;
  batchSize: number;
  /** Stop after this many epochs without a validation improvement (0 = never stop early). */
  patience: number;
  /** Seed of the shuffling PRNG. */
  seed: number;
  /** Called after every epoch (e.g. to watch memory). */
  onEpoch?: (log: EpochLog) => void;
  /** Where the progress line goes (default console.error; pass `() => {}` to silence). */
  log?: (line: string) => void;
}

/** Loop result. */
export interface TrainLoopResult {
  history: { train: number; valid?: number }[];
  /** Epochs run (≤ epochs). */
  epochsRun: number;
  /** 1-based epoch whose weights were kept (the last one without validation). */
  bestEpoch: number;
  bestValid?: number;
  seconds: number;
}

/** mulberry32: seeded uniform [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle in place. */
function shuffle(idx: Uint32Array, rand: () => number): void {
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
}

/** Train `model` with mini-batches, per-epoch validation, early stopping and best-weight restore. */
export function trainLoop(o: TrainLoopOptions): TrainLoopResult {
  const t0 = performance.now();
  const log = o.log ?? ((s: string) => console.error(s));
  const { cols, batchSize } = o;
  const rows = o.yTrain.length;
  // 1. invariants
  if (o.xTrain.length !== rows * cols) {
    throw new RangeError(`xTrain has ${o.xTrain.length} values, expected ${rows} × ${cols}`);
  }
  if (!(batchSize >= 1)) throw new RangeError(`batchSize = ${batchSize}: expected >= 1`);
  if (!(o.epochs >= 1)) throw new RangeError(`epochs = ${o.epochs}: expected >= 1`);
  if (rows === 0) throw new RangeError("Cannot train on 0 rows");
  const hasValid = o.xValid !== undefined && o.yValid !== undefined && o.yValid.length > 0;

  // 2. state: shuffling order, batch buffers, best checkpoint
  const rand = mulberry32(o.seed);
  const order = new Uint32Array(rows).map((_, i) => i);
  const xb = new Float32Array(batchSize * cols), yb = new Float32Array(batchSize);
  const wb = o.wTrain ? new Float32Array(batchSize) : undefined;
  const history: { train: number; valid?: number }[] = [];
  let best = { epoch: 0, valid: Infinity, weights: undefined as Float32Array[] | undefined };
  let step = 0, epoch = 0;

  for (epoch = 1; epoch <= o.epochs; epoch++) {
    // 3. one pass over the shuffled train rows
    const te = performance.now();
    shuffle(order, rand);
    let lossSum = 0, seen = 0;
    for (let start = 0; start < rows; start += batchSize) {
      const n = Math.min(batchSize, rows - start);
      for (let k = 0; k < n; k++) {
        const r = order[start + k];
        xb.set(o.xTrain.subarray(r * cols, (r + 1) * cols), k * cols);
        yb[k] = o.yTrain[r];
        if (wb) wb[k] = o.wTrain![r];
      }
      const loss = o.model.trainStep(
        xb.subarray(0, n * cols),
        yb.subarray(0, n),
        wb?.subarray(0, n),
        step++,
      );
      lossSum += loss * n;
      seen += n;
    }
    const train = lossSum / seen;
    const trainSeconds = (performance.now() - te) / 1e3;

    // 4. evaluate, checkpoint only when validation improves
    const valid = hasValid ? o.model.evalLoss(o.xValid!, o.yValid!, o.wValid) : undefined;
    history.push(valid === undefined ? { train } : { train, valid });
    if (valid !== undefined && valid < best.valid) {
      best = { epoch, valid, weights: o.model.getWeights() };
    }

    // 5. progress line
    const entry: EpochLog = {
      epoch,
      train,
      valid,
      samplesPerSecond: rows / trainSeconds,
      seconds: trainSeconds,
    };
    log(
      `epoch ${epoch}/${o.epochs}: ${Math.round(entry.samplesPerSecond)} samples/s, train loss ${
        train.toPrecision(5)
      }${valid === undefined ? "" : `, valid loss ${valid.toPrecision(5)}`}${
        best.epoch === epoch ? " *" : ""
      }`,
    );
    o.onEpoch?.(entry);

    // 6. early stopping
    if (hasValid && o.patience > 0 && epoch - best.epoch >= o.patience) {
      log(`early stop after epoch ${epoch}: best valid loss at epoch ${best.epoch}`);
      break;
    }
  }
  const epochsRun = Math.min(epoch, o.epochs);

  // 7. restore the best checkpoint
  if (best.weights) o.model.setWeights(best.weights);
  return {
    history,
    epochsRun,
    bestEpoch: best.weights ? best.epoch : epochsRun,
    bestValid: best.weights ? best.valid : undefined,
    seconds: (performance.now() - t0) / 1e3,
  };
}
