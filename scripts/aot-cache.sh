#!/usr/bin/env bash
# Does JDK 25's AOT cache (JEPs 483/514/515) shorten charlm's start-up or its first epoch?
# Makes a cache with a 20-epoch book run, then alternates commands with and without it.
# Usage: scripts/aot-cache.sh [JDK25_JAVA] [SHARED_DIR]   (defaults: Temurin 25, ../shared)
# Needs a model to generate from: runs/book-readme/model.safetensors (./charlm train --out runs/book-readme).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
java="${1:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}"
shared="$(cd "${2:-$root/../shared}" && pwd)"
book="$shared/data/timemachine.txt"
model="$root/runs/book-readme/model.safetensors"
"$root/charlm" --version >/dev/null   # build once
jar="$root/charlm-cli/target/charlm.jar"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
opts=(-XX:+UseSerialGC -Xmn64m -Djava.awt.headless=true --add-modules jdk.incubator.vector)
seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }
/usr/bin/time -f "cache made in %e s" "$java" "${opts[@]}" -XX:AOTCacheOutput="$work/charlm.aot" -jar "$jar" \
  train --data "$book" --epochs 20 --out "$work/make" >/dev/null
echo "cache: $(du -h "$work/charlm.aot" | cut -f1)"
for round in 1 2 3 4 5; do
  for mode in plain cache; do
    extra=(); [[ $mode == cache ]] && extra=(-XX:AOTCache="$work/charlm.aot")
    echo "round $round $mode generate $(seconds "$java" "${opts[@]}" "${extra[@]}" -jar "$jar" generate --model "$model" --prefix "time traveller " --num-preds 50) s"
    echo "round $round $mode version $(seconds "$java" "${opts[@]}" "${extra[@]}" -jar "$jar" --version) s"
  done
done
for round in 1 2 3; do
  for mode in plain cache; do
    extra=(); [[ $mode == cache ]] && extra=(-XX:AOTCache="$work/charlm.aot")
    t=$(seconds "$java" "${opts[@]}" "${extra[@]}" -jar "$jar" train --data "$book" --epochs 10 --out "$work/t-$mode-$round")
    first=$(sed -n 's/^\([0-9]*\),\([^,]*\),\([^,]*\).*/\1 \3/p' "$work/t-$mode-$round/metrics.csv" | head -n 1)
    echo "round $round $mode train --epochs 10: $t s; first epoch (epoch, tokens/s): $first"
  done
done
