#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora under test/fuzz/corpus/<target>/.

Each seed is a small valid file of the reader's format or one of the
hostile cases found by the fault campaign of issue 28 (and since), so that
every fuzz run starts from them and test/fuzz/corpus.test replays them.
Inputs a fuzzer finds are added as files of their own (crash-* renamed).
Run: python3 test/fuzz/seeds.py (stdlib only; rewrites these seeds).
"""
import gzip
import json
import os
import struct

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    os.makedirs(os.path.join(HERE, target), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(HERE, target, name), "wb") as f:
        f.write(data)


def npy(descr, shape, payload, version=1, fortran=False, raw_header=None):
    header = raw_header if raw_header is not None else (
        "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }"
        % (descr, "True" if fortran else "False", shape))
    header = header.encode()
    lenbytes = 2 if version == 1 else 4
    pad = (64 - (8 + lenbytes + len(header) + 1) % 64) % 64
    header += b" " * pad + b"\n"
    length = struct.pack("<H" if version == 1 else "<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + length + header + payload


def npy_seeds():
    f4 = struct.pack("<6f", *range(6))
    put("npy", "f4-2x3", npy("<f4", "(2, 3)", f4))
    put("npy", "f8-3", npy("<f8", "(3,)", struct.pack("<3d", 1, 2, 3)))
    put("npy", "i4-4", npy("<i4", "(4,)", struct.pack("<4i", 0, 1, 2, -3)))
    put("npy", "i8-2", npy("<i8", "(2,)", struct.pack("<2q", 7, 9)))
    put("npy", "u1-2x2", npy("|u1", "(2, 2)", bytes([0, 1, 254, 255])))
    put("npy", "b1-3", npy("|b1", "(3,)", bytes([0, 1, 1])))
    put("npy", "scalar", npy("<f4", "()", struct.pack("<f", 1.5)))
    put("npy", "v2", npy("<f4", "(2, 3)", f4, version=2))
    put("npy", "v3", npy("<f4", "(2, 3)", f4, version=3))
    put("npy", "fortran", npy("<f4", "(2, 3)", f4, fortran=True))
    put("npy", "big-endian", npy(">f4", "(2, 3)", f4))
    put("npy", "shape-2p62", npy("<f4", "(4611686018427387904, 4)", f4))
    put("npy", "shape-overflow",
        npy("<f4", "(4294967296, 4294967296, 4294967296)", f4))
    put("npy", "negative-dim", npy("<f4", "(-2, 3)", f4))
    put("npy", "dim-not-number", npy("<f4", "(2, x)", f4))
    put("npy", "truncated-data", npy("<f4", "(2, 3)", f4[:10]))
    v2 = b"\x93NUMPY\x02\x00\xff\xff\xff\xff" + b"{'descr'" + b" " * 92
    put("npy", "v2-header-4GB", v2)  # 112 bytes in all
    put("npy", "no-shape", npy("", "", f4, raw_header="{'descr': '<f4'}"))
    put("npy", "no-colon", npy("", "", f4, raw_header="{'descr'"))
    put("npy", "empty-header", npy("", "", b"", raw_header=""))
    put("npy", "magic-only", b"\x93NUMPY")
    put("npy", "empty", b"")


def csv_seeds():
    # The first byte: bits 0-2 the feature count, bit 3 a "label" column.
    put("csv", "two-features-label", b"\x0a" + b"a,b,label\n1,2,0\n3.5,-4e-3,1\n")
    put("csv", "crlf", b"\x02" + b"a,b\r\n1,2\r\n\r\n3,4\r\n")
    put("csv", "quoted", b"\x0a" + b'"a","b,c",label\n1,2,0\n')
    put("csv", "nul-in-cell", b"\x01" + b"a\n5\x000\n")
    put("csv", "trailing-letters", b"\x01" + b"a\n5abc\n")
    put("csv", "huge-value", b"\x01" + b"a\n1e300\n")
    put("csv", "nan-cell", b"\x01" + b"a\nnan\n")
    put("csv", "inf-cell", b"\x01" + b"a\n-inf\n")
    put("csv", "huge-label", b"\x09" + b"a,label\n1,1e30\n")
    put("csv", "fraction-label", b"\x09" + b"a,label\n1,0.5\n")
    put("csv", "negative-label", b"\x09" + b"a,label\n1,-1\n")
    put("csv", "ragged", b"\x02" + b"a,b\n1\n1,2,3\n")
    put("csv", "no-label-column", b"\x09" + b"a,b\n1,2\n")
    put("csv", "header-only", b"\x03" + b"a,b,c\n")
    put("csv", "empty", b"\x01")
    put("csv", "zero-features-label", b"\x08" + b"label\n0\n1\n")


def idx(dtype, dims, payload):
    return bytes([0, 0, dtype, len(dims)]) + b"".join(
        struct.pack(">I", d) for d in dims) + payload


def idx_seeds():
    u8 = idx(0x08, [3, 2, 2], bytes(range(12)))
    put("idx", "u8-3x2x2", u8)
    put("idx", "u8-3x2x2.gz", gzip.compress(u8, mtime=0))
    put("idx", "labels-u8", idx(0x08, [4], bytes([0, 1, 2, 9])))
    put("idx", "i8", idx(0x09, [2], bytes([0x80, 0x7f])))
    put("idx", "i16", idx(0x0B, [2], struct.pack(">2h", -2, 300)))
    put("idx", "i32", idx(0x0C, [2], struct.pack(">2i", -2, 70000)))
    put("idx", "f32", idx(0x0D, [2], struct.pack(">2f", 0.5, -1)))
    put("idx", "f64", idx(0x0E, [2], struct.pack(">2d", 0.5, -1)))
    put("idx", "rank0", bytes([0, 0, 8, 0]))
    put("idx", "rank9", idx(0x08, [1] * 9, b"\x00"))
    put("idx", "huge-dims", idx(0x08, [65535, 65535, 65535], bytes(16)))
    put("idx", "huge-dims.gz",
        gzip.compress(idx(0x0E, [4294967295] * 3, bytes(16)), mtime=0))
    put("idx", "truncated", u8[:-3])
    put("idx", "bad-type", idx(0x0A, [2], b"\x00\x00"))
    put("idx", "bad-magic", b"\x01\x02\x08\x01")
    put("idx", "empty", b"")


def safetensors(header, payload=b"", raw=None):
    h = raw if raw is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + payload


def safetensors_seeds():
    f4 = struct.pack("<4f", 1, 2, 3, 4)
    w = {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}
    put("safetensors", "one-f32", safetensors({"w": w}, f4))
    put("safetensors", "checkpoint-epoch-minus-5", safetensors(
        {"__metadata__": {"train.epoch": "-5"}, "w": w}, f4))
    put("safetensors", "all-dtypes", safetensors({
        "a": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]},
        "b": {"dtype": "I32", "shape": [1], "data_offsets": [8, 12]},
        "c": {"dtype": "I64", "shape": [1], "data_offsets": [12, 20]},
        "d": {"dtype": "U8", "shape": [1], "data_offsets": [20, 21]},
        "e": {"dtype": "BOOL", "shape": [1], "data_offsets": [21, 22]},
    }, bytes(22)))
    put("safetensors", "offsets-past-end", safetensors(
        {"w": dict(w, data_offsets=[0, 1 << 40])}, f4))
    put("safetensors", "offsets-reversed", safetensors(
        {"w": dict(w, data_offsets=[16, 0])}, f4))
    put("safetensors", "shape-mismatch", safetensors(
        {"w": dict(w, shape=[3, 3])}, f4))
    put("safetensors", "shape-overflow", safetensors(
        {"w": dict(w, shape=[1 << 62, 1 << 62])}, f4))
    put("safetensors", "negative-dim", safetensors(
        {"w": dict(w, shape=[-2, -2])}, f4))
    put("safetensors", "unknown-dtype", safetensors(
        {"w": dict(w, dtype="F8_E4M3")}, f4))
    put("safetensors", "duplicate-name",
        safetensors(None, f4, raw=b'{"w":' + json.dumps(w).encode() +
                    b',"w":' + json.dumps(w).encode() + b"}"))
    put("safetensors", "header-length-huge",
        struct.pack("<Q", 0xFFFFFFFFFFFFFFFF) + b"{}")
    put("safetensors", "header-not-json", safetensors(None, raw=b"{not json"))
    put("safetensors", "header-array", safetensors(None, raw=b"[1,2]"))
    put("safetensors", "empty", b"")


def train_args_seeds():
    # Arguments separated by NUL bytes, as the fuzzer splits them.
    def args(*a):
        return "\0".join(a)
    put("train-args", "all-options", args(
        "--epochs", "3", "--batch", "64", "--limit", "100", "--seed", "7",
        "--checkpoint", "c.safetensors", "--resume", "r.safetensors",
        "--metrics-out", "m.jsonl", "--no-progress"))
    put("train-args", "seed-letters", args("--seed", "abc"))
    put("train-args", "seed-trailing", args("--seed", "12abc"))
    put("train-args", "seed-max", args("--seed", "18446744073709551615"))
    put("train-args", "seed-over", args("--seed", "18446744073709551616"))
    put("train-args", "epochs-huge", args("--epochs", "99999999999999999999"))
    put("train-args", "epochs-zero", args("--epochs", "0"))
    put("train-args", "batch-negative", args("--batch", "-1"))
    put("train-args", "limit-plus", args("--limit", "+5"))
    put("train-args", "missing-value", args("--checkpoint"))
    put("train-args", "unknown", args("--learning-rate", "0.1"))
    put("train-args", "help", args("--help"))
    put("train-args", "empty-value", args("--epochs", ""))


if __name__ == "__main__":
    npy_seeds()
    csv_seeds()
    idx_seeds()
    safetensors_seeds()
    train_args_seeds()
