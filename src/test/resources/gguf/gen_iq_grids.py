# SPDX-License-Identifier: Apache-2.0
"""Writes src/main/resources/dev/weightmap/gguf/iq_grids.bin: the lookup tables of GGML's grid-based
importance quants, as gguf-py 0.19.0 holds them (gguf.quants, after init_grid()), one signed byte per value:

    IQ2_XXS 256x8, IQ2_XS 512x8, IQ2_S 1024x8, IQ3_XXS 256x4, IQ3_S 512x4, IQ1_S 2048x8 (IQ1_M shares it),
    then the 128 IQ2_XXS sign patterns (ksigns).

Run once with gguf and numpy installed, from the repository root:  python src/test/resources/gguf/gen_iq_grids.py
"""
import os

import numpy as np
from gguf import quants

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", ".."))
OUT = os.path.join(ROOT, "src", "main", "resources", "dev", "weightmap", "gguf", "iq_grids.bin")

parts = []
for cls in (quants.IQ2_XXS, quants.IQ2_XS, quants.IQ2_S, quants.IQ3_XXS, quants.IQ3_S, quants.IQ1_S):
    cls.init_grid()
    g = np.asarray(cls.grid, dtype=np.float32).reshape(cls.grid_shape)
    assert np.all(g == np.round(g)) and g.min() >= -128 and g.max() <= 127
    parts.append(g.astype(np.int8).tobytes())
parts.append(quants.IQ2_XXS.ksigns)
with open(OUT, "wb") as f:
    f.write(b"".join(parts))
