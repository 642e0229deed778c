"""Speed peer at the shapes charlm trains real text with: PyTorch's nn.GRU or nn.LSTM behind a
learned embedding, dropout before the output layer (and between stacked layers), Adam, global-norm
clipping at 1, the state carried across minibatches and detached at each, every character of the
text a token. The same work per token as `charlm bench` with the options of the same names
(--tokenizer chars --input embedding --optimizer adam), so tokens/s compare like for like.
The shared reference's pytorch_cells_bench.py is the peer at the book's shapes (one-hot, SGD).

  /usr/bin/python3 scripts/pytorch-text-bench.py --data ../shared/data/tinyshakespeare.txt --cell lstm
  options: --cell gru|lstm --layers N --hiddens H --embed-dim E --batch-size B --num-steps T
           --epochs N --max-tokens N (0 = all) --lr X --dropout P --threads N (torch) --blas-threads N

Prints each epoch's training perplexity and tokens/s; the last line has the median tokens/s.
Needs python3-torch (apt-get install -y python3-torch libopenblas0-pthread); run with /usr/bin/python3.
"""
import argparse
import math
import os
import statistics
import time

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument('--data', required=True)
parser.add_argument('--cell', default='lstm', choices=['gru', 'lstm'])
parser.add_argument('--layers', type=int, default=1)
parser.add_argument('--hiddens', type=int, default=512)
parser.add_argument('--embed-dim', type=int, default=64)
parser.add_argument('--batch-size', type=int, default=64)
parser.add_argument('--num-steps', type=int, default=64)
parser.add_argument('--epochs', type=int, default=3)
parser.add_argument('--max-tokens', type=int, default=200000)
parser.add_argument('--lr', type=float, default=0.002)
parser.add_argument('--dropout', type=float, default=0.1)
parser.add_argument('--seed', type=int, default=0)
parser.add_argument('--threads', type=int, default=1)
parser.add_argument('--blas-threads', type=int, default=2)
args = parser.parse_args()
# The thread counts must be set before torch loads its BLAS.
os.environ.setdefault('OPENBLAS_NUM_THREADS', str(args.blas_threads))
os.environ.setdefault('OMP_NUM_THREADS', str(args.threads))
import torch  # noqa: E402
from torch import nn  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)

with open(args.data, encoding='utf-8') as f:
    text = f.read()
alphabet = sorted(set(text))  # of the whole text, as charlm's vocabulary, with <unk> as 0
code = {c: i + 1 for i, c in enumerate(alphabet)}
if args.max_tokens > 0:
    text = text[:args.max_tokens + 1]
ids = torch.tensor([code[c] for c in text])
V, E, H, B, T = len(alphabet) + 1, args.embed_dim, args.hiddens, args.batch_size, args.num_steps


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
        logits, state = model(x, state)
        loss = loss_fn(logits, y.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        loss_sum += loss.item() * y.numel()
        seen += y.numel()
    seconds = time.perf_counter() - start
    rates.append(seen / seconds)
    print(f'epoch {epoch}: perplexity {math.exp(loss_sum / seen):.2f}, {seen / seconds:.1f} tokens/s', flush=True)
print(f'pytorch {torch.__version__} {args.cell} x{args.layers}, embedding {E}, hiddens {H}, vocab {V}, batch {B}, '
      f'steps {T}, adam, dropout {args.dropout}, threads {args.threads}+{args.blas_threads}: '
      f'{statistics.median(rates):.1f} tokens/s (median of {args.epochs} epochs)')
