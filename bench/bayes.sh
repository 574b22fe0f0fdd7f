#!/usr/bin/env bash
# Bayes accuracy, swamp against SpamAssassin, on the same folds: N-fold
# cross-validation (ham and spam dealt round-robin into the folds in name
# order; a fresh Bayes database per fold; network tests and autolearn off).
#   swamp, its own Rules/            swamp bench --config Rules --folds N
#   swamp, SpamAssassin's rules      the stock configuration + Rules/23_bayes.cf
#   ... with swamp's Bayes scores    + Rules/50_bayes_scores.cf
#   SpamAssassin 4 with Bayes        bench/sa-folds.pl (sa-learn's code path)
# SpamAssassin takes tens of minutes for the whole corpus.
# Usage: bench/bayes.sh [CORPUS] [FOLDS]
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-../shared/corpora/spam}
folds=${2:-5}
mkdir -p bench/out

cfg=bench/out/stock-bayes.cf
{
    for f in /etc/spamassassin/*.pre; do echo "include $f"; done
    echo "rules_dir /usr/share/spamassassin"
    for f in /etc/spamassassin/*.cf; do echo "include $f"; done
    # SpamAssassin's BAYES_* call eval:check_bayes, which swamp's engine
    # does not run: swamp's definitions (same ranges and scores) replace them.
    echo "include $PWD/Rules/23_bayes.cf"
    echo "use_bayes 1"
} > "$cfg"

{ cat "$cfg"; echo "include $PWD/Rules/50_bayes_scores.cf"; } > bench/out/stock-bayes-swampscores.cf

swift build -c release --static-swift-stdlib --product swamp >/dev/null
.build/release/swamp bench --config Rules --corpus "$corpus" --folds "$folds" --json | tee bench/out/bayes-swamp.json
.build/release/swamp bench --config "$cfg" --corpus "$corpus" --folds "$folds" --json | tee bench/out/bayes-swamp-stock.json
.build/release/swamp bench --config bench/out/stock-bayes-swampscores.cf --corpus "$corpus" --folds "$folds" --json \
    | tee bench/out/bayes-swamp-stock-swampscores.json
perl bench/sa-folds.pl "$corpus" "$folds" | tee bench/out/bayes-spamassassin.json

python3 - <<'PY'
import json
rows = [("swamp, Rules/", "bench/out/bayes-swamp.json"),
        ("swamp, stock rules", "bench/out/bayes-swamp-stock.json"),
        ("swamp, stock+swamp sc.", "bench/out/bayes-swamp-stock-swampscores.json"),
        ("SpamAssassin", "bench/out/bayes-spamassassin.json")]
print(f"{'':22} {'':12} {'F1':>7} {'FP rate':>8} {'precision':>9} {'recall':>7}")
for name, path in rows:
    d = json.load(open(path))
    for key in ("rules_bayes", "bayes"):
        c = d[key]
        print(f"{name:22} {key:12} {c['f1']:7.4f} {100*c['false_positive_rate']:7.2f}% {c['precision']:9.4f} {c['recall']:7.4f}")
PY
