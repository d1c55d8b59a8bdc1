"""Reference fit with XGBoost (tree_method="hist") for the GBDT tests and benchmark.

Usage: python3 _xgboost.py DIR
DIR holds meta.json ({"rows", "valid_rows", "cols", "params", "rounds"}), x_train.f32 / y_train.f32 /
x_valid.f32 / y_valid.f32 (raw little-endian float32, row-major, NaN = missing). Prints one JSON
line: {"valid_mse", "train_seconds", "dmatrix_seconds", "predict_rows_per_s", "version"}.
"""
import json
import sys
import time

import numpy as np
import xgboost as xgb


def main(d: str) -> None:
    meta = json.load(open(f"{d}/meta.json"))
    rows, vrows, cols = meta["rows"], meta["valid_rows"], meta["cols"]
    x = np.fromfile(f"{d}/x_train.f32", dtype="<f4").reshape(rows, cols)
    y = np.fromfile(f"{d}/y_train.f32", dtype="<f4")
    xv = np.fromfile(f"{d}/x_valid.f32", dtype="<f4").reshape(vrows, cols)
    yv = np.fromfile(f"{d}/y_valid.f32", dtype="<f4")
    params = {"tree_method": "hist", "objective": "reg:squarederror", **meta["params"]}
    t0 = time.perf_counter()
    dtrain = xgb.DMatrix(x, label=y, missing=np.nan, nthread=params.get("nthread", 0))
    dvalid = xgb.DMatrix(xv, label=yv, missing=np.nan, nthread=params.get("nthread", 0))
    t1 = time.perf_counter()
    booster = xgb.train(params, dtrain, num_boost_round=meta["rounds"])
    t2 = time.perf_counter()
    p = booster.predict(dvalid)
    t3 = time.perf_counter()
    mse = float(np.mean((p.astype(np.float64) - yv.astype(np.float64)) ** 2))
    print(json.dumps({
        "valid_mse": mse,
        "train_seconds": t2 - t1,
        "dmatrix_seconds": t1 - t0,
        "predict_rows_per_s": vrows / max(t3 - t2, 1e-9),
        "version": xgb.__version__,
    }))


if __name__ == "__main__":
    main(sys.argv[1])
