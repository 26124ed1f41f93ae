#!/usr/bin/env bash
# Exports the benchmark's public tables (bench/tabular/tables.json) from Debian's
# R data packages to CSV files in $TABLES_DIR (default ~/.cache/densenode-tables).
# Installs, with apt-get, the packages it needs that are missing (root or sudo),
# and the Python packages that make-folds.py and sklearn-baselines.py use.
#
#   bash bench/tabular/prepare-tables.sh
#   TABLES_DIR=/tmp/tables bash bench/tabular/prepare-tables.sh
#
# Every CSV has a header row; categories are kept as their string labels;
# missing values are empty cells; R's row names are not written.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TABLES_DIR="${TABLES_DIR:-$HOME/.cache/densenode-tables}"

packages=(
  r-base-core
  r-cran-palmerpenguins
  r-cran-mlbench
  r-cran-cardata
  r-cran-modeldata
  python3-pandas
  python3-sklearn
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  sudo=()
  if [ "$(id -u)" != 0 ]; then sudo=(sudo); fi
  echo "prepare-tables: installing ${missing[*]}" >&2
  log="$(mktemp)"
  if ! { "${sudo[@]}" apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "prepare-tables: apt-get failed (output above)" >&2
    exit 1
  fi
  rm -f "$log"
fi

mkdir -p "$TABLES_DIR"

# The list of tables at the end of the R script names each CSV file, R package
# and data set; tables.json describes the same files.
TABLES_DIR="$TABLES_DIR" Rscript --vanilla - <<'EOF'
suppressPackageStartupMessages({
  library(palmerpenguins)
  library(mlbench)
  library(carData)
  library(modeldata)
})
out <- Sys.getenv("TABLES_DIR")

load_set <- function(name, package) {
  env <- new.env()
  data(list = name, package = package, envir = env)
  as.data.frame(get(name, envir = env))
}

write_table <- function(d, file) {
  for (column in names(d)) {
    # Factors (ordered or not) are written as their labels, as strings.
    if (is.factor(d[[column]])) d[[column]] <- as.character(d[[column]])
  }
  # Quote a field only where the CSV needs it (a comma, quote or newline),
  # as Python's csv module does, so make-folds.py round-trips the text.
  needs_quote <- which(vapply(d, function(v) is.character(v) && any(grepl("[,\"\n\r]", v)), logical(1)))
  path <- file.path(out, file)
  tmp <- paste0(path, ".tmp")
  write.table(d, tmp, sep = ",", row.names = FALSE, col.names = TRUE, na = "",
              quote = if (length(needs_quote)) needs_quote else FALSE, qmethod = "double",
              fileEncoding = "UTF-8", eol = "\n")
  file.rename(tmp, path)
  cat(sprintf("%-24s %5d rows %3d columns  %s\n", file, nrow(d), ncol(d), path))
}

tables <- list(
  list("penguins.csv", "palmerpenguins", "penguins"),
  list("house-votes-84.csv", "mlbench", "HouseVotes84"),
  list("breast-cancer.csv", "mlbench", "BreastCancer"),
  list("credit.csv", "modeldata", "credit_data"),
  list("chile.csv", "carData", "Chile"),
  list("ames.csv", "modeldata", "ames"),
  list("slid.csv", "carData", "SLID")
)
for (t in tables) write_table(load_set(t[[3]], t[[2]]), t[[1]])
EOF

# Check the files against tables.json (rows, header has the target).
/usr/bin/python3 - "$here/tables.json" "$TABLES_DIR" <<'EOF'
import csv, json, os, sys
spec, root = sys.argv[1], sys.argv[2]
bad = 0
for t in json.load(open(spec))["tables"]:
    with open(os.path.join(root, t["csv"]), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    if t["target"] not in header:
        print(f"prepare-tables: {t['csv']}: no column {t['target']!r}", file=sys.stderr); bad += 1
    if len(body) != t["rows"]:
        print(f"prepare-tables: {t['csv']}: {len(body)} rows, tables.json says {t['rows']}", file=sys.stderr); bad += 1
    if any(len(r) != len(header) for r in body):
        print(f"prepare-tables: {t['csv']}: ragged rows", file=sys.stderr); bad += 1
sys.exit(1 if bad else 0)
EOF
echo "prepare-tables: $(ls "$TABLES_DIR"/*.csv | wc -l) tables in $TABLES_DIR"
