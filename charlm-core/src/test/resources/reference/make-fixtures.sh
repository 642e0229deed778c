#!/usr/bin/env bash
# Regenerates the PyTorch-reference fixtures beside this script: two checkpoints, one gradient
# dump and expected.properties (numbers parsed from the reference's own output, never typed in);
# then cells/ by make-cell-fixtures.py (GRU, LSTM, stacked, embedding; that script alone suffices).
# Usage: make-fixtures.sh [SHARED_DIR]   (else $CHARLM_SHARED, else <repo>/../shared)
# Leaves out speed: timings belong to benchmarks, not to fixtures.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ASKED="${1:-${CHARLM_SHARED:-$HERE/../../../../../../shared}}"
SHARED="$(cd "$ASKED" 2>/dev/null && pwd)" || { echo "make-fixtures: no shared folder at $ASKED" >&2; exit 1; }
PY="${CHARLM_PYTHON:-/usr/bin/python3}"
REF="$SHARED/reference/pytorch_rnn.py"
DATA="$SHARED/data/timemachine.txt"
SMALL_EPOCHS=300   # H=32 reaches perplexity ~5.6 and non-trivial greedy text in ~7 s

for f in "$REF" "$DATA"; do
  [[ -f "$f" ]] || { echo "make-fixtures: missing $f" >&2; exit 1; }
done

# Work in a scratch dir; only a complete, successful run replaces the committed fixtures.
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
ref() { "$PY" "$REF" "$@"; }

# 1. tiny initial checkpoint (V=28, H=16)
ref init --data "$DATA" --hiddens 16 --seed 3 --model tiny-init.safetensors
# 2. its loss and gradients on the first sequential minibatch (B=3, T=5)
ref grads --data "$DATA" --model tiny-init.safetensors --batch-size 3 --num-steps 5 \
    --out tiny-grads.safetensors > out.tiny.grads
ref eval --data "$DATA" --model tiny-init.safetensors > out.tiny.eval.10000
# 3. small trained checkpoint (H=32, book's B=32, T=35, lr 1, sequential)
ref train --data "$DATA" --hiddens 32 --epochs "$SMALL_EPOCHS" --batch-size 32 --num-steps 35 \
    --seed 1 --model small-trained.safetensors > out.small.train
ref eval --data "$DATA" --model small-trained.safetensors > out.small.eval.10000
ref eval --data "$DATA" --model small-trained.safetensors --max-tokens 0 > out.small.eval.all
ref generate --model small-trained.safetensors --prefix "time traveller" --num-preds 50 \
    > out.small.generate.time_traveller.50
ref generate --model small-trained.safetensors --prefix "traveller" --num-preds 50 \
    > out.small.generate.traveller.50
ref generate --model small-trained.safetensors --prefix "the" --num-preds 200 \
    > out.small.generate.the.200
# 4. the book's own config for 20 epochs (the end-to-end test's target)
ref train --data "$DATA" --epochs 20 > out.book20.train
# the tiny minibatch itself, so the gradient test needs no copy of the book
"$PY" - "$DATA" > out.tiny.batch <<'EOF2'
import json, re, struct, sys
with open('tiny-init.safetensors', 'rb') as f:
    n = struct.unpack('<Q', f.read(8))[0]
    vocab = json.loads(json.loads(f.read(n))['__metadata__']['vocab'])
index = {t: i for i, t in enumerate(vocab)}
with open(sys.argv[1]) as f:
    chars = [c for line in f for c in re.sub('[^A-Za-z]+', ' ', line).strip().lower()]
corpus = [index.get(c, 0) for c in chars][:10000]
B, T = 3, 5                      # as the grads command above: row b is tokens [b*L, b*L+T)
L = (len(corpus) - 1) // B
print(' '.join(str(corpus[b * L + t]) for b in range(B) for t in range(T + 1)))
EOF2
sha1sum "$DATA" | cut -d' ' -f1 > out.sha1
"$PY" -c 'import torch; print(torch.__version__)' > out.torch

# 5. expected.properties, escaped like java.util.Properties.store (and a trailing space too)
SMALL_EPOCHS="$SMALL_EPOCHS" "$PY" - <<'EOF'
import json, os, re, struct, sys

def out(name):
    with open('out.' + name) as f:
        text = f.read()
    assert text.endswith('\n'), name
    return text[:-1]          # drop print()'s newline only; trailing spaces are data

def one(pattern, name):
    m = re.fullmatch(pattern, out(name))
    if not m:
        sys.exit(f'make-fixtures: unexpected output of {name}: {out(name)!r}')
    return m.groups()

def metadata(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        return json.loads(f.read(n)).get('__metadata__', {})

props = {}
loss = metadata('tiny-grads.safetensors')['loss']      # repr() of the float: full precision
(printed,) = one(r'loss (\S+)', 'tiny.grads')
assert abs(float(loss) - float(printed)) < 1e-7, (loss, printed)
props['tiny.grads.loss'] = loss
for model, runs in [('tiny', ['10000']), ('small', ['10000', 'all'])]:
    for n in runs:
        ppl, count = one(r'perplexity (\S+) over (\d+) predictions', f'{model}.eval.{n}')
        props[f'{model}.eval.perplexity.{n}'] = ppl
        props[f'{model}.eval.predictions.{n}'] = count
train = out('small.train').split('\n')
(final,) = re.fullmatch(r'final perplexity (\S+), median .*', train[-3]).groups()
props['small.train.epochs'] = os.environ['SMALL_EPOCHS']
props['tiny.grads.batch'] = out('tiny.batch')   # B=3 rows of T+1=6 tokens: X is the first 5, Y the last 5
book = out('book20.train').split('\n')
(book_final,) = re.fullmatch(r'final perplexity (\S+), median .*', book[-3]).groups()
props['book20.train.perplexity'] = book_final
props['small.train.perplexity'] = final
for key in ['time_traveller.50', 'traveller.50', 'the.200']:
    text = out(f'small.generate.{key}')
    assert '\n' not in text, key
    props[f'small.generate.{key}'] = text
props['timemachine.sha1'] = out('sha1')

def escape(s, key):
    r = []
    for i, c in enumerate(s):
        if c == ' ' and (key or i in (0, len(s) - 1)): r.append('\\ ')  # ends survive editors
        elif c in '\\=:#!': r.append('\\' + c)
        elif c == '\t': r.append('\\t')
        elif c == '\n': r.append('\\n')
        elif c == '\r': r.append('\\r')
        elif c == '\f': r.append('\\f')
        elif ord(c) < 0x20 or ord(c) > 0x7e: r.append('\\u%04X' % ord(c))
        else: r.append(c)
    return ''.join(r)

with open('expected.properties', 'w', encoding='ascii', newline='\n') as f:
    f.write('# Generated by make-fixtures.sh from shared/reference/pytorch_rnn.py; do not edit.\n')
    f.write('# tiny = init --hiddens 16 --seed 3; grads --batch-size 3 --num-steps 5\n')
    f.write('# book20 = train --epochs 20 (the book config, seed 0)\n')
    f.write('# small = train --hiddens 32 --batch-size 32 --num-steps 35 --seed 1 '
            '--epochs small.train.epochs\n')
    f.write(f"# torch {out('torch')}\n")
    f.write('# eval suffix = --max-tokens (10000 or all); generate suffix = --num-preds\n')
    for k, v in props.items():
        f.write(f'{escape(k, True)}={escape(v, False)}\n')
EOF

# 6. the gated and stacked cells' fixtures: needs torch only, not the shared folder
"$PY" "$HERE/make-cell-fixtures.py" "$WORK/cells"

cp tiny-init.safetensors tiny-grads.safetensors small-trained.safetensors expected.properties "$HERE/"
mkdir -p "$HERE/cells" && cp "$WORK"/cells/*.safetensors "$HERE/cells/"
echo "make-fixtures: wrote fixtures to $HERE"
