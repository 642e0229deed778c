#!/usr/bin/env bash
# Re-measures every table of docs/chapter.md (the exercises) and docs/cells.md on the code as it stands: each run
# into its own folder under OUT (default runs/exercises), then one summary line per run in
# OUT/summary.txt (final and best held-out perplexity, final training perplexity, wall time).
# Usage: scripts/exercises.sh [OUT]   (about an hour on two cores; runs already finished are kept)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT="${1:-runs/exercises}"
D=../shared/data/timemachine.txt
S=../shared/data/tinyshakespeare.txt
mkdir -p "$OUT"

run() { # name, then train options
  local name=$1; shift
  if [[ ! -f "$OUT/$name/model.safetensors" ]]; then
    local t0=$SECONDS
    set +e
    ./charlm train --out "$OUT/$name" --force "$@" > "$OUT/$name.log" 2>&1
    local code=$?
    set -e
    echo "$name: exit $code, $((SECONDS - t0)) s wall" >> "$OUT/summary.txt"
  fi
  local last best
  last=$(tail -n 1 "$OUT/$name/metrics.csv" 2>/dev/null || true)
  best=$(grep -h "validation perplexity" "$OUT/$name.log" | tail -n 1 || true)
  echo "$name | last epoch: $last | $best | $(grep -h 'stopped\|diverged' "$OUT/$name.log" | tail -n 1)" >> "$OUT/summary.txt"
}

# The book's run (exercise 3 samples from it)
run book500 --data $D
# Exercise 1: one-hot against a learned embedding, all tokens, last 10% held out
run ex1-onehot --data $D --max-tokens 0 --val-fraction 0.1 --epochs 30
run ex1-embed32 --data $D --max-tokens 0 --val-fraction 0.1 --epochs 30 --input embedding --embed-dim 32
# Exercise 2: how low, on unseen text of the same book
run ex2-h256-100 --data $D --max-tokens 0 --val-fraction 0.1 --epochs 100 --hiddens 256
run ex2-h512-100 --data $D --max-tokens 0 --val-fraction 0.1 --epochs 100 --hiddens 512
run ex2-h256-30 --data $D --max-tokens 0 --val-fraction 0.1 --epochs 30 --hiddens 256
run ex2-h1024-30 --data $D --max-tokens 0 --val-fraction 0.1 --epochs 30 --hiddens 1024
for lr in 0.5 2; do for t in 16 64; do
  run ex2-lr$lr-t$t --data $D --max-tokens 0 --val-fraction 0.1 --epochs 30 --lr $lr --num-steps $t
done; done
# Another book, every character kept
run ex2-shakespeare --data $S --tokenizer chars --max-tokens 0 --val-fraction 0.1 --epochs 10 --prefix "ROMEO:"
# Exercises 4 and 6: without clipping, and ReLU, on the book's 10,000 tokens
for act in tanh relu; do for clip in 1 none; do
  run ex46-$act-clip$clip --data $D --epochs 200 --activation $act --clip $clip
  for lr in 3 10; do run ex46-$act-clip$clip-lr$lr --data $D --epochs 100 --activation $act --clip $clip --lr $lr --threads 1; done
done; done
# Exercise 5: without detaching
run ex5-detached --data $D --epochs 100
run ex5-nodetach --data $D --epochs 100 --no-detach
# RNN, GRU and LSTM with the book's settings on all of the book
for cell in rnn gru lstm; do run cells-$cell-60 --data $D --max-tokens 0 --val-fraction 0.1 --cell $cell --epochs 60; done
run cells-lstm2-h256-20 --data $D --max-tokens 0 --val-fraction 0.1 --cell lstm --layers 2 --hiddens 256 --epochs 20
echo "wrote $OUT/summary.txt"
