#!/usr/bin/env bash
# Side-by-side training speed of every cell: PyTorch's own nn.RNN/nn.GRU/nn.LSTM (the reference's
# pytorch_cells_bench.py) and ./charlm bench, alternating on the same (shared, noisy) machine, at the
# book's shapes (the shared reference's pytorch_cells_bench.py: one-hot, SGD), then at the shapes real
# text is trained at (our scripts/pytorch-text-bench.py: an embedding, Adam, dropout; the same work per
# token as charlm's options of the same names). Prints one line per run; compare medians of rounds.
# Usage: scripts/compare-cells.sh [ROUNDS] [SHARED_DIR] [book|text|wide|all]   (defaults: 3, ../shared, all)
# "wide" is the H = 1024 shapes of issue 22 (LSTM ×1 and ×2, GRU, B 128 and 64), which "text" leaves out
# but for lstm1024; "all" runs book, text and wide. A round takes about 2.5 minutes at the book's shapes,
# 5 at the text's and 10 or more at the wide ones (PyTorch's share the most).
# OTHER_JAR=path/to/charlm.jar adds a column for another build (e.g. before a change), run by
# ${CHARLM_JAVA:-java}; set CHARLM_JAVA to the JDK the launcher picks so that both use the same one. It gets
# the launcher's JVM options; OTHER_OPTS replaces the object alignment among them (e.g.
# OTHER_OPTS=-XX:ObjectAlignmentInBytes=8, the JVM's default, for a build from before the launcher set it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-3}"
shared="$(cd "${2:-$root/../shared}" && pwd)"
which="${3:-all}"
case "$which" in book | text | wide | all) ;; *) echo "compare-cells.sh: the third argument is book, text, wide or all, not $which" >&2; exit 2 ;; esac
book="$shared/data/timemachine.txt"
text="$shared/data/tinyshakespeare.txt"
peer=(/usr/bin/python3 "$shared/reference/pytorch_cells_bench.py")
"$root/charlm" --version >/dev/null   # build once, outside the timed runs
other() {
  if [[ -n "${OTHER_JAR:-}" ]]; then
    # The launcher's collector settings, so that only the code differs.
    # shellcheck disable=SC2086 # OTHER_OPTS is a list of options
    echo "$1 other: $("${CHARLM_JAVA:-java}" -XX:+UseSerialGC -Xmn64m ${OTHER_OPTS:--XX:ObjectAlignmentInBytes=64} --add-modules jdk.incubator.vector -jar "$OTHER_JAR" bench "${@:2}" 2>/dev/null | tail -n 1)"
  fi
}
text_shape() { # NAME: the options that charlm bench and the text peer share, for one real-text shape
  case "$1" in
    lstm512) echo "--cell lstm --hiddens 512 --batch-size 64 --num-steps 64 --lr 0.002 --dropout 0.1 --max-tokens 100000" ;;
    gru512) echo "--cell gru --hiddens 512 --batch-size 32 --num-steps 64 --lr 0.004 --dropout 0.2 --max-tokens 100000" ;;
    lstm256) echo "--cell lstm --hiddens 256 --batch-size 32 --num-steps 128 --lr 0.004 --dropout 0.1 --max-tokens 100000" ;;
    lstm1024) echo "--cell lstm --hiddens 1024 --batch-size 128 --num-steps 64 --lr 0.002 --dropout 0.2 --max-tokens 50000" ;;
    lstm1024b64) echo "--cell lstm --hiddens 1024 --batch-size 64 --num-steps 64 --lr 0.002 --dropout 0.2 --max-tokens 50000" ;;
    lstm1024x2) echo "--cell lstm --layers 2 --hiddens 1024 --batch-size 128 --num-steps 64 --lr 0.002 --dropout 0.2 --max-tokens 50000" ;;
    gru1024) echo "--cell gru --hiddens 1024 --batch-size 128 --num-steps 64 --lr 0.002 --dropout 0.2 --max-tokens 50000" ;;
    gru1024b64) echo "--cell gru --hiddens 1024 --batch-size 64 --num-steps 64 --lr 0.002 --dropout 0.2 --max-tokens 50000" ;;
    lstm1024t128) echo "--cell lstm --hiddens 1024 --batch-size 64 --num-steps 128 --lr 0.002 --dropout 0.2 --max-tokens 50000" ;;
  esac
}
text_peer=(/usr/bin/python3 "$root/scripts/pytorch-text-bench.py" --data "$text" --embed-dim 64 --epochs 3)
for ((r = 1; r <= rounds; r++)); do
  if [[ "$which" == book || "$which" == all ]]; then
    for cell in rnn gru lstm lstm2; do
      args=(--cell "${cell%2}"); [[ "$cell" == lstm2 ]] && args+=(--layers 2)
      echo "round $r $cell pytorch: $("${peer[@]}" --data "$book" "${args[@]}" | tail -n 1)"
      other "round $r $cell" --data "$book" "${args[@]}"
      echo "round $r $cell charlm: $("$root/charlm" bench --data "$book" "${args[@]}" | tail -n 1)"
    done
  fi
  shapes=()
  if [[ "$which" == text || "$which" == all ]]; then shapes+=(lstm512 gru512 lstm256 lstm1024); fi
  if [[ "$which" == wide || "$which" == all ]]; then shapes+=(lstm1024b64 lstm1024x2 gru1024 gru1024b64 lstm1024t128); fi
  if (( ${#shapes[@]} )); then
    for shape in "${shapes[@]}"; do
      read -r -a args <<< "$(text_shape "$shape")"
      ours=(--data "$text" --tokenizer chars --input embedding --embed-dim 64 --optimizer adam --epochs 3 "${args[@]}")
      echo "round $r $shape pytorch: $("${text_peer[@]}" "${args[@]}" | tail -n 1)"
      other "round $r $shape" "${ours[@]}"
      echo "round $r $shape charlm: $("$root/charlm" bench "${ours[@]}" | tail -n 1)"
    done
  fi
done
