#!/usr/bin/env bash
# Whether a change kept every bit: trains nine short configurations with two builds (before and after)
# and compares what they wrote: model.safetensors byte for byte (or, where only its metadata differs,
# every tensor byte for byte, naming the recorded settings that changed), metrics.csv without its timing
# column, and the printed perplexities and predictions without tokens/s and progress lines. A
# refactoring of the cells or kernels must print "identical" for each; any other line names the
# configuration that moved and what in it.
# Usage: scripts/bits.sh BEFORE AFTER [DATA] [EPOCHS]
#   BEFORE, AFTER: a charlm.jar, or a worktree (its charlm-cli/target/charlm.jar, built if missing)
#   DATA: default ../shared/data/timemachine.txt beside this repository; EPOCHS: default 5
# Both run on the same java (CHARLM_JAVA, else the newest under /usr/lib/jvm, else java) with the
# launcher's options. Keeps the runs under ${BITS_DIR:-/tmp/charlm-bits}/{before,after}/NAME.
# Exit 0 when every configuration is identical, 1 otherwise.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if (( $# < 2 )); then
  echo "usage: scripts/bits.sh BEFORE AFTER [DATA] [EPOCHS]  (each a charlm.jar or a worktree)" >&2
  exit 2
fi
data="${3:-$root/../shared/data/timemachine.txt}"
epochs="${4:-5}"
out="${BITS_DIR:-/tmp/charlm-bits}"
[[ -f "$data" ]] || { echo "bits.sh: no data file $data; give one as the third argument" >&2; exit 2; }

jar_of() { # a jar as given, or a worktree's CLI jar (built when missing)
  if [[ -f "$1" ]]; then echo "$1"; return; fi
  if [[ -d "$1" ]]; then
    local j="$1/charlm-cli/target/charlm.jar"
    [[ -f "$j" ]] || (cd "$1" && mvn -q -B -DskipTests -pl charlm-cli -am package >&2)
    echo "$j"; return
  fi
  echo "bits.sh: $1 is neither a jar nor a worktree" >&2
  exit 2
}
before="$(jar_of "$1")"
after="$(jar_of "$2")"

java_bin="${CHARLM_JAVA:-}"
if [[ -z "$java_bin" ]]; then
  # The newest, as the launcher picks: directory order is not version order, so ask each.
  java_bin=java best=0
  for j in /usr/lib/jvm/*/bin/java; do
    [[ -x "$j" ]] || continue
    v="$("$j" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p' | head -n 1)"
    if (( ${v:-0} > best )); then best="$v"; java_bin="$j"; fi
  done
fi

# NAME and its options: each reaches a different path of the cells (token or row input, dropout,
# the initial state's gradient without detaching, ReLU, fresh states, one thread).
configs=(
  "book|"
  "gru|--cell gru"
  "lstm|--cell lstm"
  "lstm2|--cell lstm --layers 2 --hiddens 256"
  "embedding|--cell gru --input embedding --layers 2 --hiddens 256"
  "dropout|--cell lstm --layers 2 --hiddens 256 --input embedding --dropout 0.3 --optimizer adam --lr 0.002"
  "relu-nodetach|--activation relu --no-detach --lr 0.5"
  "random|--cell lstm --sampling random"
  "gru-nodetach-1thread|--cell gru --no-detach --threads 1"
)

train() { # JAR DIR OPTIONS...
  local jar="$1" dir="$2"; shift 2
  rm -rf "$dir"; mkdir -p "$(dirname "$dir")"
  "$java_bin" -XX:+UseSerialGC -Xmn64m -XX:ObjectAlignmentInBytes=64 --add-modules jdk.incubator.vector -jar "$jar" train \
    --data "$data" --epochs "$epochs" --out "$dir" "$@" 2>/dev/null \
    | sed -E -e 's/, [0-9.]+ tokens\/s.*//' -e 's/; writing to .*//' -e '/^wrote /d' \
        -e '/^ *minibatch [0-9]+\/[0-9]+ of epoch/d' \
        -e 's/ kernels \([^)]*\)/ kernels/' > "$dir.out"  # progress lines; the kernels' lanes and register blocks
}

untimed() { # a metrics.csv without the columns that measure time (tokens_per_sec, seconds, ...)
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) keep[i] = $i !~ /tokens_per_sec|seconds|time/ }
           { s = ""; for (i = 1; i <= NF; i++) if (keep[i]) s = s (s == "" ? "" : ",") $i; print s }' "$1"
}

tensors_only() { # B A: whether two safetensors files hold the same tensors, byte for byte, and which metadata differ
  python3 - "$1" "$2" <<'PY'
import json, struct, sys
def read(path):
    raw = open(path, 'rb').read()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop('__metadata__', {})
    body = raw[8 + n:]
    return meta, {k: body[v['data_offsets'][0]:v['data_offsets'][1]] + str(v['shape']).encode() for k, v in header.items()}
(mb, tb), (ma, ta) = read(sys.argv[1]), read(sys.argv[2])
if tb != ta:
    sys.exit(1)
keys = []
for k in sorted(set(mb) | set(ma)):
    if mb.get(k) == ma.get(k):
        continue
    if k == 'settings':  # name the settings whose recorded value changed (a changed default, say)
        sb, sa = json.loads(mb.get(k, '{}')), json.loads(ma.get(k, '{}'))
        keys += [s for s in sorted(set(sb) | set(sa)) if sb.get(s) != sa.get(s)]
    else:
        keys.append(k)
print(', '.join(keys))
PY
}

same=0 total=0
for c in "${configs[@]}"; do
  name="${c%%|*}"; read -r -a opts <<< "${c#*|}"
  [[ " ${opts[*]} " == *" --threads "* ]] || opts+=(--threads 2)
  train "$before" "$out/before/$name" "${opts[@]}"
  train "$after" "$out/after/$name" "${opts[@]}"
  b="$out/before/$name" a="$out/after/$name"
  diffs=() note=""
  if ! cmp -s "$b/model.safetensors" "$a/model.safetensors"; then
    # The same tensors under different metadata (a setting's default changed and is recorded) keep every bit of the model.
    if meta="$(tensors_only "$b/model.safetensors" "$a/model.safetensors")"; then
      note=" (the same tensors; recorded settings differ: $meta)"
    else
      diffs+=("model.safetensors")
    fi
  fi
  cmp -s <(untimed "$b/metrics.csv") <(untimed "$a/metrics.csv") || diffs+=("metrics.csv")
  cmp -s "$b.out" "$a.out" || diffs+=("printed perplexities or predictions")
  total=$((total + 1))
  if (( ${#diffs[@]} == 0 )); then
    same=$((same + 1)); echo "$name: identical$note"
  else
    echo "$name: DIFFERENT (${diffs[*]})"
  fi
done
echo "$same of $total configurations identical ($epochs epochs on $(basename "$data"), $java_bin)"
(( same == total ))
