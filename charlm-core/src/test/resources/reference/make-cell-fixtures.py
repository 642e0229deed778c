#!/usr/bin/python3
# Makes cells/*.safetensors beside this script: PyTorch loss, final state and gradients of the RNN,
# GRU and LSTM (stacked, one-hot or embedding input) on one random minibatch each, for GatedReferenceTest.
# Run: /usr/bin/python3 make-cell-fixtures.py [OUT_DIR]   (default: cells/ beside this script; needs torch)
"""The gated and stacked cells of charlm written again in torch operations, straight from the book's
equations, with charlm's parameter names and the chapter's shapes; autograd gives the gradients.

Each variant draws every parameter (biases too) from N(0, 0.5²) so the cells leave their linear
regime and every term of the backward pass matters, a random (B, T) minibatch X, Y and a random
non-zero initial state, and writes one safetensors file holding:

  <name>          every parameter in its chapter shape ("l0.", "l1.", ... before a layer's names
                  when there are several; W_embed, W_hq and b_q never have one)
  state0, stateT  initial and final state, (L, S, B, H) with S = 1 (h) or 2 (h, then c, for the
                  LSTM): row-major, exactly charlm's state array
  X, Y            (B, T) token ids stored as float32 values (charlm reads F32 only)
  d_<name>        gradient of the mean cross-entropy over the T·B outputs for every parameter
  d_state0        and for the initial state
metadata: the model's settings (cell, layers, input, vocab, hiddens, embed, activation, batch,
steps), seed, torch version, and "loss" as repr() of the float64 value.

Precision: the parameters, state and tokens are drawn in float32 (what charlm holds), then the
forward and backward passes run in float64 and are rounded to float32 only when written. The
fixtures are then the exact answer for charlm's own inputs, and charlm's float32 error is measured
alone, not added to torch's float32 error. The script prints, for scale, how far torch's own
float32 run lands from the float64 one.

Checks before writing: the LSTM and plain RNN variants must agree with torch's fused nn.LSTM /
nn.RNN (weights mapped onto them) to 1e-10, so the hand-written equations are checked by code
nobody here wrote. The GRU has no such peer: nn.GRU applies the reset gate after the product
(R ⊙ (H W_hh + b_hn)), the book before it ((R ⊙ H) W_hh), so they are different functions.

Leaves out: ReLU (the finite-difference test covers it) and anything about speed.
"""
import json
import os
import struct
import sys
import tempfile

import torch
import torch.nn.functional as F

SCALE = 0.5  # std of every parameter and of the initial state

# name, cell, layers, input, V, H, E, B, T, seed
VARIANTS = [
    ('rnn-2-onehot', 'rnn', 2, 'onehot', 7, 6, 0, 3, 4, 101),
    ('rnn-1-embedding', 'rnn', 1, 'embedding', 7, 6, 5, 3, 4, 102),
    ('gru-1-onehot', 'gru', 1, 'onehot', 7, 6, 0, 3, 4, 103),
    ('gru-2-onehot', 'gru', 2, 'onehot', 7, 6, 0, 3, 4, 104),
    ('gru-1-embedding', 'gru', 1, 'embedding', 7, 6, 5, 3, 4, 105),
    ('lstm-1-onehot', 'lstm', 1, 'onehot', 7, 6, 0, 3, 4, 106),
    ('lstm-2-onehot', 'lstm', 2, 'onehot', 7, 6, 0, 3, 4, 107),
    ('lstm-1-embedding', 'lstm', 1, 'embedding', 7, 6, 5, 3, 4, 108),
    ('lstm-3-embedding', 'lstm', 3, 'embedding', 7, 6, 5, 3, 4, 109),
    # H = 72 > 64, charlm's column block: with two threads the hidden columns are split between
    # them (at H = 6 one part owns them all), and the GRU's candidate then needs the other
    # thread's R ⊙ H_{t−1}. B and T are smaller to keep the file near 140 KB.
    ('gru-1-onehot-h72', 'gru', 1, 'onehot', 7, 72, 0, 2, 3, 110),
]

GATES = {'rnn': ['h'], 'gru': ['z', 'r', 'h'], 'lstm': ['i', 'f', 'o', 'c']}


def prefix(layers, l):
    return '' if layers == 1 else f'l{l}.'


def declare(cell, layers, inp, V, H, E):
    """charlm's parameters in its declaration order, with their chapter shapes."""
    shapes = {}
    if inp == 'embedding':
        shapes['W_embed'] = (V, E)
    for l in range(layers):
        d = H if l > 0 else (E if inp == 'embedding' else V)
        q = prefix(layers, l)
        for g in GATES[cell]:
            shapes[q + 'W_x' + g] = (d, H)
            shapes[q + 'W_h' + g] = (H, H)
            shapes[q + 'b_' + g] = (H,)
    shapes['W_hq'] = (H, V)
    shapes['b_q'] = (V,)
    return shapes


def forward(cell, layers, inp, V, P, X, state0):
    """The book's model over X (B, T) from state0 (L, S, B, H): time-major logits (T·B, V), final state."""
    B, T = X.shape
    if inp == 'embedding':
        xs = P['W_embed'][X.T]                         # (T, B, E): row x_t of the table
    else:
        xs = F.one_hot(X.T, V).to(state0.dtype)         # (T, B, V): multiplied out in full, as the book
    h = [state0[l, 0] for l in range(layers)]
    c = [state0[l, 1] for l in range(layers)] if cell == 'lstm' else None
    outputs = []
    for t in range(T):
        x = xs[t]
        for l in range(layers):
            p = {k: P[prefix(layers, l) + k] for k in (f'{w}{g}' for g in GATES[cell] for w in ('W_x', 'W_h', 'b_'))}
            hp = h[l]
            if cell == 'rnn':
                h[l] = torch.tanh(x @ p['W_xh'] + hp @ p['W_hh'] + p['b_h'])
            elif cell == 'gru':
                Z = torch.sigmoid(x @ p['W_xz'] + hp @ p['W_hz'] + p['b_z'])
                R = torch.sigmoid(x @ p['W_xr'] + hp @ p['W_hr'] + p['b_r'])
                H_tilde = torch.tanh(x @ p['W_xh'] + (R * hp) @ p['W_hh'] + p['b_h'])
                h[l] = Z * hp + (1 - Z) * H_tilde
            else:
                I = torch.sigmoid(x @ p['W_xi'] + hp @ p['W_hi'] + p['b_i'])
                Fg = torch.sigmoid(x @ p['W_xf'] + hp @ p['W_hf'] + p['b_f'])
                O = torch.sigmoid(x @ p['W_xo'] + hp @ p['W_ho'] + p['b_o'])
                C_tilde = torch.tanh(x @ p['W_xc'] + hp @ p['W_hc'] + p['b_c'])
                c[l] = Fg * c[l] + I * C_tilde
                h[l] = O * torch.tanh(c[l])
            x = h[l]
        outputs.append(x @ P['W_hq'] + P['b_q'])
    slots = [torch.stack([h[l], c[l]]) if cell == 'lstm' else h[l].unsqueeze(0) for l in range(layers)]
    return torch.cat(outputs), torch.stack(slots)


def loss_of(logits, Y):
    """Mean softmax cross-entropy over the T·B time-major rows (row t·B + b is step t of sequence b)."""
    return F.cross_entropy(logits, Y.T.reshape(-1))


def fused_peer(cell, layers, inp, V, H, P, X, state0):
    """The same model on torch's nn.RNN / nn.LSTM, weights mapped (gate rows in its i, f, g, o order)."""
    d0 = P['W_embed'].shape[1] if inp == 'embedding' else V
    module = (torch.nn.LSTM if cell == 'lstm' else torch.nn.RNN)(d0, H, num_layers=layers).to(state0.dtype)
    order = ['i', 'f', 'c', 'o'] if cell == 'lstm' else ['h']
    with torch.no_grad():
        for l in range(layers):
            q = prefix(layers, l)
            getattr(module, f'weight_ih_l{l}').copy_(torch.cat([P[q + 'W_x' + g].T for g in order]))
            getattr(module, f'weight_hh_l{l}').copy_(torch.cat([P[q + 'W_h' + g].T for g in order]))
            getattr(module, f'bias_ih_l{l}').copy_(torch.cat([P[q + 'b_' + g] for g in order]))
            getattr(module, f'bias_hh_l{l}').zero_()
        xs = P['W_embed'][X.T] if inp == 'embedding' else F.one_hot(X.T, V).to(state0.dtype)
        if cell == 'lstm':
            out, (hT, cT) = module(xs, (state0[:, 0].contiguous(), state0[:, 1].contiguous()))
            stateT = torch.stack([hT, cT], dim=1)
        else:
            out, hT = module(xs, state0[:, 0].contiguous())
            stateT = hT.unsqueeze(1)
        logits = out.reshape(-1, H) @ P['W_hq'] + P['b_q']
    return logits, stateT


def run(cell, layers, inp, V, P32, X, Y, state32, dtype):
    """Loss, final state and gradients (parameters, then the initial state) with every tensor in dtype."""
    P = {k: v.to(dtype).requires_grad_() for k, v in P32.items()}
    state0 = state32.to(dtype).requires_grad_()
    logits, stateT = forward(cell, layers, inp, V, P, X, state0)
    loss = loss_of(logits, Y)
    loss.backward()
    grads = {k: v.grad for k, v in P.items()}
    grads['state0'] = state0.grad
    return loss.detach(), logits.detach(), stateT.detach(), grads, P, state0.detach()


def worst_scaled(a, b):
    """max |a − b| / max(1, max |b|): the measure GatedReferenceTest holds charlm to."""
    return ((a - b).abs().max() / b.abs().max().clamp(min=1)).item()


def save_safetensors(path, tensors, metadata):
    header, blobs, offset = {'__metadata__': metadata}, [], 0
    for name, t in tensors.items():
        blob = t.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    head = json.dumps(header, separators=(',', ':')).encode()
    head += b' ' * (-len(head) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(head)))
        f.write(head)
        for blob in blobs:
            f.write(blob)


def make(out_dir, name, cell, layers, inp, V, H, E, B, T, seed):
    g = torch.Generator().manual_seed(seed)
    shapes = declare(cell, layers, inp, V, H, E)
    P32 = {k: torch.randn(s, generator=g, dtype=torch.float32) * SCALE for k, s in shapes.items()}
    S = 2 if cell == 'lstm' else 1
    state32 = torch.randn((layers, S, B, H), generator=g, dtype=torch.float32) * SCALE
    X = torch.randint(V, (B, T), generator=g)
    Y = torch.randint(V, (B, T), generator=g)

    loss, logits, stateT, grads, P64, state64 = run(cell, layers, inp, V, P32, X, Y, state32, torch.float64)
    if cell != 'gru':
        peer_logits, peer_stateT = fused_peer(cell, layers, inp, V, H, P64, X, state64)
        assert (peer_logits - logits).abs().max() < 1e-10, (name, 'logits differ from torch.nn')
        assert (peer_stateT - stateT).abs().max() < 1e-10, (name, 'final state differs from torch.nn')
    for k, v in grads.items():
        # Ten times GatedReferenceTest's absolute floor (1e-5), so a zero gradient cannot pass it.
        # The deepest ones are the smallest: 3-layer LSTM, l0.W_hf ~6e-4 (three layers of σ' ≤ 1/4).
        assert v.abs().max() > 1e-4, (name, k, 'gradient too small to tell a wrong one from a right one')
    loss32, _, stateT32, grads32, _, _ = run(cell, layers, inp, V, P32, X, Y, state32, torch.float32)
    f32 = max([abs(loss32.item() - loss.item()) / max(1, abs(loss.item())), worst_scaled(stateT32.double(), stateT)]
              + [worst_scaled(grads32[k].double(), v) for k, v in grads.items()])

    tensors = dict(P32)
    tensors['state0'] = state32
    tensors['X'] = X.to(torch.float32)
    tensors['Y'] = Y.to(torch.float32)
    tensors['stateT'] = stateT
    for k, v in grads.items():
        tensors['d_' + k] = v
    metadata = {'cell': cell, 'layers': str(layers), 'input': inp, 'vocab': str(V), 'hiddens': str(H),
                'embed': str(E), 'activation': 'tanh', 'batch': str(B), 'steps': str(T), 'seed': str(seed),
                'scale': str(SCALE), 'loss': repr(loss.item()), 'torch': torch.__version__,
                'made_by': 'make-cell-fixtures.py (float64 passes on float32 inputs)'}
    save_safetensors(os.path.join(out_dir, name + '.safetensors'), tensors, metadata)
    print(f'{name:18s} loss {loss.item():.8f}  torch float32 vs float64: worst {f32:.1e}')


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, 'cells'))
    torch.set_num_threads(1)  # one summation order, so the files come out byte for byte the same
    # Write into a scratch dir first: only a complete, checked run replaces the committed fixtures.
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out) as work:
        for v in VARIANTS:
            make(work, *v)
        for f in sorted(os.listdir(work)):
            os.replace(os.path.join(work, f), os.path.join(out, f))
    print(f'make-cell-fixtures: wrote {len(VARIANTS)} fixtures to {out} (torch {torch.__version__})')


if __name__ == '__main__':
    main()
