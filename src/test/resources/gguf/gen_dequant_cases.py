# SPDX-License-Identifier: Apache-2.0
"""Writes dequant_cases.gguf and dequant_cases.json: for every block type gguf-py 0.19.0 dequantizes and
weightmap supports, seeded random blocks whose scale fields are set to edge values (zero, -0, subnormals,
negative, the largest finite float16, and for a second tensor infinities and NaN), with the SHA-256 of
gguf.quants.dequantize's float32 output. Run with the gguf and numpy packages installed:

    python gen_dequant_cases.py            (from this folder; writes next to itself)
"""
import hashlib
import json
import os

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf.constants import GGML_QUANT_SIZES

HERE = os.path.dirname(os.path.abspath(__file__))

# byte offsets of the float16 scale fields of one block
F16_SCALES = {
    T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
    T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
    T.TQ1_0: [52], T.TQ2_0: [64], T.IQ4_NL: [0], T.IQ4_XS: [0],
    T.IQ2_XXS: [0], T.IQ2_XS: [0], T.IQ2_S: [0], T.IQ3_XXS: [0], T.IQ3_S: [0], T.IQ1_S: [0],
    T.IQ1_M: [],  # its float16 scale is spread over the high nibbles of four u16 at byte 48
}
FINITE = [0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0xC000, 0x7BFF, 0xFBFF, 0x3C00, 0x8001]
NONFINITE = [0x7C00, 0xFC00, 0x7E00, 0x7D01, 0xFE00, 0x7C00, 0x3C00, 0xFC00]


def blocks_for(qtype, scales, rng):
    bs, ts = GGML_QUANT_SIZES[qtype]
    n = len(scales)
    raw = rng.integers(0, 256, size=(n, ts), dtype=np.uint8)
    for i, s in enumerate(scales):
        if qtype == T.MXFP4:
            raw[i, 0] = s & 0xFF
        elif qtype == T.NVFP4:
            raw[i, 0:4] = [(s >> (8 * k)) & 0xFF for k in range(4)]
        elif qtype == T.IQ1_M:
            for k in range(4):
                lo = int(raw[i, 48 + 2 * k]) | (int(raw[i, 49 + 2 * k]) << 8)
                lo = (lo & 0x0FFF) | (((s >> (4 * k)) & 0xF) << 12)
                raw[i, 48 + 2 * k] = lo & 0xFF
                raw[i, 49 + 2 * k] = lo >> 8
        else:
            for j, off in enumerate(F16_SCALES[qtype]):
                v = s if j == 0 else FINITE[(i + 3) % len(FINITE)] if s in FINITE else s
                raw[i, off] = v & 0xFF
                raw[i, off + 1] = v >> 8
    return raw, bs


def canonical(out):
    """The float32 bytes with every NaN as 0x7FC00000 (NaN payloads depend on the CPU's operand order)."""
    bits = out.view("<u4").copy()
    bits[np.isnan(out)] = 0x7FC00000
    return bits.tobytes()


def main():
    rng = np.random.default_rng(20261203)
    w = gguf.GGUFWriter(os.path.join(HERE, "dequant_cases.gguf"), "dequant-cases")
    expected = {"tool": "gguf-py " + getattr(gguf, "__version__", "0.19.0") + ", numpy " + np.__version__,
                "tensors": {}}
    cases = []
    for qtype in list(F16_SCALES) + [T.MXFP4, T.NVFP4]:
        if qtype == T.MXFP4:
            finite = [0, 1, 2, 126, 127, 128, 200, 254]
            nonfinite = None  # E8M0 has no non-finite codes below 255; 255 is tested as finite input too
            finite.append(255)
        elif qtype == T.NVFP4:
            finite = [0x00000000, 0x7F7F7F7F, 0x01020304, 0x7E7E7E7E, 0x08380078, 0x77067F00]
            nonfinite = None
        else:
            finite, nonfinite = FINITE, NONFINITE
        cases.append((qtype.name + ".finite", qtype, finite))
        if nonfinite:
            cases.append((qtype.name + ".nonfinite", qtype, nonfinite))
    for name, qtype, scales in cases:
        raw, bs = blocks_for(qtype, scales, rng)
        shape = (len(scales), bs)
        w.add_tensor(name, raw, raw_dtype=qtype)  # the byte shape (rows, type size): one block per row
        out = gguf.quants.dequantize(raw, qtype).astype("<f4", copy=False)
        expected["tensors"][name] = {"type": qtype.name, "shape": list(shape),
                                     "f32_sha256": hashlib.sha256(out.tobytes()).hexdigest(),
                                     "f32_sha256_nan_canonical": hashlib.sha256(canonical(out)).hexdigest(),
                                     "nan_count": int(np.isnan(out).sum())}
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    with open(os.path.join(HERE, "dequant_cases.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
