# SPDX-License-Identifier: Apache-2.0
"""gguf-py 0.19.0's dequantize and quantize on the inputs of DequantizeBenchmark and QuantizeBenchmark (4096 x 4096;
random blocks whose float16 scales are 0x2000; standard normal values), timed by thread CPU time and wall clock
(minimum and median of 7 runs) for comparison with GgufCpuTiming. Usage: python gguf_quants_peer.py [deq] [q]"""
import sys, time, numpy as np
from gguf import quants, GGMLQuantizationType as T
from gguf.constants import GGML_QUANT_SIZES
what = sys.argv[1:] or ["deq", "q"]
rng = np.random.default_rng(7)
def timed(f, runs=7):
    f()
    cpu, wall = [], []
    for _ in range(runs):
        c0, w0 = time.thread_time(), time.perf_counter()
        f()
        wall.append((time.perf_counter() - w0) * 1e3)
        cpu.append((time.thread_time() - c0) * 1e3)
    cpu.sort(); wall.sort()
    return f"cpu min {cpu[0]:8.2f} median {cpu[runs // 2]:8.2f} ms   wall min {wall[0]:8.2f} median {wall[runs // 2]:8.2f} ms"
N = 4096
res = {}
if "deq" in what:
    offs = {"Q4_0": [0], "Q8_0": [0], "IQ4_XS": [0], "Q4_K": [0, 2], "Q6_K": [208]}
    for name in ["Q4_0", "Q8_0", "Q4_K", "Q6_K", "IQ4_XS"]:
        qt = T[name]
        bs, ts = GGML_QUANT_SIZES[qt]
        nb = N * N // bs
        blocks = rng.integers(0, 256, size=(nb, ts), dtype=np.uint8)
        for o in offs[name]:
            blocks[:, o] = 0x00
            blocks[:, o + 1] = 0x20
        data = blocks.reshape(N, N // bs * ts)
        res["deq " + name] = timed(lambda: quants.dequantize(data, qt))
    src = np.ones((N, N), dtype=np.float32)
    res["numpy copy f32 fresh"] = timed(lambda: src.copy())
if "q" in what:
    x = rng.standard_normal((N, N)).astype(np.float32)
    for name in ["Q8_0", "Q4_0"]:
        res["quant " + name] = timed(lambda: quants.quantize(x, T[name]))
for k, v in res.items():
    print(f"{k:26s} {v}")
