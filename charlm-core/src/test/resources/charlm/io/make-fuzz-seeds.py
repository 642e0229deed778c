#!/usr/bin/env python3
"""Writes the seeds of the checkpoint reader's fuzz tests (see FuzzProperty.java).

Into SafetensorsFuzzTestInputs/ and CheckpointLoadFuzzTestInputs/: the real checkpoints of
golden/ and reference/ (real-*), and hand-made files each wrong in exactly one way (or, for the
ok-* ones, right), so that the fuzzer starts next to every check the reader makes. Into
JsonFuzzTestInputs/: JSON texts, and the headers of the real checkpoints. mvn verify replays them
all: each must load or end in one clear CharlmException.

Run from anywhere: python3 make-fuzz-seeds.py. Uses only the standard library.
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
BINARY = [os.path.join(HERE, d) for d in ('SafetensorsFuzzTestInputs', 'CheckpointLoadFuzzTestInputs')]
JSON_DIR = os.path.join(HERE, 'JsonFuzzTestInputs')
REAL = [os.path.join(HERE, '..', '..', d, f) for d, f in (
    ('golden', 'golden-v1-rnn.safetensors'), ('golden', 'golden-v1-gru2.safetensors'),
    ('golden', 'golden-v1-lstm2-embed.safetensors'), ('reference', 'small-trained.safetensors'),
    ('reference', 'tiny-init.safetensors'), ('reference', 'tiny-grads.safetensors'))]
V, H = 3, 2  # vocabulary <unk> a b, two hidden units: the smallest chapter model
VOCAB = ['<unk>', 'a', 'b']


def floats(n, start=0.0):
    return [start + 0.01 * k for k in range(n)]


def model(v=V, h=H):
    return {'W_xh': ([v, h], floats(v * h)), 'W_hh': ([h, h], floats(h * h)), 'b_h': ([h], floats(h)),
            'W_hq': ([h, v], floats(h * v)), 'b_q': ([v], floats(v))}


def safetensors(tensors, metadata, raw_header=None, tail=b''):
    """tensors: name -> (shape, values); laid out one after another as charlm writes them."""
    header, blobs, offset = {'__metadata__': metadata}, [], 0
    for name, (shape, values) in tensors.items():
        data = struct.pack('<%df' % len(values), *values)
        header[name] = {'dtype': 'F32', 'shape': shape, 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = raw_header if raw_header is not None else json.dumps(header).encode()
    raw += b' ' * (-len(raw) % 8)
    return struct.pack('<Q', len(raw)) + raw + b''.join(blobs) + tail


def with_header(text, body=b''):
    raw = text.encode() if isinstance(text, str) else text
    return struct.pack('<Q', len(raw)) + raw + body


def meta(**extra):
    m = {'vocab': json.dumps(VOCAB), 'format': 'charlm', 'format_version': '1', 'tokenizer': 'letters'}
    m.update(extra)
    return m


def tensor_header(entries, metadata=None):
    h = {'__metadata__': metadata or meta()}
    h.update(entries)
    return json.dumps(h)


SEEDS = {
    'ok-smallest-model': safetensors(model(), meta()),
    'ok-reference-style-vocab-only': safetensors(model(), {'vocab': json.dumps(VOCAB)}),
    # the 8-byte length
    'length-only-seven-bytes': b'\x10\x00\x00\x00\x00\x00\x00',
    'length-zero': struct.pack('<Q', 0) + b'{}',
    'length-2pow63-minus-1': struct.pack('<Q', 2**63 - 1) + b'{}      ',
    'length-2pow63': struct.pack('<Q', 2**63) + b'{}      ',
    'length-2pow64-minus-1': struct.pack('<Q', 2**64 - 1) + b'{}      ',
    'length-past-end': struct.pack('<Q', 4096) + b'{"__metadata__":{}}',
    'length-over-100MB': struct.pack('<Q', (100 << 20) + 1) + b'{}',
    # the header text
    'header-not-utf8': with_header(b'{"__metadata__":{"vocab":"\xff\xfe"}}'),
    'header-not-an-object': with_header('[1, 2, 3]'),
    'header-trailing-garbage': with_header('{} {}'),
    'header-deep-nesting': with_header('[' * 5000 + ']' * 5000),
    'header-deep-metadata': with_header('{"__metadata__":' + '{"a":' * 2000 + '1' + '}' * 2001),
    'header-huge-number': with_header('{"x":{"dtype":"F32","shape":[1e999],"data_offsets":[0,4]}}', b'\0' * 4),
    'header-long-number': with_header('{"x":{"dtype":"F32","shape":[' + '9' * 5000 + '],"data_offsets":[0,4]}}', b'\0' * 4),
    'header-bad-escape': with_header('{"__metadata__":{"vocab":"\\u12"}}'),
    'header-unpaired-surrogate': with_header('{"__metadata__":{"vocab":"\\ud800"}}'),
    'header-control-char': with_header('{"__metadata__":{"vocab":"a\nb"}}'),
    'header-duplicate-tensor': with_header('{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                                           '"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', b'\0' * 4),
    'metadata-not-an-object': with_header('{"__metadata__":[1]}'),
    'metadata-value-not-a-string': with_header('{"__metadata__":{"vocab":["<unk>","a"]}}'),
    # the tensor table
    'dtype-f16': with_header('{"x":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}', b'\0' * 4),
    'dtype-missing': with_header('{"x":{"shape":[1],"data_offsets":[0,4]}}', b'\0' * 4),
    'shape-negative': with_header('{"x":{"dtype":"F32","shape":[-1,4],"data_offsets":[0,16]}}', b'\0' * 16),
    'shape-fraction': with_header('{"x":{"dtype":"F32","shape":[2.5],"data_offsets":[0,10]}}', b'\0' * 16),
    'shape-int-overflow': with_header('{"x":{"dtype":"F32","shape":[65536,65536],"data_offsets":[0,17179869184]}}'),
    'shape-long-overflow': with_header('{"x":{"dtype":"F32","shape":[2147483647,2147483647,2147483647,2147483647],'
                                       '"data_offsets":[0,4]}}', b'\0' * 4),
    'shape-zero-then-huge': with_header('{"x":{"dtype":"F32","shape":[0,2147483647,2147483647],"data_offsets":[0,0]}}'),
    'shape-not-a-list': with_header('{"x":{"dtype":"F32","shape":4,"data_offsets":[0,16]}}', b'\0' * 16),
    'offsets-past-end': with_header('{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', b'\0' * 8),
    'offsets-reversed': with_header('{"x":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}', b'\0' * 8),
    'offsets-huge': with_header('{"x":{"dtype":"F32","shape":[1],"data_offsets":[1e20,100000000000000000004]}}'),
    'offsets-negative': with_header('{"x":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}', b'\0' * 4),
    'offsets-three': with_header('{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}', b'\0' * 8),
    'offsets-overlap': with_header('{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                                   '"y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', b'\0' * 12),
    'offsets-gap': with_header('{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                               '"y":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}', b'\0' * 12),
    'bytes-after-last-tensor': safetensors(model(), meta(), tail=b'\0' * 8),
    'weight-nan': safetensors(dict(model(), W_hh=([H, H], [0.0, float('nan'), 0.0, 0.0])), meta()),
    'weight-infinite': safetensors(dict(model(), b_q=([V], [0.0, 0.0, float('-inf')])), meta()),
    # the model on top (Checkpoint.load)
    'vocab-token-two-chars': safetensors(model(), meta(vocab=json.dumps(['<unk>', 'ab', 'b']))),
    'vocab-token-empty': safetensors(model(), meta(vocab=json.dumps(['<unk>', '', 'b']))),
    'vocab-token-twice': safetensors(model(), meta(vocab=json.dumps(['<unk>', 'a', 'a']))),
    'vocab-without-unk': safetensors(model(), meta(vocab=json.dumps(['a', 'b', 'c']))),
    'vocab-token-with-newlines': safetensors(model(), meta(vocab=json.dumps(['<unk>', 'a\n\nb', 'b']))),
    'vocab-not-json': safetensors(model(), meta(vocab='[<unk>, a, b]')),
    'vocab-smaller-than-tensors': safetensors(model(), meta(vocab=json.dumps(['<unk>', 'a']))),
    'vocab-larger-than-tensors': safetensors(model(), meta(vocab=json.dumps(['<unk>', 'a', 'b', 'c']))),
    'hidden-not-square': safetensors(dict(model(), W_hh=([2, 1], [0.0, 0.0])), meta()),
    'missing-tensor': safetensors({k: t for k, t in model().items() if k != 'b_h'}, meta()),
    'format-version-newer': safetensors(model(), meta(format_version='99')),
    'cell-unknown': safetensors(model(), meta(cell='transformer')),
}

# JSON texts for the JSON parser.
JSON_SEEDS = {
    'vocab-of-the-book': json.dumps(['<unk>', ' ', 'e', 't', 'a', 'i', 'n', 'o', 's', 'h', 'r', 'd', 'l', 'm', 'u', 'c', 'f',
                                     'w', 'g', 'y', 'p', 'b', 'v', 'k', 'x', 'z', 'j', 'q']),
    'vocab-chars-escaped': json.dumps(['<unk>', '\n', '\r', '\t', '"', '\\', '/', '\u00e9', '\U0001F600', '\u0001']),
    'settings-pretty': json.dumps({'hiddens': 512, 'lr': 1.0, 'clip': 1, 'epochs': 500, 'tokenizer': 'letters',
                                   'val_fraction': 0.0, 'seed': -7, 'data': None, 'force': False, 'grid': [[1, 2], []]},
                                  indent=2),
    'numbers': '[0, -0, 0.5, -1.25e-7, 1E+2, 12345678901234567890, 9007199254740993, 2.5e308, 4.9e-324]',
    'number-forms-not-json': '[01, +1, .5, 1., 1e, -, NaN, Infinity, 0x10]',
    'literals': '[true, false, null, tru, nul]',
    'empty-containers': '{"a": {}, "b": [], "c": "", "": 0}',
}


def big_vocab_model():
    """600,000 distinct characters over a model of H = 1000: 15 MB of file, 4.8 GB of parameters."""
    tokens = ['<unk>'] + [chr(c) for c in range(0x4E00, 0x4E00 + 20000)] + [chr(c) for c in range(0x20000, 0x20000 + 580000)]
    return safetensors({'W_hh': ([1000, 1000], [0.0] * 1000000)}, meta(vocab=json.dumps(tokens)))


# Found in io/Checkpoint.java by the long fuzzing runs and by hand, and fixed there (db52470): kept as
# seeds of their own so that each build replays them.
FIXED = {
    'vocab-holds-numbers': lambda: safetensors(model(), meta(vocab='["<unk>", 1, 2]')),
    'vocab-not-a-list': lambda: safetensors(model(), meta(vocab='{"a": 1}')),
    # what the long fuzzing run of loadCheckpoint found (its crash-7e5509c7...): "vocab" is the number 12
    'vocab-a-number': lambda: with_header('{"__metadata__":{"vocab":"\\t12"}}'),
    'layers-huge': lambda: safetensors({'l0.W_hh': ([2, 2], [0.0] * 4)}, meta(layers='100000000')),
    'embed-zero-rows-huge-width': lambda: safetensors({'W_hh': ([2, 2], [0.0] * 4), 'W_embed': ([0, 1000000000], [])},
                                                      meta(input='embedding')),
    'cell-with-newline': lambda: safetensors(model(), meta(cell='rnn\nEXTRA LINE')),
    'tokenizer-with-newline': lambda: safetensors(model(), meta(tokenizer='letters\nEXTRA LINE')),
}
SEEDS.update({name: make() for name, make in FIXED.items()})
# big_vocab_model() (15 MB) is left out of the committed seeds for its size; "python3 make-fuzz-seeds.py
# --big FILE" writes it for a check by hand (2026-11-29: refused in one line, nothing allocated).

if __name__ == '__main__':
    import sys
    if len(sys.argv) == 3 and sys.argv[1] == '--big':
        with open(sys.argv[2], 'wb') as f:
            f.write(big_vocab_model())
        sys.exit(0)
    def put(folder, name, data):
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, name), 'wb') as f:
            f.write(data)

    for path in REAL:
        with open(path, 'rb') as f:
            data = f.read()
        name = 'real-' + os.path.basename(path)[:-len('.safetensors')]
        for folder in BINARY:
            put(folder, name, data)
        put(JSON_DIR, name + '-header', data[8:8 + struct.unpack('<Q', data[:8])[0]].rstrip(b' '))
    for name, data in SEEDS.items():
        for folder in BINARY:
            put(folder, name, data)
    for name, text in JSON_SEEDS.items():
        put(JSON_DIR, name, text.encode())
    print('wrote %d real and %d hand-made checkpoints, and %d JSON texts' % (len(REAL), len(SEEDS), len(JSON_SEEDS) + len(REAL)))
