#!/usr/bin/env bash
# The optimised daemon under load in its default mode: network checks on,
# asking a stub DNS server on loopback that answers at once (a third of the
# questions SERVFAIL), 50 warm-up and 300 measured messages at concurrency
# 2 and 8. Fails if the daemon stops answering. `swift test` builds for
# debugging; a crash that only the optimiser's code has (session 6: a
# failing URI-blocklist lookup, within the first 50 messages) passes it.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib --product swamp --scratch-path .build/release-smoke
python3 bench/daemon.py --swamp .build/release-smoke/release/swamp --only swamp --swamp-network \
    --no-bayes --messages 300 --concurrency 2,8 --warmup 50
