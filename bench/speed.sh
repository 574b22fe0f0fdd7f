#!/usr/bin/env bash
# Rule-engine speed, swamp against SpamAssassin, same machine, same run,
# same messages, same rules (SpamAssassin's stock ruleset; Bayes and network
# tests off), one core each.
# Usage: bench/speed.sh [CORPUS] [LIMIT]
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-../shared/corpora/spam}
limit=${2:-0}
mkdir -p bench/out

# swamp loads the stock configuration in SpamAssassin's order: site .pre
# files, the default rules, then the site .cf files.
cfg=bench/out/stock.cf
{
    for f in /etc/spamassassin/*.pre; do echo "include $f"; done
    echo "rules_dir /usr/share/spamassassin"
    for f in /etc/spamassassin/*.cf; do echo "include $f"; done
    echo "use_bayes 0"
    echo "bayes_auto_learn 0"
} > "$cfg"

swift build -c release --static-swift-stdlib --product swamp >/dev/null
bench_corpus=$corpus
if [ "$limit" -gt 0 ]; then
    bench_corpus=bench/out/corpus-sample
    rm -rf "$bench_corpus"; mkdir -p "$bench_corpus/ham" "$bench_corpus/spam"
    ls "$corpus"/ham/* "$corpus"/spam/* | sort | head -n "$limit" | while read -r f; do
        cp "$f" "$bench_corpus/$(basename "$(dirname "$f")")/"
    done
fi

echo "swamp:"
taskset -c 0 .build/release/swamp bench --config "$cfg" --corpus "$bench_corpus" --json --repeat 3 | tee bench/out/swamp.json
echo "SpamAssassin $(spamassassin --version | head -1 | awk '{print $3}'):"
taskset -c 0 perl bench/sa-time.pl "$bench_corpus" | tee bench/out/spamassassin.json
python3 - <<'PY'
import json
s = json.load(open("bench/out/swamp.json")); a = json.load(open("bench/out/spamassassin.json"))
print(f"swamp {s['scan_ms_per_message']:.3f} ms/message, SpamAssassin {a['scan_ms_per_message']:.3f} ms/message: "
      f"swamp is {a['scan_ms_per_message'] / s['scan_ms_per_message']:.1f}x faster per message")
print(f"CPU time: swamp {s['scan_cpu_ms_per_message']:.3f} ms/message, SpamAssassin {a['scan_cpu_ms_per_message']:.3f} ms/message: "
      f"{a['scan_cpu_ms_per_message'] / s['scan_cpu_ms_per_message']:.1f}x")
PY
