# SPDX-License-Identifier: Apache-2.0
# Expected bytes of torch 2.13's `tensor.to(dtype)` (what `param.copy_(input_param)` in load_state_dict does) for
# the dtype pairs dev.weightmap.tensor.CastsTest checks. Run once:
#   /tmp/venv/bin/python torch_casts.py > torch_casts.json
# Each case: source dtype, destination dtype, source bytes and torch's destination bytes (hex, little-endian).
import json, random, struct, sys
import numpy as np
import torch

assert torch.__version__.startswith("2.13"), torch.__version__
rng = random.Random(20261203)
T = {"BOOL": torch.bool, "U8": torch.uint8, "I8": torch.int8, "I16": torch.int16, "U16": torch.uint16,
     "I32": torch.int32, "U32": torch.uint32, "I64": torch.int64, "U64": torch.uint64, "F16": torch.float16,
     "BF16": torch.bfloat16, "F32": torch.float32, "F64": torch.float64, "F8_E4M3": torch.float8_e4m3fn,
     "F8_E5M2": torch.float8_e5m2}

f32_special = [0.0, -0.0, 1.0, -1.0, 0.5, 1.5, 2.5, -2.5, 65504.0, 65519.99, 65520.0, -65520.0, 1e10, -1e10, 3e9,
               -3e9, 2147483648.0, -2147483648.0, 2147483520.0, 300.7, -300.7, 129.5, -129.9, 255.9, 256.0, -0.9,
               0.99999994, 6.1035156e-05, 6.097555e-05, 5.9604645e-08, 2.9802322e-08, 2.9802326e-08, 1e-40, -1e-40,
               1e-45, 3.4028235e38, -3.4028235e38, 3.3895314e38, 3.3961776e38, 9.2233715e18, -9.223372e18,
               float("inf"), float("-inf"), float("nan"), -float("nan")]
f32_bits = [0x3F808000, 0x3F818000, 0x3F808001, 0x3F817FFF, 0x3F801000, 0x3F803000, 0x3F801001, 0x00008000,
            0x00018000, 0x007FFFFF, 0x00800000, 0x7F7FFFFF, 0x7F7F8000, 0x7F7F7FFF, 0x7FC00001, 0x7F800001,
            0xFFC00000, 0x7FFFFFFF, 0x387FE000, 0x387FF000, 0x33800000, 0x33000000, 0x33000001, 0x477FE000,
            0x477FEFFF, 0x477FF000]


def f32_inputs():
    vals = [struct.unpack("<f", struct.pack("<f", v))[0] for v in f32_special]
    raw = [struct.pack("<f", v) for v in vals] + [struct.pack("<I", b) for b in f32_bits]
    raw += [struct.pack("<I", rng.getrandbits(32)) for _ in range(400)]
    raw += [struct.pack("<f", rng.uniform(-70000, 70000)) for _ in range(200)]
    raw += [struct.pack("<f", rng.uniform(-2, 2) * 2.0 ** rng.randint(-30, 30)) for _ in range(200)]
    # exact ties for BF16 (low 16 bits 0x8000) and F16 (low 13 bits 0x1000) in random binades
    raw += [struct.pack("<I", (rng.getrandbits(16) << 16) | 0x8000) for _ in range(64)]
    raw += [struct.pack("<I", ((rng.getrandbits(19) << 13) | 0x1000) & 0xBFFFFFFF) for _ in range(64)]
    return b"".join(raw)


def inputs(src):
    if src == "F32":
        return f32_inputs()
    if src == "F64":
        ds = [1.0 + 2 ** -8 + 2 ** -40, 1.0 + 2 ** -11 + 2 ** -40, 1.0 + 2 ** -24 + 2 ** -50, 1e300, -1e300, 5e-324,
              1e-40, 65520.0 - 2 ** -20, float("nan"), float("inf"), -float("inf"), 0.0, -0.0, 3.5, -7.25e9]
        ds += [rng.uniform(-1e6, 1e6) for _ in range(300)]
        ds += [struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0] for _ in range(200)]
        return b"".join(struct.pack("<d", d) for d in ds)
    if src in ("F16", "BF16"):
        # every 37th 16-bit pattern plus the boundaries: zeros, subnormal ends, 1.0, max, Inf, NaNs
        pats = list(range(0, 65536, 37)) + [0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x3C00, 0x7BFF, 0x7C00, 0xFC00,
                                            0x7C01, 0x7E00, 0xFE00, 0x7FFF, 0x007F, 0x0080, 0x3F80, 0x7F7F, 0x7F80,
                                            0xFF80, 0x7F81, 0x7FC0, 0xFFC0, 0x5BFF, 0x4F00, 0xCF00, 0x7BFE]
        return b"".join(struct.pack("<H", h) for h in pats)
    if src in ("F8_E4M3", "F8_E5M2", "U8", "I8", "BOOL"):
        if src == "BOOL":
            return bytes([0, 1] * 40)
        return bytes(range(256))
    bits = {"I16": 16, "U16": 16, "I32": 32, "U32": 32, "I64": 64, "U64": 64}[src]
    fmt = {16: "<H", 32: "<I", 64: "<Q"}[bits]
    vals = [0, 1, 2 ** 24 + 1, 2 ** 24 + 2 ** 16 + 1, 2 ** 24 + 3, 4097, 65504, 65535, 2 ** 31 - 1, 2 ** 31,
            2 ** 53 + 1, 2 ** 63 - 1, 2 ** 63, 2 ** 64 - 1, 300, 2 ** 64 - 300, 128, 255, 256]
    vals += [rng.getrandbits(bits) for _ in range(300)]
    return b"".join(struct.pack(fmt, v % (1 << bits)) for v in vals)


def raw(t):
    return t.contiguous().view(torch.uint8).numpy().tobytes()


PAIRS = [("F32", d) for d in ["BF16", "F16", "F64", "I8", "U8", "I16", "U16", "I32", "U32", "I64", "U64", "BOOL"]]
PAIRS += [("BF16", d) for d in ["F32", "F16", "F64", "I32", "I64", "I8", "BOOL"]]
PAIRS += [("F16", d) for d in ["F32", "BF16", "F64", "I16", "U8", "I64"]]
PAIRS += [("F64", d) for d in ["F32", "BF16", "F16", "I64", "I32"]]
PAIRS += [("I64", d) for d in ["I32", "I8", "U8", "I16", "U64", "F32", "F64", "BF16", "F16", "BOOL"]]
PAIRS += [("I32", d) for d in ["I64", "I8", "U32", "F32", "BF16", "F16", "F64"]]
PAIRS += [("U64", d) for d in ["F32", "F64", "I64", "BF16"]]
PAIRS += [("U32", d) for d in ["I64", "F32", "I16"]]
PAIRS += [("I16", d) for d in ["F16", "I32", "U8"]]
PAIRS += [("U16", d) for d in ["I32", "F32"]]
PAIRS += [("U8", d) for d in ["I8", "I64", "F32", "BF16", "BOOL"]]
PAIRS += [("I8", d) for d in ["I64", "U8", "F16"]]
PAIRS += [("BOOL", d) for d in ["F32", "I64", "BF16", "U8"]]
PAIRS += [("F8_E4M3", d) for d in ["F32", "BF16", "F16"]]
PAIRS += [("F8_E5M2", d) for d in ["F32", "F16"]]

cases = []
for src, dst in PAIRS:
    b = inputs(src)
    t = torch.frombuffer(bytearray(b), dtype=torch.uint8).view(T[src])
    out = t.to(T[dst])
    cases.append({"src": src, "dst": dst, "in": b.hex(), "out": raw(out).hex()})
json.dump({"torch": torch.__version__, "cases": cases}, sys.stdout)
print()
