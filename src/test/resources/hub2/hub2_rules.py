# SPDX-License-Identifier: Apache-2.0
# Records what huggingface_hub 2.0.0 (torch 2.13) does for the loading rules weightmap encodes in
# dev.weightmap.shard.Hub2RulesTest. Run: /tmp/venv/bin/python hub2_rules.py > hub2_rules.out.json
import json, logging, os, sys, tempfile
from pathlib import Path

import huggingface_hub
import torch
from huggingface_hub import load_torch_model, load_state_dict_from_file
from safetensors.torch import save_file

assert huggingface_hub.__version__ == "2.0.0", huggingface_hub.__version__

records = logging.getLogger("huggingface_hub")
warnings = []


class Grab(logging.Handler):
    def emit(self, record):
        warnings.append(record.getMessage())


logging.getLogger().addHandler(Grab())
logging.getLogger().setLevel(logging.WARNING)


class M(torch.nn.Module):
    def __init__(self, dtype=torch.float32):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(2, dtype=dtype), requires_grad=False)


def st(path, value, name="w", dtype=torch.float32):
    save_file({name: torch.full((2,), value, dtype=dtype)}, str(path), metadata={"format": "pt"})


def pt(path, value, name="w"):
    torch.save({name: torch.full((2,), value)}, str(path))


def run(build, safe=True, pattern=None, strict=False, file=None):
    warnings.clear()
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        build(d)
        m = M()
        try:
            target = d / file if file else d
            r = load_torch_model(m, target, safe=safe, filename_pattern=pattern, strict=strict)
            return {"loaded": float(m.w[0]), "missing": sorted(r.missing_keys),
                    "unexpected": sorted(r.unexpected_keys), "warnings": list(warnings)}
        except Exception as e:
            return {"error": type(e).__name__, "message": str(e).replace(str(d), "<dir>")}


def index(d, name, weight_map):
    (d / name).write_text(json.dumps({"metadata": {"total_size": 8}, "weight_map": weight_map}))


out = {}
# 1. folder selection, single files (value 1 = safetensors, 2 = pickle, 3 = second safetensors)
only_st = lambda d: st(d / "model.safetensors", 1)
both = lambda d: (st(d / "model.safetensors", 1), pt(d / "pytorch_model.bin", 2))
two_st_one_bin = lambda d: (st(d / "model.safetensors", 1), st(d / "model.fp16.safetensors", 3),
                            pt(d / "pytorch_model.bin", 2))
only_bin = lambda d: pt(d / "pytorch_model.bin", 2)
hidden = lambda d: (st(d / "model.safetensors", 1), st(d / ".hidden.safetensors", 3))
subdir = lambda d: (st(d / "model.safetensors", 1), (d / "sub.safetensors").mkdir())
upper = lambda d: st(d / "MODEL.SAFETENSORS", 1)
for safe in (True, False):
    s = "safe" if safe else "unsafe"
    out[f"only_safetensors/{s}"] = run(only_st, safe)
    out[f"safetensors_and_bin/{s}"] = run(both, safe)
    out[f"two_safetensors_one_bin/{s}"] = run(two_st_one_bin, safe)
    out[f"only_bin/{s}"] = run(only_bin, safe)
    out[f"hidden_safetensors/{s}"] = run(hidden, safe)
    out[f"dir_named_safetensors/{s}"] = run(subdir, safe)
    out[f"uppercase_safetensors/{s}"] = run(upper, safe)


# 1b. index precedence (value 4 = safetensors shard, 5 = bin shard)
def st_index(d):
    st(d / "model-00001-of-00001.safetensors", 4)
    index(d, "model.safetensors.index.json", {"w": "model-00001-of-00001.safetensors"})


def bin_index(d):
    pt(d / "pytorch_model-00001-of-00001.bin", 5)
    index(d, "pytorch_model.bin.index.json", {"w": "pytorch_model-00001-of-00001.bin"})


for safe in (True, False):
    s = "safe" if safe else "unsafe"
    out[f"both_indexes/{s}"] = run(lambda d: (st_index(d), bin_index(d)), safe)
    out[f"bin_index_only/{s}"] = run(bin_index, safe)
    out[f"bin_index_and_single_safetensors/{s}"] = run(lambda d: (bin_index(d), st(d / "model.safetensors", 1)), safe)
    out[f"st_index_and_single_safetensors/{s}"] = run(lambda d: (st_index(d), st(d / "model.safetensors", 1)), safe)
    out[f"bin_index_and_single_bin/{s}"] = run(lambda d: (bin_index(d), pt(d / "pytorch_model.bin", 2)), safe)

# 2. explicit pickle pattern with safe=True, and an upper-case safetensors pattern
out["pattern_bin/safe"] = run(bin_index, True, "pytorch_model{suffix}.bin")
out["pattern_bin/unsafe"] = run(bin_index, False, "pytorch_model{suffix}.bin")
out["pattern_pt/safe"] = run(bin_index, True, "model{suffix}.pt")
out["pattern_upper_safetensors/safe"] = run(lambda d: None, True, "model{suffix}.SAFETENSORS")

# 2b. single files through load_torch_model and load_state_dict_from_file
out["file_bin/safe"] = run(only_bin, True, file="pytorch_model.bin")
out["file_bin/unsafe"] = run(only_bin, False, file="pytorch_model.bin")
out["file_safetensors_named_bin/safe"] = run(lambda d: st(d / "x.bin", 1), True, file="x.bin")
out["file_safetensors_named_bin/unsafe"] = run(lambda d: st(d / "x.bin", 1), False, file="x.bin")
out["file_safetensors_upper/unsafe"] = run(lambda d: st(d / "X.SAFETENSORS", 1), False, file="X.SAFETENSORS")
out["file_garbage/safe"] = run(lambda d: (d / "g.safetensors").write_bytes(b"hello world, not a checkpoint"), True,
                               file="g.safetensors")


def bad_format(d):
    save_file({"w": torch.ones(2)}, str(d / "tf.safetensors"), metadata={"format": "tf"})


out["file_bad_format_metadata/safe"] = run(bad_format, True, file="tf.safetensors")
with tempfile.TemporaryDirectory() as d:
    pt(Path(d) / "p.bin", 2)
    for safe in (True, False):
        try:
            sd = load_state_dict_from_file(Path(d) / "p.bin", safe=safe)
            out[f"load_state_dict_from_file_bin/{'safe' if safe else 'unsafe'}"] = {"keys": sorted(sd)}
        except Exception as e:
            out[f"load_state_dict_from_file_bin/{'safe' if safe else 'unsafe'}"] = {
                "error": type(e).__name__, "message": str(e).replace(d, "<dir>")}
    try:
        load_state_dict_from_file(Path(d) / "p.bin")
        out["load_state_dict_from_file_bin/default"] = {"error": None}
    except Exception as e:
        out["load_state_dict_from_file_bin/default"] = {"error": type(e).__name__}


# 3. a shard holding a tensor the index does not list; an index entry no shard holds; a misplaced entry
class M2(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(2), requires_grad=False)
        self.extra = torch.nn.Parameter(torch.zeros(2), requires_grad=False)


def run2(build, strict=False, model=M2):
    warnings.clear()
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        build(d)
        m = model()
        try:
            r = load_torch_model(m, d, strict=strict)
            return {"w": float(m.w[0]), "extra": float(m.extra[0]) if hasattr(m, "extra") else None,
                    "missing": sorted(r.missing_keys), "unexpected": sorted(r.unexpected_keys),
                    "warnings": list(warnings)}
        except Exception as e:
            return {"error": type(e).__name__, "message": str(e).replace(str(d), "<dir>"), "w": float(m.w[0]),
                    "warnings": list(warnings)}


def extra_in_shard(d):
    save_file({"w": torch.full((2,), 6.0), "extra": torch.full((2,), 7.0)},
              str(d / "model-00001-of-00001.safetensors"), metadata={"format": "pt"})
    index(d, "model.safetensors.index.json", {"w": "model-00001-of-00001.safetensors"})


def ghost_in_index(d):
    st(d / "model-00001-of-00001.safetensors", 6)
    index(d, "model.safetensors.index.json", {"w": "model-00001-of-00001.safetensors",
                                              "extra": "model-00001-of-00001.safetensors"})


def misplaced(d):
    st(d / "model-00001-of-00002.safetensors", 6)
    st(d / "model-00002-of-00002.safetensors", 7, name="extra")
    index(d, "model.safetensors.index.json", {"w": "model-00002-of-00002.safetensors",
                                              "extra": "model-00001-of-00002.safetensors"})


out["extra_in_shard/lenient"] = run2(extra_in_shard)
out["extra_in_shard/lenient_model_without_extra"] = run2(extra_in_shard, model=M)
out["extra_in_shard/strict_model_without_extra"] = run2(extra_in_shard, strict=True, model=M)
out["extra_in_shard/strict"] = run2(extra_in_shard, strict=True)
out["ghost_in_index/lenient"] = run2(ghost_in_index)
out["ghost_in_index/strict"] = run2(ghost_in_index, strict=True)
out["misplaced_in_index/lenient"] = run2(misplaced)



# 4. load_torch_model into a model of other dtypes: torch's load_state_dict copies with conversion (copy_)
class Typed(torch.nn.Module):
    def __init__(self, dtypes, shape=(3,)):
        super().__init__()
        for name, dtype in dtypes.items():
            setattr(self, name, torch.nn.Parameter(torch.zeros(shape, dtype=dtype), requires_grad=False))


def bits(t):
    t = t.detach().contiguous()
    return t.view(torch.uint8).numpy().tobytes().hex()


def casts(d):
    values = {"f32_to_bf16": torch.tensor([1 / 3, 70000.5, -2.0e-39], dtype=torch.float32),
              "f32_to_f16": torch.tensor([1 / 3, 70000.5, -2.0e-7], dtype=torch.float32),
              "bf16_to_f32": torch.tensor([1 / 3, -3.0, 1e30], dtype=torch.bfloat16),
              "f16_to_f32": torch.tensor([1 / 3, -3.0, 6e-8], dtype=torch.float16),
              "i32_to_i64": torch.tensor([-5, 7, 2**31 - 1], dtype=torch.int32),
              "i64_to_i8": torch.tensor([300, -129, 5], dtype=torch.int64)}
    save_file(values, str(d / "model.safetensors"), metadata={"format": "pt"})
    return values


targets = {"f32_to_bf16": torch.bfloat16, "f32_to_f16": torch.float16, "bf16_to_f32": torch.float32,
           "f16_to_f32": torch.float32, "i32_to_i64": torch.int64, "i64_to_i8": torch.int8}
with tempfile.TemporaryDirectory() as d:
    src = casts(Path(d))
    m = Typed(targets)
    load_torch_model(m, d, strict=True)
    out["load_casts"] = {k: {"source": bits(src[k]), "loaded": bits(getattr(m, k))} for k in targets}
with tempfile.TemporaryDirectory() as d:
    save_file({"w": torch.ones(3)}, str(Path(d) / "model.safetensors"), metadata={"format": "pt"})
    try:
        load_torch_model(Typed({"w": torch.bfloat16}, shape=(2,)), d)
        out["load_shape_mismatch"] = {"error": None}
    except Exception as e:
        out["load_shape_mismatch"] = {"error": type(e).__name__, "message": str(e)}

json.dump(out, sys.stdout, indent=1, sort_keys=True)
print()
