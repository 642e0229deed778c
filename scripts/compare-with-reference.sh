#!/usr/bin/env bash
# Side-by-side training speed of charlm and the PyTorch reference, alternating A B A B so both see
# the same (shared, noisy) machine. Prints one line per run; compare medians across rounds.
# Usage: scripts/compare-with-reference.sh [ROUNDS] [SHARED_DIR]   (defaults: 2, ../shared)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-2}"
shared="$(cd "${2:-$root/../shared}" && pwd)"
data="$shared/data/timemachine.txt"
ref=(/usr/bin/python3 "$shared/reference/pytorch_rnn.py" train --data "$data" --epochs 20)
"$root/charlm" --version >/dev/null   # build once, outside the timed runs
mapfile -t jdks < <(for j in /usr/lib/jvm/*/bin/java; do realpath "$j"; done | sort -u)
for ((r = 1; r <= rounds; r++)); do
  for b in 32 2; do
    echo "round $r B=$b reference: $("${ref[@]}" --batch-size "$b" | grep '^final perplexity')"
    for java in "${jdks[@]}"; do
      echo "round $r B=$b charlm $java: $(CHARLM_JAVA="$java" "$root/charlm" bench --data "$data" --batch-size "$b" | tail -n 1)"
    done
  done
done
