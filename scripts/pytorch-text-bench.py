"""PyTorch peer for charlm on real text, in two modes.

Speed (the default): PyTorch's nn.GRU or nn.LSTM behind a learned embedding, dropout before the output
layer (and between stacked layers), Adam, global-norm clipping at 1, the state carried across
minibatches and detached at each, every character of the text a token. The same work per token as
`charlm bench` with the options of the same names (--tokenizer chars --input embedding --optimizer
adam), so tokens/s compare like for like. The shared reference's pytorch_cells_bench.py is the peer at
the book's shapes (one-hot, SGD).

  /usr/bin/python3 scripts/pytorch-text-bench.py --data ../shared/data/tinyshakespeare.txt --cell lstm
  options: --cell gru|lstm --layers N --hiddens H --embed-dim E --batch-size B --num-steps T
           --epochs N --max-tokens N (0 = all) --lr X --dropout P --threads N (torch) --blas-threads N

Prints each epoch's training perplexity and tokens/s; the last line has the median tokens/s.

Quality (--time-limit SECONDS): trains for a time budget on a big text and scores its held-out part
whole, on exactly the tokens and split charlm uses, so the nats per character compare with the
val_perplexity of a charlm run (ln of it) made with --val-fraction F --eval-tokens 0:
- the tokens are charlm's: read from the token cache charlm made of the text (beside it as
  TEXT.chars.tokens, or --tokens FILE; charlm makes one for any text over 32 MB, or with --token-cache DIR),
  by numpy memmap after its header, so the vocabulary and every id are charlm's own;
- the split is charlm's TrainingData.split: the last round(N x F) tokens held out (Java's Math.round);
- training reads B random windows of T + 1 tokens of the training part a step, each from a zero state;
- the held-out part is scored as charlm's Evaluator.Plan.whole cuts it: P = length - 1 predictions in
  b = min(64, P // 1024) contiguous pieces (at least 1), piece i from token i*P//b, each from a zero state;
  the mean negative log-likelihood over all P predictions, in nats;
- the time limit covers training and the final scoring, as charlm's --time-limit does: the scoring is
  timed on a probe before training and that time (x 1.5) kept back.
The default recipe is char-rnn's (Karpathy, 2015: github.com/karpathy/char-rnn train.lua) grown as its
README advises for a big text ("err on making the network larger"): a 2-layer LSTM (its default depth)
of 512 units, learning rate 2e-3, no dropout, batch 50 x 50 steps, clipping at 5 (char-rnn clamps each
gradient at 5; here the global norm), with an embedding of 64 and Adam in place of one-hot inputs and
RMSprop (as torch-rnn, char-rnn's successor, does). Its last line:
  final: nats/char X | tokens/s X | steps N | wall X s

  /usr/bin/python3 scripts/pytorch-text-bench.py --data /work/linux/linux-100mb.txt --time-limit 600
  /usr/bin/python3 scripts/pytorch-text-bench.py --data TEXT --val-fraction 0.01 --check-split
--max-steps N stops after N steps instead of (or as well as) a time limit, and --log-every K prints the mean
training loss of each K steps, so a run compares with charlm's steps.csv (--max-steps N --eval-every K, whose
train_loss is the same mean) at equal steps on a loaded machine; --no-final-score skips the held-out scoring.
(--check-split prints SHA-256 checksums of the vocabulary and of both parts' ids and stops: a test
compares them with charlm's; it needs numpy only.)

Needs python3-torch (apt-get install -y python3-torch libopenblas0-pthread); run with /usr/bin/python3.
"""
import argparse
import hashlib
import math
import os
import statistics
import struct
import sys
import time

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument('--data', help='the text (its token cache is looked for beside it in the quality mode)')
parser.add_argument('--tokens', help='quality mode: the charlm token cache to read (default: DATA.chars.tokens)')
parser.add_argument('--time-limit', type=float, help='quality mode: seconds for training and the final scoring')
parser.add_argument('--check-split', action='store_true', help='quality mode: print checksums of the split and stop')
parser.add_argument('--max-steps', type=int, help='quality mode: stop after N steps (with or without --time-limit), to compare at equal steps')
parser.add_argument('--log-every', type=int, default=0, help='quality mode: print the mean training loss of every N steps (0: every 30 s)')
parser.add_argument('--no-final-score', action='store_true', help='quality mode: skip the held-out scoring at the end')
parser.add_argument('--val-fraction', type=float, default=0.01, help='quality mode: the held-out tail, as charlm\'s --val-fraction')
parser.add_argument('--cell', default='lstm', choices=['gru', 'lstm'])
parser.add_argument('--layers', type=int)
parser.add_argument('--hiddens', type=int, default=512)
parser.add_argument('--embed-dim', type=int, default=64)
parser.add_argument('--batch-size', type=int)
parser.add_argument('--num-steps', type=int)
parser.add_argument('--epochs', type=int, default=3)
parser.add_argument('--max-tokens', type=int, default=200000)
parser.add_argument('--lr', type=float)
parser.add_argument('--dropout', type=float)
parser.add_argument('--clip', type=float)
parser.add_argument('--seed', type=int, default=0)
parser.add_argument('--threads', type=int, default=1)
parser.add_argument('--blas-threads', type=int, default=2)
args = parser.parse_args()
quality = args.time_limit is not None or args.max_steps is not None or args.check_split
# Each mode's recipe; an option given on the command line wins.
defaults = dict(layers=2, batch_size=50, num_steps=50, lr=2e-3, dropout=0.0, clip=5.0) if quality \
    else dict(layers=1, batch_size=64, num_steps=64, lr=0.002, dropout=0.1, clip=1.0)
for k, v in defaults.items():
    if getattr(args, k) is None:
        setattr(args, k, v)
if args.data is None and args.tokens is None:
    parser.error('give --data TEXT (or --tokens CACHE in the quality mode)')
if not quality and args.data is None:
    parser.error('the speed mode reads --data TEXT')
if args.max_steps is not None and args.max_steps < 1:
    parser.error('--max-steps must be a positive whole number, got %d' % args.max_steps)
if args.log_every < 0:
    parser.error('--log-every must be 0 (every 30 s) or a positive whole number, got %d' % args.log_every)
if quality and not 0 < args.val_fraction < 1:
    parser.error('--val-fraction must be between 0 and 1, got %s' % args.val_fraction)


def read_cache(path):
    """charlm's token cache (charlm.data.TokenCache.Header): the vocabulary and the ids, memory-mapped.

    Little endian: magic "CHARLMTK" at 0, version 1 at 8, header bytes H at 12, bytes per token (1 or 2)
    at 16, vocabulary size V at 20, tokens N at 24, text size at 32, tokenizer at 60 (1 = chars); the
    vocabulary's code points after <unk> (id 0) at 84, 4 bytes each; the N ids start at byte H = 88 + 4(V-1).
    The CRCs are not checked here (charlm checks them whenever it opens the cache)."""
    import numpy as np
    with open(path, 'rb') as f:
        fixed = f.read(88)
        if len(fixed) < 88 or fixed[:8] != b'CHARLMTK':
            sys.exit('%s is not a charlm token cache; let charlm make one (train on the text, with --token-cache DIR under 32 MB)' % path)
        version, header, width, v, n = struct.unpack_from('<iiiiq', fixed, 8)
        if version != 1 or width not in (1, 2) or header != 88 + 4 * (v - 1):
            sys.exit('%s: a token cache this script cannot read (version %d, width %d); use the charlm that made it' % (path, version, width))
        tokenizer, = struct.unpack_from('<i', fixed, 60)
        if tokenizer != 1:
            sys.exit('%s was made by the letters tokenizer; the peer compares against --tokenizer chars' % path)
        f.seek(84)
        vocab = ['<unk>'] + [chr(c) for c in struct.unpack('<%di' % (v - 1), f.read(4 * (v - 1)))]
    if os.path.getsize(path) != header + n * width:
        sys.exit('%s is cut short (%d bytes, not %d); let charlm rebuild it' % (path, os.path.getsize(path), header + n * width))
    ids = np.memmap(path, dtype=np.uint8 if width == 1 else '<u2', mode='r', offset=header, shape=(n,))
    return vocab, ids


def held_out_pieces(length):
    """charlm's Evaluator.Plan.whole(length, min(64, P // 1024)): (first token, predictions) of each piece."""
    p = length - 1
    b = max(1, min(64, p // 1024))
    starts = [i * p // b for i in range(b)] + [p]
    return [(starts[i], starts[i + 1] - starts[i]) for i in range(b)]


if quality:
    cache = args.tokens or args.data + '.chars.tokens'
    if not os.path.isfile(cache):
        sys.exit('no token cache at %s; run charlm on the text first (it makes one beside any text over 32 MB; '
                 'a smaller one needs --token-cache DIR, then give --tokens DIR/...)' % cache)
    vocab, ids = read_cache(cache)
    n = len(ids)
    held = math.floor(n * args.val_fraction + 0.5)  # Java's Math.round(n * fraction) for a positive double
    if held < 2:
        sys.exit('--val-fraction %s of %d tokens holds out fewer than 2' % (args.val_fraction, n))
    train_ids, val_ids = ids[:n - held], ids[n - held:]
    if args.check_split:
        def digest(part):
            return hashlib.sha256(part.astype('<i4').tobytes()).hexdigest()
        print('vocab %d %s' % (len(vocab), hashlib.sha256(''.join(vocab[1:]).encode('utf-8')).hexdigest()))
        print('train %d %s' % (len(train_ids), digest(train_ids)))
        print('held-out %d %s' % (len(val_ids), digest(val_ids)))
        print('pieces %s' % ' '.join('%d+%d' % piece for piece in held_out_pieces(len(val_ids))))
        sys.exit(0)

# The thread counts must be set before torch loads its BLAS.
os.environ.setdefault('OPENBLAS_NUM_THREADS', str(args.blas_threads))
os.environ.setdefault('OMP_NUM_THREADS', str(args.threads))
import torch  # noqa: E402
from torch import nn  # noqa: E402

started = time.perf_counter()
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)

if quality:
    V = len(vocab)
else:
    with open(args.data, encoding='utf-8') as f:
        text = f.read()
    alphabet = sorted(set(text))  # of the whole text, as charlm's vocabulary, with <unk> as 0
    code = {c: i + 1 for i, c in enumerate(alphabet)}
    if args.max_tokens > 0:
        text = text[:args.max_tokens + 1]
    ids = torch.tensor([code[c] for c in text])
    V = len(alphabet) + 1
E, H, B, T = args.embed_dim, args.hiddens, args.batch_size, args.num_steps


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(V, E)
        cell = nn.LSTM if args.cell == 'lstm' else nn.GRU
        self.rnn = cell(E, H, args.layers, dropout=args.dropout if args.layers > 1 else 0.0)
        self.drop = nn.Dropout(args.dropout)
        self.head = nn.Linear(H, V)

    def forward(self, x, state):
        out, state = self.rnn(self.embed(x), state)
        return self.head(self.drop(out)).reshape(-1, V), state


model = Model()
optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
loss_fn = nn.CrossEntropyLoss()
recipe = (f'pytorch {torch.__version__} {args.cell} x{args.layers}, embedding {E}, hiddens {H}, vocab {V}, batch {B}, '
          f'steps {T}, adam {args.lr}, dropout {args.dropout}, clip {args.clip}, threads {args.threads}+{args.blas_threads}')


def step(x, y, state):
    """One minibatch of training (x, y: (T, B)); returns the loss and the state after it."""
    logits, state = model(x, state)
    loss = loss_fn(logits, y.reshape(-1))
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), args.clip)
    optimizer.step()
    return loss.item(), state


if not quality:
    # Sequential partitioning: B parallel streams, each read T characters at a time, time-major.
    columns = (len(ids) - 1) // B
    xs = ids[:B * columns].reshape(B, columns).T
    ys = ids[1:1 + B * columns].reshape(B, columns).T

    rates = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        state, loss_sum, seen = None, 0.0, 0
        start = time.perf_counter()
        for i in range(0, columns - T + 1, T):
            x, y = xs[i:i + T], ys[i:i + T]
            if state is not None:
                state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
            loss, state = step(x, y, state)
            loss_sum += loss * y.numel()
            seen += y.numel()
        seconds = time.perf_counter() - start
        rates.append(seen / seconds)
        print(f'epoch {epoch}: perplexity {math.exp(loss_sum / seen):.2f}, {seen / seconds:.1f} tokens/s', flush=True)
    print(f'{recipe}: {statistics.median(rates):.1f} tokens/s (median of {args.epochs} epochs)')
    sys.exit(0)

import numpy as np  # noqa: E402

SCORE_STEPS = 128  # steps per forward pass of the scoring; the state is carried, so it changes only the speed


@torch.no_grad()
def nll_sum(pieces):
    """Summed negative log-likelihood (nats) of the held-out predictions of the given pieces, all side by side."""
    model.eval()
    b, longest = len(pieces), max(m for _, m in pieces)
    total, state = 0.0, None
    for at in range(0, longest, SCORE_STEPS):
        steps = min(SCORE_STEPS, longest - at)
        x = np.zeros((steps, b), dtype=np.int64)
        y = np.full((steps, b), -100, dtype=np.int64)  # cross_entropy's ignore_index: a piece that has ended
        for i, (start, m) in enumerate(pieces):
            k = max(0, min(steps, m - at))
            x[:k, i] = val_ids[start + at:start + at + k]
            y[:k, i] = val_ids[start + at + 1:start + at + 1 + k]
        logits, state = model(torch.from_numpy(x), state)
        total += nn.functional.cross_entropy(logits, torch.from_numpy(y).reshape(-1), ignore_index=-100, reduction='sum').item()
    model.train()
    return total


pieces = held_out_pieces(len(val_ids))
predictions = sum(m for _, m in pieces)
# The final scoring's time, from the fastest of two probes of one forward pass per piece (the first warms up).
probe = [(s, min(m, SCORE_STEPS)) for s, m in pieces]
probe_seconds = float('inf')
for _ in range(2):
    t0 = time.perf_counter()
    nll_sum(probe)
    probe_seconds = min(probe_seconds, time.perf_counter() - t0)
reserve = 1.5 * probe_seconds * predictions / sum(m for _, m in probe)
print(f'{recipe}; tokens {n} from {cache}: training on the first {len(train_ids)}, scoring the last {held} '
      f'({predictions} predictions in {len(pieces)} pieces, about {reserve:.0f} s kept for it)', flush=True)

rng = np.random.default_rng(args.seed)
offsets = np.arange(T + 1)
steps, loss_sum, since, last_print = 0, 0.0, 0, time.perf_counter()
train_start = time.perf_counter()
while (args.max_steps is None or steps < args.max_steps) and \
        (args.time_limit is None or time.perf_counter() - started + reserve < args.time_limit):
    starts = rng.integers(0, len(train_ids) - T, size=B)
    windows = torch.from_numpy(train_ids[starts[None, :] + offsets[:, None]].astype(np.int64))  # (T + 1, B)
    loss, _ = step(windows[:-1], windows[1:], None)
    steps += 1
    loss_sum += loss
    since += 1
    if since == args.log_every or not args.log_every and time.perf_counter() - last_print > 30:
        print(f'step {steps}: training loss {loss_sum / since:.4f} nats, {steps * B * T / (time.perf_counter() - train_start):.0f} tokens/s', flush=True)
        loss_sum, since, last_print = 0.0, 0, time.perf_counter()
train_seconds = time.perf_counter() - train_start
if steps == 0:
    sys.exit(f'--time-limit {args.time_limit:g} leaves no time to train a step after the {reserve:.0f} s the final scoring needs; give more')
if args.no_final_score:
    print(f'final: steps {steps} | tokens/s {steps * B * T / train_seconds:.1f} | wall {time.perf_counter() - started:.1f} s (not scored)')
    sys.exit(0)
t0 = time.perf_counter()
nats = nll_sum(pieces) / predictions
print(f'scored {predictions} held-out predictions in {time.perf_counter() - t0:.1f} s (perplexity {math.exp(nats):.6f})')
print(f'final: nats/char {nats:.6f} | tokens/s {steps * B * T / train_seconds:.1f} | steps {steps} | '
      f'wall {time.perf_counter() - started:.1f} s', flush=True)
