"""PyTorch's side of the inference benchmark (bench/bench.py), in its own
process so that the environment (OPENBLAS_CORETYPE, thread counts) is set
before torch is imported. Times the examples' Fashion-MNIST MLP or CNN
forward on one thread with the parameters of PARAMS.safetensors (nnc's
names and layouts) in one configuration:
  eager          torch.no_grad, NCHW
  channels_last  the CNN's activations and filters in NHWC memory format
  bf16           eager under torch.cpu.amp.autocast(dtype=torch.bfloat16)
  script         torch.jit.trace, freeze, optimize_for_inference
  int8_dynamic   the MLP's Linear layers through
                 torch.ao.quantization.quantize_dynamic (int8 weights,
                 activations quantized per call; fbgemm or onednn,
                 else qnnpack)
Prints {"times": [ms...], "blas_core": OpenBLAS's kernel name}.

usage: torch_infer.py mlp|cnn BATCH RUNS CONFIG PARAMS.safetensors"""
import ctypes
import json
import os
import re
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from nnc_safetensors import read_safetensors  # noqa: E402

model, batch, runs, config, params_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    sys.argv[4], sys.argv[5]
torch.set_num_threads(1)
p = {k: torch.from_numpy(v.copy()) for k, v in read_safetensors(params_path).items()}
fmt = torch.channels_last if config == "channels_last" else torch.contiguous_format
# nnc's filters are HWIO; PyTorch's OIHW.
oihw = {k: v.permute(3, 2, 0, 1).contiguous(memory_format=fmt) for k, v in p.items()
        if v.dim() == 4}


def mlp(x):
    return torch.relu(x.reshape(x.shape[0], -1) @ p["dense_1.w"] + p["dense_1.b"]) \
        @ p["dense_2.w"] + p["dense_2.b"]


def cnn(x):
    h = x.unsqueeze(1).contiguous(memory_format=fmt)
    h = torch.relu(F.conv2d(h, oihw["conv2d_1.w"], p["conv2d_1.b"]))
    h = F.max_pool2d(torch.relu(F.conv2d(h, oihw["conv2d_2.w"], p["conv2d_2.b"])), 2)
    h = F.max_pool2d(torch.relu(F.conv2d(h, oihw["conv2d_3.w"], p["conv2d_3.b"])), 2)
    h = torch.relu(h.permute(0, 2, 3, 1).reshape(x.shape[0], -1) @ p["dense_1.w"]
                   + p["dense_1.b"])
    return h @ p["dense_2.w"] + p["dense_2.b"]


fn = mlp if model == "mlp" else cnn
x = torch.rand(batch, 28, 28)
if config == "script":
    class M(torch.nn.Module):
        def forward(self, v):
            return fn(v)
    with torch.no_grad():
        fn = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(M().eval(), (x,))))
elif config == "int8_dynamic":
    if model != "mlp":
        sys.exit("int8_dynamic: the MLP only")
    layers = []
    for name in ("dense_1", "dense_2"):
        w = p[name + ".w"]
        lin = torch.nn.Linear(w.shape[0], w.shape[1])
        lin.weight.data = w.t().contiguous()
        lin.bias.data = p[name + ".b"]
        layers.append(lin)
    net = torch.nn.Sequential(torch.nn.Flatten(), layers[0], torch.nn.ReLU(), layers[1])
    # The x86 engines first (Debian's torch has onednn and qnnpack).
    engines = torch.backends.quantized.supported_engines
    torch.backends.quantized.engine = next(
        e for e in ("fbgemm", "x86", "onednn", "qnnpack") if e in engines)
    fn = torch.ao.quantization.quantize_dynamic(net.eval(), {torch.nn.Linear},
                                                dtype=torch.qint8)
elif config == "bf16":
    plain = fn

    def fn(v):
        with torch.cpu.amp.autocast(dtype=torch.bfloat16):
            return plain(v)

ts = []
with torch.no_grad():
    for _ in range(10):
        fn(x)
    for _ in range(runs):
        t = time.perf_counter()
        fn(x)
        ts.append((time.perf_counter() - t) * 1e3)

core = ""
for lib in sorted(set(re.findall(r"/\S*openblas\S*\.so\S*", open("/proc/self/maps").read()))):
    try:
        get = ctypes.CDLL(lib).openblas_get_corename
        get.restype = ctypes.c_char_p
        core = get().decode()
        break
    except (OSError, AttributeError):
        pass
print(json.dumps({"times": ts, "blas_core": core}))
