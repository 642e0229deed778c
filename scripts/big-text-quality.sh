#!/usr/bin/env bash
# Quality on a big text at one time budget (docs/big-text.md): charlm's `--preset big`, its `--preset
# text-lstm`, and the PyTorch peer (scripts/pytorch-text-bench.py --time-limit: char-rnn's recipe), one at
# a time, each given the whole budget for training and its final scoring, on the same split (the last 1%
# of the characters held out) and scored on the same held-out characters, whole, cut into the same pieces.
# Prints one line per run and a table of held-out nats per character (charlm's: ln of the last
# val_perplexity of the run's steps.csv; the peer's: its final line), with steps, tokens/s, wall time and
# resident memory (/usr/bin/time -v).
#
#   scripts/big-text-quality.sh TEXT SECONDS [OUT]     e.g. scripts/big-text-quality.sh /work/linux/linux-100mb.txt 600
#
# charlm runs with --eval-tokens 0 --eval-every 0: the held-out part is scored once, whole, at the end, as
# the peer scores it (--preset big otherwise scores a 1M-token sample every 1000 steps, which costs
# training time and is not what is compared). Extra charlm options: CHARLM_ARGS="..."; extra peer options:
# PEER_ARGS="..." (e.g. "--layers 1 --hiddens 512"). RUNS="big pytorch" makes only those runs, in that order
# (names: big, text-lstm, pytorch; all three by default). Run nothing else meanwhile: every figure is a time race.
# The first charlm run makes the text's token cache (TEXT.chars.tokens, beside it) if it is missing; the
# peer reads its ids from that file, so both see the same tokens.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if (( $# < 2 )); then
  echo "usage: $0 TEXT SECONDS [OUT]  (e.g. $0 /work/linux/linux-100mb.txt 600)" >&2
  exit 2
fi
text="$1" budget="$2" out="${3:-big-text-quality-$budget}"
if [[ ! -f "$text" ]]; then echo "$0: no text at $text; make one with scripts/linux-corpus.sh" >&2; exit 2; fi
if ! [[ "$budget" =~ ^[0-9]+$ ]] || (( budget < 30 )); then echo "$0: SECONDS must be a whole number of at least 30, got $budget" >&2; exit 2; fi
runs="${RUNS:-big text-lstm pytorch}"
for r in $runs; do
  case "$r" in big|text-lstm|pytorch) ;; *) echo "$0: RUNS names big, text-lstm or pytorch, got $r" >&2; exit 2 ;; esac
done
mkdir -p "$out"
"$root/charlm" --version >/dev/null   # build once, outside the timed runs

split=(--val-fraction 0.01 --eval-tokens 0 --eval-every 0)
table=()
rss() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1" | awk '{printf "%d MB", $1 / 1024}'; }
wall() { sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$1"; }

charlm_run() { # NAME PRESET
  local name=$1 preset=$2 dir="$out/$1"
  echo "$(date +%T) charlm --preset $preset, $budget s ..."
  # shellcheck disable=SC2086 # CHARLM_ARGS is a list of options
  if ! /usr/bin/time -v -o "$out/$name.time" "$root/charlm" train --preset "$preset" --data "$text" "${split[@]}" --time-limit "${budget}s" \
    --out "$dir" --force ${CHARLM_ARGS:-} > "$out/$name.out" 2>&1; then
    echo "charlm --preset $preset failed; see $out/$name.out" >&2
    exit 1
  fi
  local last; last="$(tail -n 1 "$dir/steps.csv")"
  local step val
  step="$(cut -d, -f1 <<<"$last")" val="$(cut -d, -f6 <<<"$last")"
  local rate; rate="$(grep -o '[0-9]* tokens/s' "$out/$name.out" | tail -n 1 || true)"
  table+=("$(printf '%-22s %10s %8s %16s %10s %9s' "charlm $preset" "$(awk -v p="$val" 'BEGIN{printf "%.4f", log(p)}')" "$step" \
    "${rate:-?}" "$(wall "$out/$name.time")" "$(rss "$out/$name.time")")")
  echo "${table[-1]}"
}

peer_run() {
  echo "$(date +%T) pytorch peer, $budget s ..."
  # shellcheck disable=SC2086 # PEER_ARGS is a list of options
  /usr/bin/time -v -o "$out/pytorch.time" /usr/bin/python3 "$root/scripts/pytorch-text-bench.py" --data "$text" --val-fraction 0.01 \
    --time-limit "$budget" ${PEER_ARGS:-} > "$out/pytorch.out" 2>&1 || true   # its final line, or its absence, says how it went
  final="$(grep '^final:' "$out/pytorch.out" || true)"
  if [[ -z "$final" ]]; then echo "the peer did not finish; see $out/pytorch.out" >&2; exit 1; fi
  table+=("$(printf '%-22s %10s %8s %16s %10s %9s' "pytorch (char-rnn)" "$(awk '{print $3}' <<<"$final")" "$(awk '{print $9}' <<<"$final")" \
    "$(awk '{print $6}' <<<"$final") tokens/s" "$(wall "$out/pytorch.time")" "$(rss "$out/pytorch.time")")")
  echo "${table[-1]}"
}

for r in $runs; do
  case "$r" in
    big) charlm_run big big ;;
    text-lstm) charlm_run text-lstm text-lstm ;;
    pytorch) peer_run ;;
  esac
done

echo
echo "$text, $budget s each, held out: the last 1%, scored whole ($(date +%F), $(lscpu | sed -n 's/^Model name: *//p'), load $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-22s %10s %8s %16s %10s %9s\n' run "nats/char" steps "tokens/s (last)" wall "max RSS"
printf '%s\n' "${table[@]}"
