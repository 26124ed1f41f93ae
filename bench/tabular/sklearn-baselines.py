#!/usr/bin/python3
"""scikit-learn baselines on the folds that make-folds.py wrote.

For each table in bench/tabular/tables.json and each fold, fits three pipelines
on fold<k>-train.csv and scores them on fold<k>-test.csv (accuracy for
classification, R^2 for regression):

  linear  LogisticRegression / Ridge
  mlp     MLPClassifier / MLPRegressor (early stopping; the regressor learns a
          standardized target)
  hgb     HistGradientBoostingClassifier / Regressor

each behind the same preprocessing: numeric columns -> median imputation +
standardization; string columns -> constant imputation + one-hot encoding
(unknown levels ignored). Every column but the target is a feature.

Prints mean +- std over the folds per table and model, and the best model's
mean minus its std (the bar densenode-cv.mjs holds densenode to); writes
bench/tabular/results/sklearn.json.

    /usr/bin/python3 bench/tabular/sklearn-baselines.py [--tables a,b] [--seed 0] [--spec tables.json] [--out F]

OMP_NUM_THREADS defaults to 1 (see below).
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
import warnings

# One OpenMP thread unless told otherwise: on these small tables, gradient
# boosting's per-iteration parallel regions cost more than they save (the whole
# run took 4x longer with 2 threads on a 2-core machine, for the same scores).
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, r2_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = ["linear", "mlp", "hgb"]


def tables_dir():
    return os.environ.get("TABLES_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "densenode-tables")


def read_csv(path, dtypes=None):
    # Only an empty cell is missing: "None" is a real level in ames, and pandas
    # would read it (and "NA", "null", ...) as missing by default.
    return pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=dtypes)


def column_kinds(path, target):
    """Numeric and string feature columns, judged on the whole table so every fold agrees."""
    frame = read_csv(path)
    numeric = [c for c in frame.columns if c != target and pd.api.types.is_numeric_dtype(frame[c])]
    strings = [c for c in frame.columns if c != target and c not in numeric]
    return numeric, strings


def preprocessor(numeric, strings):
    parts = []
    if numeric:
        parts.append(
            ("numeric", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric)
        )
    if strings:
        parts.append(
            (
                "strings",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="constant", fill_value="__missing__")),
                        ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                    ]
                ),
                strings,
            )
        )
    return ColumnTransformer(parts, remainder="drop")


def estimator(model, task, seed):
    if task == "classification":
        if model == "linear":
            return LogisticRegression(max_iter=2000)
        if model == "mlp":
            return MLPClassifier(hidden_layer_sizes=(100,), early_stopping=True, max_iter=500, random_state=seed)
        return HistGradientBoostingClassifier(random_state=seed)
    if model == "linear":
        return Ridge(alpha=1.0)
    if model == "mlp":
        # Targets such as ames' prices (~1e5) stall an MLP with its default
        # learning rate; it learns the standardized target instead.
        return TransformedTargetRegressor(
            regressor=MLPRegressor(hidden_layer_sizes=(100,), early_stopping=True, max_iter=500, random_state=seed),
            transformer=StandardScaler(),
        )
    return HistGradientBoostingRegressor(random_state=seed)


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return platform.processor() or "unknown"


def to_json(value, indent=0, used=0, width=140):
    """JSON as biome (the repo's formatter) lays it out: objects expanded, and
    arrays of scalars on one line when the line fits in 140 columns."""
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = []
        for key, item in value.items():
            head = f"{pad}  {json.dumps(key, ensure_ascii=False)}: "
            items.append(head + to_json(item, indent + 1, len(head), width))
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list):
        if not value:
            return "[]"
        if not any(isinstance(item, (dict, list)) for item in value):
            flat = "[" + ", ".join(json.dumps(item, ensure_ascii=False) for item in value) + "]"
            if used + len(flat) + 1 <= width:
                return flat
        items = [f"{pad}  " + to_json(item, indent + 1, len(pad) + 2, width) for item in value]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return json.dumps(value, ensure_ascii=False)


def summary(scores):
    scores = np.asarray(scores, dtype=float)
    std = float(scores.std(ddof=1)) if len(scores) > 1 else 0.0
    return float(scores.mean()), std


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tables", help="comma-separated table names (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="random_state of the MLP and gradient boosting")
    parser.add_argument("--spec", default=os.path.join(HERE, "tables.json"), help="the tables (default: bench/tabular/tables.json)")
    parser.add_argument("--out", default=os.path.join(HERE, "results", "sklearn.json"))
    args = parser.parse_args()

    with open(args.spec, encoding="utf-8") as f:
        tables = json.load(f)["tables"]
    if args.tables:
        names = args.tables.split(",")
        unknown = sorted(set(names) - {t["name"] for t in tables})
        if unknown:
            sys.exit(f"sklearn-baselines: no table named {', '.join(unknown)} in tables.json")
        tables = [t for t in tables if t["name"] in names]

    root = tables_dir()
    manifest_path = os.path.join(root, "folds", "folds.json")
    if not os.path.exists(manifest_path):
        sys.exit(f"sklearn-baselines: {manifest_path} is missing: run bench/tabular/make-folds.py first")
    with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)

    results = {}
    started = time.time()
    for table in tables:
        name, target, task = table["name"], table["target"], table["task"]
        if name not in manifest["tables"]:
            sys.exit(f"sklearn-baselines: no folds for {name}: run bench/tabular/make-folds.py")
        folds = len(manifest["tables"][name]["folds"])
        metric = "accuracy" if task == "classification" else "r2"
        numeric, strings = column_kinds(os.path.join(root, table["csv"]), target)
        dtypes = {c: str for c in strings}
        if task == "classification":
            dtypes[target] = str
        per_model = {m: {"scores": [], "fitSeconds": []} for m in MODELS}
        for k in range(1, folds + 1):
            train = read_csv(os.path.join(root, "folds", name, f"fold{k}-train.csv"), dtypes)
            test = read_csv(os.path.join(root, "folds", name, f"fold{k}-test.csv"), dtypes)
            x_train, y_train = train.drop(columns=[target]), train[target]
            x_test, y_test = test.drop(columns=[target]), test[target]
            for m in MODELS:
                pipeline = Pipeline([("prep", preprocessor(numeric, strings)), ("model", estimator(m, task, args.seed))])
                t0 = time.time()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    pipeline.fit(x_train, y_train)
                per_model[m]["fitSeconds"].append(round(time.time() - t0, 3))
                predicted = pipeline.predict(x_test)
                score = accuracy_score(y_test, predicted) if metric == "accuracy" else r2_score(y_test, predicted)
                per_model[m]["scores"].append(float(score))
        for m in MODELS:
            mean, std = summary(per_model[m]["scores"])
            per_model[m].update({"mean": mean, "std": std})
        best = max(MODELS, key=lambda m: per_model[m]["mean"])
        results[name] = {
            "task": task,
            "target": target,
            "metric": metric,
            "folds": folds,
            "numericColumns": numeric,
            "stringColumns": strings,
            "models": per_model,
            "best": best,
            "bestMinusStd": per_model[best]["mean"] - per_model[best]["std"],
        }
        print(f"sklearn-baselines: {name} done ({time.time() - started:.0f} s)", file=sys.stderr)

    def cell(r):
        return f"{r['mean']:.4f} ± {r['std']:.4f}"

    print()
    print(f"{'table':<16} {'metric':<9} {'linear':>17} {'mlp':>17} {'hgb':>17}  {'best':<6} {'best-1std':>9}")
    for name, r in results.items():
        cells = " ".join(f"{cell(r['models'][m]):>17}" for m in MODELS)
        print(f"{name:<16} {r['metric']:<9} {cells}  {r['best']:<6} {r['bestMinusStd']:>9.4f}")
    print("(mean ± sample std over the folds; linear = LogisticRegression/Ridge)")

    document = {
        "generated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "python": platform.python_version(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "ompThreads": os.environ["OMP_NUM_THREADS"],
        "foldSeed": manifest["seed"],
        "modelSeed": args.seed,
        "std": "sample standard deviation (ddof=1) over the folds",
        "models": {
            "linear": "LogisticRegression(max_iter=2000) / Ridge(alpha=1)",
            "mlp": "MLPClassifier / MLPRegressor on a standardized target: hidden (100,), adam, early_stopping, max_iter=500",
            "hgb": "HistGradientBoostingClassifier / Regressor, defaults",
            "preprocessing": "numeric: median impute + StandardScaler; strings: constant impute + OneHotEncoder(handle_unknown=ignore)",
        },
        "seconds": round(time.time() - started, 1),
        "tables": results,
    }
    if args.tables and os.path.exists(args.out):
        # A partial run keeps the other tables' results of an earlier run.
        with open(args.out, encoding="utf-8") as f:
            earlier = json.load(f)
        document["tables"] = {**earlier.get("tables", {}), **results}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(to_json(document) + "\n")
    print(f"sklearn-baselines: wrote {args.out}")


if __name__ == "__main__":
    main()
