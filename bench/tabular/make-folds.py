#!/usr/bin/python3
"""Seeded 5-fold splits of the tables in bench/tabular/tables.json.

For each table, writes TABLES_DIR/folds/<name>/fold<k>-train.csv and
fold<k>-test.csv (k = 1..5): the CSV's own header and rows, as text, untouched,
less the rows whose target is missing. Classification folds are stratified by
the target. TABLES_DIR/folds/folds.json records the seed, the rows dropped and
the size of each fold.

    /usr/bin/python3 bench/tabular/make-folds.py [--seed 20261201] [--folds 5] [--tables a,b] [--spec tables.json]

Use Debian's /usr/bin/python3 (python3-sklearn); a python3 from elsewhere on
PATH may not have scikit-learn.
"""

import argparse
import csv
import json
import os
import sys

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold

HERE = os.path.dirname(os.path.abspath(__file__))
MISSING = {""}  # prepare-tables.sh writes missing values as empty cells


def tables_dir():
    return os.environ.get("TABLES_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "densenode-tables")


def load_spec(spec, selected):
    with open(spec, encoding="utf-8") as f:
        tables = json.load(f)["tables"]
    if selected:
        names = selected.split(",")
        unknown = [n for n in names if n not in {t["name"] for t in tables}]
        if unknown:
            sys.exit(f"make-folds: no table named {', '.join(unknown)} in tables.json")
        tables = [t for t in tables if t["name"] in names]
    return tables


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def write_rows(path, header, rows):
    tmp = path + ".tmp"
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--tables", help="comma-separated table names (default: all)")
    parser.add_argument("--spec", default=os.path.join(HERE, "tables.json"), help="the tables (default: bench/tabular/tables.json)")
    args = parser.parse_args()

    root = tables_dir()
    manifest_path = os.path.join(root, "folds", "folds.json")
    manifest = {"seed": args.seed, "folds": args.folds, "tables": {}}
    if args.tables and os.path.exists(manifest_path):
        with open(manifest_path, encoding="utf-8") as f:
            previous = json.load(f)
        if previous.get("seed") == args.seed and previous.get("folds") == args.folds:
            manifest["tables"] = previous.get("tables", {})

    print(f"{'table':<16} {'task':<14} {'rows':>6} {'dropped':>8} {'used':>6}  test rows per fold")
    for table in load_spec(args.spec, args.tables):
        source = os.path.join(root, table["csv"])
        if not os.path.exists(source):
            sys.exit(f"make-folds: {source} is missing: run bench/tabular/prepare-tables.sh first")
        header, rows = read_rows(source)
        target = header.index(table["target"])
        kept = [r for r in rows if r[target].strip() not in MISSING]
        dropped = len(rows) - len(kept)
        y = np.array([r[target] for r in kept])

        if table["task"] == "classification":
            splitter = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=args.seed)
            splits = splitter.split(np.zeros(len(kept)), y)
        else:
            splitter = KFold(n_splits=args.folds, shuffle=True, random_state=args.seed)
            splits = splitter.split(np.zeros(len(kept)))

        out = os.path.join(root, "folds", table["name"])
        os.makedirs(out, exist_ok=True)
        sizes = []
        for k, (train_index, test_index) in enumerate(splits, start=1):
            # Rows keep the CSV's order within each file.
            write_rows(os.path.join(out, f"fold{k}-train.csv"), header, [kept[i] for i in sorted(train_index)])
            write_rows(os.path.join(out, f"fold{k}-test.csv"), header, [kept[i] for i in sorted(test_index)])
            sizes.append({"train": len(train_index), "test": len(test_index)})

        entry = {
            "csv": table["csv"],
            "target": table["target"],
            "task": table["task"],
            "rows": len(rows),
            "droppedMissingTarget": dropped,
            "used": len(kept),
            "folds": sizes,
        }
        if table["task"] == "classification":
            labels, counts = np.unique(y, return_counts=True)
            entry["classCounts"] = {str(label): int(count) for label, count in zip(labels, counts)}
        manifest["tables"][table["name"]] = entry
        test_sizes = " ".join(str(s["test"]) for s in sizes)
        print(f"{table['name']:<16} {table['task']:<14} {len(rows):>6} {dropped:>8} {len(kept):>6}  {test_sizes}")

    os.makedirs(os.path.dirname(manifest_path), exist_ok=True)
    with open(manifest_path, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"make-folds: folds in {os.path.join(root, 'folds')}")


if __name__ == "__main__":
    main()
