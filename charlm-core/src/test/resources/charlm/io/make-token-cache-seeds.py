#!/usr/bin/env python3
"""Writes the seeds of the token cache header's fuzz test (TokenCacheHeaderFuzzTest; see FuzzProperty.java).

Into TokenCacheHeaderFuzzTestInputs/: whole cache files (header and tokens) written here from the
layout in TokenCache.Header's comment, independently of the Java writer: ok-* ones that must read back
(TokenCacheHeaderFuzzTest checks that they do), and ones each wrong in exactly one way, with their
checksums right wherever the wrong part comes after them, so that the fuzzer starts next to every
check the reader makes. Run from anywhere: python3 make-token-cache-seeds.py. Standard library only.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'TokenCacheHeaderFuzzTestInputs')


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def cache(code_points, tokens, width=None, version=1, tokenizer=1, max_vocab=0, unknown=0, dropped=0,
          header_bytes=None, vocab_size=None, count=None, payload_crc=None, header_crc=None, magic=b'CHARLMTK', cut=None, extra=b''):
    v = len(code_points) + 1
    width = width or (1 if v <= 256 else 2)
    payload = b''.join(struct.pack('<B' if width == 1 else '<H', t) for t in tokens)
    head = magic + struct.pack('<iiiiq', version, header_bytes if header_bytes is not None else 88 + 4 * (v - 1), width,
                               vocab_size if vocab_size is not None else v, count if count is not None else len(tokens))
    head += struct.pack('<qq', 123456, 1700000000000) + bytes(range(12))
    head += struct.pack('<iiqiI', tokenizer, max_vocab, unknown, dropped, payload_crc if payload_crc is not None else crc32c(payload))
    head += b''.join(struct.pack('<i', cp) for cp in code_points)
    head += struct.pack('<I', header_crc if header_crc is not None else crc32c(head))
    data = head + payload + extra
    return data[:cut] if cut is not None else data


def write(name, data):
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    letters = [ord(c) for c in ' etaoinshrdlucmfwypvbgkjqxz']
    text = [letters.index(ord(c)) + 1 for c in 'the time machine by h g wells']
    wide = list(range(0x100, 0x100 + 300))
    write('ok-letters', cache(letters, text, tokenizer=0))
    write('ok-uint16', cache(wide, [k % 301 for k in range(500)]))
    write('ok-max-vocab', cache(letters[:5], [k % 6 for k in range(40)], max_vocab=6, unknown=7, dropped=22))
    write('ok-smallest', cache([ord('a')], [1]))
    write('empty', b'')
    write('magic-wrong', cache(letters, text, magic=b'CHARLMTX'))
    write('version-newer', cache(letters, text, version=2))
    write('width-three', cache(letters, text, width=3))
    write('uint8-vocab-too-big', cache(wide, [1, 2, 3], width=1))
    write('vocab-one', cache([], [0, 0]))
    write('header-bytes-wrong', cache(letters, text, header_bytes=40))
    write('vocab-size-huge', cache(letters, text, vocab_size=0x7FFFFFFF))
    write('cut-in-header', cache(letters, text, cut=60))
    write('cut-in-tokens', cache(letters, text, cut=88 + 4 * 27 + 5))
    write('bytes-after-tokens', cache(letters, text, extra=b'\0'))
    write('count-huge', cache(letters, text, count=0x7FFFFFFFFFFFFFFF))
    write('count-negative', cache(letters, text, count=-1))
    write('header-crc-wrong', cache(letters, text, header_crc=0))
    write('tokenizer-unknown', cache(letters, text, tokenizer=7))
    write('max-vocab-negative', cache(letters, text, max_vocab=-3))
    write('unknown-more-than-tokens', cache(letters, text, unknown=10**6))
    write('code-point-too-large', cache(letters[:-1] + [0x110000], text))
    write('code-point-negative', cache(letters[:-1] + [-5], text))
    write('code-point-twice', cache(letters[:-1] + [letters[0]], text))


if __name__ == '__main__':
    main()
