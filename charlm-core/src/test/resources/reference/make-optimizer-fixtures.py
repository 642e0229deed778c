#!/usr/bin/env python3
"""Makes the optimizer fixtures in optim/: torch.optim's own trajectory for each optimizer charlm has.

For each case, two float32 parameters, a matrix W (6, 5) that takes weight decay and a vector b (5)
that does not (charlm decays matrices only, so b sits in a param group with weight_decay 0), take
six steps of torch.optim on a fixed sequence of random gradients, with the learning rate changed
before each step as a schedule would. The file holds the start, every gradient, the learning rates
and the parameters after every step; OptimizerReferenceTest replays the gradients through charlm's
optimizer and compares. Run: /usr/bin/python3 make-optimizer-fixtures.py (needs torch; writes beside itself).
"""
import json
import os
import struct
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "optim")
STEPS = 6
LRS = [0.01, 0.02, 0.015, 0.005, 0.03, 0.01]

CASES = {
    "sgd": ("sgd", dict()),
    "sgd-decay": ("sgd", dict(weight_decay=0.1)),
    "adam": ("adam", dict(betas=(0.9, 0.999), eps=1e-8)),
    "adam-decay": ("adam", dict(betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
    "adamw-decay": ("adamw", dict(betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)),
    "rmsprop": ("rmsprop", dict(alpha=0.99, eps=1e-8)),
    "rmsprop-decay": ("rmsprop", dict(alpha=0.9, eps=1e-6, weight_decay=0.01)),
}


def make(name, kind, options, seed):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(6, 5, generator=g, dtype=torch.float32).requires_grad_()
    b = torch.randn(5, generator=g, dtype=torch.float32).requires_grad_()
    decay = options.get("weight_decay", 0.0)
    rest = {k: v for k, v in options.items() if k != "weight_decay"}
    groups = [{"params": [w], "weight_decay": decay}, {"params": [b], "weight_decay": 0.0}]
    opt = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
           "rmsprop": torch.optim.RMSprop}[kind](groups, lr=LRS[0], **rest)
    tensors = {"start.W": w.detach().clone(), "start.b": b.detach().clone()}
    for t in range(STEPS):
        for group in opt.param_groups:
            group["lr"] = LRS[t]
        # gradients of mixed sizes, some exactly zero, as a real run has
        gw = torch.randn(6, 5, generator=g) * (10.0 ** (t % 3 - 1))
        gb = torch.randn(5, generator=g) * 0.1
        gw[0, 0] = 0.0
        w.grad, b.grad = gw.clone(), gb.clone()
        opt.step()
        tensors[f"grad{t + 1}.W"], tensors[f"grad{t + 1}.b"] = gw, gb
        tensors[f"after{t + 1}.W"], tensors[f"after{t + 1}.b"] = w.detach().clone(), b.detach().clone()
    meta = {"optimizer": kind, "options": json.dumps(options), "lrs": json.dumps(LRS), "steps": str(STEPS),
            "torch": torch.__version__}
    write(os.path.join(OUT, name + ".safetensors"), tensors, meta)


def write(path, tensors, meta):
    header, offset, blobs = {"__metadata__": meta}, 0, []
    for key, t in tensors.items():
        data = t.contiguous().to(torch.float32).numpy().astype("<f4").tobytes()
        header[key] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for i, (name, (kind, options)) in enumerate(sorted(CASES.items())):
        make(name, kind, options, seed=100 + i)
    print("make-optimizer-fixtures: wrote", len(CASES), "cases to", OUT, file=sys.stderr)
