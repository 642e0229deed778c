#!/usr/bin/env bash
# Side-by-side training speed of every cell: PyTorch's own nn.RNN/nn.GRU/nn.LSTM (the reference's
# pytorch_cells_bench.py) and ./charlm bench, alternating on the same (shared, noisy) machine, at the
# book's shapes, then the LSTM at real text's shape. Prints one line per run; compare medians of rounds.
# Usage: scripts/compare-cells.sh [ROUNDS] [SHARED_DIR]   (defaults: 3, ../shared)
# OTHER_JAR=path/to/charlm.jar adds a column for another build (e.g. before a change), run by
# ${CHARLM_JAVA:-java}; set CHARLM_JAVA to the JDK the launcher picks so that both use the same one.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-3}"
shared="$(cd "${2:-$root/../shared}" && pwd)"
book="$shared/data/timemachine.txt"
text="$shared/data/tinyshakespeare.txt"
peer=(/usr/bin/python3 "$shared/reference/pytorch_cells_bench.py")
"$root/charlm" --version >/dev/null   # build once, outside the timed runs
other() {
  if [[ -n "${OTHER_JAR:-}" ]]; then
    echo "$1 other: $("${CHARLM_JAVA:-java}" --add-modules jdk.incubator.vector -jar "$OTHER_JAR" bench "${@:2}" 2>/dev/null | tail -n 1)"
  fi
}
real_text=(--data "$text" --tokenizer chars --max-tokens 200000 --cell lstm --input embedding --embed-dim 64
  --batch-size 64 --num-steps 64 --optimizer adam --lr 0.002 --dropout 0.1 --epochs 3)
for ((r = 1; r <= rounds; r++)); do
  for cell in rnn gru lstm lstm2; do
    args=(--cell "${cell%2}"); [[ "$cell" == lstm2 ]] && args+=(--layers 2)
    echo "round $r $cell pytorch: $("${peer[@]}" --data "$book" "${args[@]}" | tail -n 1)"
    other "round $r $cell" --data "$book" "${args[@]}"
    echo "round $r $cell charlm: $("$root/charlm" bench --data "$book" "${args[@]}" | tail -n 1)"
  done
  echo "round $r text pytorch (letters, one-hot, SGD): $("${peer[@]}" --data "$text" --cell lstm --batch-size 64 --num-steps 64 --max-tokens 200000 --epochs 3 | tail -n 1)"
  other "round $r text" "${real_text[@]}"
  echo "round $r text charlm: $("$root/charlm" bench "${real_text[@]}" | tail -n 1)"
done
