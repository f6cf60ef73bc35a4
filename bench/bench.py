"""nnc against PyTorch, back to back on the same model, data, batch and
thread count. Prints a table and writes bench/results.json: a list of
{"name", "unit", "nnc", "pytorch", "ratio", "nnc_p10", "nnc_p90",
"pytorch_p10", "pytorch_p90"} where ratio > 1 means nnc is better
(throughput nnc/pytorch, latency pytorch/nnc). Timings are medians; the
machine is waited on until idle."""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument("--root", required=True)
ap.add_argument("--quick", action="store_true", help="fewer runs (under 3 minutes)")
args = ap.parse_args()
ROOT = args.root
NNC = os.path.join(ROOT, "build", "bin", "nnc")
sys.path.insert(0, os.path.join(ROOT, "test", "e2e"))
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"
import torch  # noqa: E402  (after the thread settings)
import torch.nn.functional as F  # noqa: E402

from nnctest import save  # noqa: E402

RUNS = 20 if args.quick else 100


def wait_idle(limit=60):
    start = time.time()
    while time.time() - start < limit:
        if float(open("/proc/loadavg").read().split()[0]) < 0.5:
            return
        time.sleep(2)
    print("note: the machine did not become idle (load >= 0.5); timings are noisier")


def pct(xs, q):
    xs = sorted(xs)
    return xs[int(q * (len(xs) - 1))]


def torch_times(fn, runs=RUNS):
    with torch.no_grad():
        for _ in range(5):
            fn()
        ts = []
        for _ in range(runs):
            t = time.perf_counter()
            fn()
            ts.append((time.perf_counter() - t) * 1e3)
    return ts


def nnc_times(source, tensors, runs=RUNS, extra=()):
    with tempfile.TemporaryDirectory() as d:
        src, inp = os.path.join(d, "m.nn"), os.path.join(d, "in.safetensors")
        open(src, "w").write(source)
        save(inp, tensors)
        out = subprocess.run([NNC, "run", src, "--forward", inp, "--bench", str(runs), *extra],
                             check=True, capture_output=True, text=True).stdout
    m = re.search(r"median ([0-9.]+) p10 ([0-9.]+) p90 ([0-9.]+)", out)
    return [float(m.group(2)), float(m.group(1)), float(m.group(3))]  # p10, median, p90


rows = []


def add(name, unit, nnc3, torch_ts, higher_is_better=False, convert=None):
    p10, med, p90 = nnc3
    t10, tmed, t90 = pct(torch_ts, 0.1), statistics.median(torch_ts), pct(torch_ts, 0.9)
    if convert:
        p10, med, p90 = convert(p90), convert(med), convert(p10)
        t10, tmed, t90 = convert(t90), convert(tmed), convert(t10)
    ratio = med / tmed if higher_is_better else tmed / med
    rows.append({"name": name, "unit": unit, "nnc": round(med, 4), "pytorch": round(tmed, 4),
                 "ratio": round(ratio, 3), "nnc_p10": round(p10, 4), "nnc_p90": round(p90, 4),
                 "pytorch_p10": round(t10, 4), "pytorch_p90": round(t90, 4)})


wait_idle()
torch.set_num_threads(1)
torch.manual_seed(0)
mlp_src = open(os.path.join(ROOT, "examples/fashion_mnist/mlp.nn")).read()
cnn_src = open(os.path.join(ROOT, "examples/fashion_mnist/cnn.nn")).read()
mlp_p = {"dense_1.w": torch.randn(784, 256) * 0.05, "dense_1.b": torch.zeros(256),
         "dense_2.w": torch.randn(256, 10) * 0.1, "dense_2.b": torch.zeros(10)}
cnn_p = {"conv2d_1.w": torch.randn(3, 3, 1, 32) * 0.3, "conv2d_1.b": torch.zeros(32),
         "conv2d_2.w": torch.randn(3, 3, 32, 32) * 0.08, "conv2d_2.b": torch.zeros(32),
         "conv2d_3.w": torch.randn(3, 3, 32, 64) * 0.06, "conv2d_3.b": torch.zeros(64),
         "dense_1.w": torch.randn(1600, 128) * 0.03, "dense_1.b": torch.zeros(128),
         "dense_2.w": torch.randn(128, 10) * 0.1, "dense_2.b": torch.zeros(10)}
oihw = {k: v.permute(3, 2, 0, 1).contiguous() for k, v in cnn_p.items() if v.dim() == 4}


def torch_mlp(x):
    return torch.relu(x.reshape(x.shape[0], -1) @ mlp_p["dense_1.w"] + mlp_p["dense_1.b"]) \
        @ mlp_p["dense_2.w"] + mlp_p["dense_2.b"]


def torch_cnn(x):
    h = torch.relu(F.conv2d(x.unsqueeze(1), oihw["conv2d_1.w"], cnn_p["conv2d_1.b"]))
    h = F.max_pool2d(torch.relu(F.conv2d(h, oihw["conv2d_2.w"], cnn_p["conv2d_2.b"])), 2)
    h = F.max_pool2d(torch.relu(F.conv2d(h, oihw["conv2d_3.w"], cnn_p["conv2d_3.b"])), 2)
    h = torch.relu(h.permute(0, 2, 3, 1).reshape(x.shape[0], -1) @ cnn_p["dense_1.w"]
                   + cnn_p["dense_1.b"])
    return h @ cnn_p["dense_2.w"] + cnn_p["dense_2.b"]


for model, src, params, fn in (("MLP", mlp_src, mlp_p, torch_mlp), ("CNN", cnn_src, cnn_p, torch_cnn)):
    for batch in (1, 64):
        x = torch.rand(batch, 28, 28)
        nnc3 = nnc_times(src, dict(params, image=x))
        add(f"{model} inference latency, batch {batch}, 1 thread (vs eager)", "ms", nnc3,
            torch_times(lambda: fn(x)))
        class M(torch.nn.Module):  # TorchScript needs a Module to trace
            def forward(self, v):
                return fn(v)
        with torch.no_grad():
            ts = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(M().eval(), (x,))))
        add(f"{model} inference latency, batch {batch}, 1 thread (vs frozen TorchScript)", "ms",
            nnc3, torch_times(lambda: ts(x)))

gemm_src = "model G {\n  input a: f32[N, N]\n  input b: f32[N, N]\n  a @ b\n}\n"
for n in (256, 512, 1024):
    a, b = torch.rand(n, n), torch.rand(n, n)
    runs = max(15, RUNS // (n // 128))
    gflops = lambda ms, n=n: 2 * n ** 3 / (ms * 1e-3) / 1e9
    add(f"fp32 GEMM {n}, 1 thread (vs OpenBLAS)", "GFLOP/s",
        nnc_times(gemm_src.replace("N, N", f"{n}, {n}"), {"a": a, "b": b}, runs),
        torch_times(lambda: a @ b, runs), higher_is_better=True, convert=gflops)

def torch_gemm_2threads(n, runs):
    """PyTorch's product on two threads, in its own process (the BLAS
    thread count is fixed when torch is imported)."""
    code = ("import time,torch\ntorch.set_num_threads(2)\n"
            f"a,b=torch.rand({n},{n}),torch.rand({n},{n})\n"
            "for _ in range(3): a@b\nts=[]\n"
            f"for _ in range({runs}):\n t=time.perf_counter(); a@b; ts.append((time.perf_counter()-t)*1e3)\n"
            "print(' '.join(map(str,ts)))")
    env = dict(os.environ, OMP_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2")
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True,
                         text=True).stdout
    return [float(v) for v in out.split()]


for n in (256, 512, 1024):
    a, b = torch.rand(n, n), torch.rand(n, n)
    runs = max(15, RUNS // (n // 128))
    gflops = lambda ms, n=n: 2 * n ** 3 / (ms * 1e-3) / 1e9
    add(f"fp32 GEMM {n}, 2 threads (vs OpenBLAS)", "GFLOP/s",
        nnc_times(gemm_src.replace("N, N", f"{n}, {n}"), {"a": a, "b": b}, runs, ["--threads", "2"]),
        torch_gemm_2threads(n, runs), higher_is_better=True, convert=gflops)

for ex in sorted(os.listdir(os.path.join(ROOT, "examples"))):
    for f in sorted(os.listdir(os.path.join(ROOT, "examples", ex))):
        if not f.endswith(".nn"):
            continue
        path = os.path.join(ROOT, "examples", ex, f)

        def compile_ms(extra, cache_dir):
            ts = []
            for _ in range(3 if args.quick else 5):
                if cache_dir is None:
                    env = dict(os.environ, NNC_NO_CACHE="1")
                else:
                    env = dict(os.environ, NNC_CACHE_DIR=cache_dir)
                    env.pop("NNC_NO_CACHE", None)
                t = time.perf_counter()
                r = subprocess.run([NNC, "build", "--emit=obj", path, "-o", os.devnull, *extra],
                                   capture_output=True, env=env)
                ts.append((time.perf_counter() - t) * 1e3)
                if r.returncode != 0:
                    return None  # e.g. --train on a file without a train block
            return round(statistics.median(ts), 1)

        with tempfile.TemporaryDirectory() as cache_dir:
            cases = [("forward", [], None), ("training, cold", ["--train"], None),
                     ("training, cached", ["--train"], cache_dir)]
            for label, extra, cache in cases:
                ms = compile_ms(extra, cache)
                if ms is None:
                    continue
                rows.append({"name": f"compile time {ex}/{f} ({label}: nnc build "
                             f"{' '.join(extra + ['--emit=obj'])})", "unit": "ms",
                             "nnc": ms, "pytorch": None, "ratio": None})

# Training throughput: the examples' files (batch 64, Adam 1e-3) on the
# first SAMPLES training images; nnc's samples/s of each epoch after the
# first (which warms the buffer pool), PyTorch's over windows of steps.
def nnc_train(path, threads, samples, epochs, extra=(), launcher=()):
    with tempfile.TemporaryDirectory() as d:
        metrics = os.path.join(d, "m.jsonl")
        p = subprocess.Popen([*launcher, NNC, "run", path, "--epochs", str(epochs), "--limit", str(samples),
                              "--threads", str(threads), "--no-progress", "--metrics-out",
                              metrics, *extra], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(p.pid, 0)
        if status != 0:
            sys.exit("nnc run %s failed: %s" % (path, p.stderr.read().decode()))
        rows_ = [json.loads(l) for l in open(metrics) if l.strip()]
    rates = [r["samples_per_sec"] for r in rows_ if not r.get("final")][1:]
    # nnc's own VmHWM: getrusage's maximum of a child includes this
    # (large) Python process's memory at the fork.
    final = [r for r in rows_ if r.get("final")]
    return rates, final[0].get("peak_rss_mb", usage.ru_maxrss / 1024)


def torch_train(model, threads, samples, extra=(), env=None):
    """PyTorch's samples/s windows and peak RSS; `env` entries set to None
    are removed from the environment."""
    e = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    for k, v in (env or {}).items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    out = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "torch_train.py"), model,
                          str(threads), str(samples), *extra], env=e, check=True,
                         capture_output=True, text=True).stdout
    r = json.loads(out)
    return r["samples_per_sec"], r["peak_rss_mb"]


def three(xs):
    return [pct(xs, 0.1), statistics.median(xs), pct(xs, 0.9)]


def best_torch(model, threads, samples):
    """PyTorch's best environment for this thread count (BASELINES.md): on
    two threads, OpenMP with one BLAS thread, or all threads in BLAS."""
    configs = [None] if threads == 1 else [{"OPENBLAS_NUM_THREADS": "1"}, None,
                                           {"OMP_WAIT_POLICY": "PASSIVE"}]
    # Where the machine pins OpenBLAS to an older kernel (OPENBLAS_CORETYPE,
    # set for CPUs OpenBLAS 0.3.21 does not know), also try its own pick.
    if "OPENBLAS_CORETYPE" in os.environ:
        configs += [dict(c or {}, OPENBLAS_CORETYPE=None, OPENBLAS_L2_SIZE=None)
                    for c in list(configs)]
    results = []
    for c in configs:
        try:
            results.append(torch_train(model, threads, samples, env=c)[0])
        except subprocess.CalledProcessError:
            pass  # that OpenBLAS configuration does not run here
    return max(results, key=statistics.median)


examples = os.path.join(ROOT, "examples", "fashion_mnist")
for model, samples, epochs in (("MLP", 20000 if args.quick else 60000, 4),
                               ("CNN", 1280 if args.quick else 3200, 3),
                               ("DwSep", 1280 if args.quick else 3200, 3)):
    path = os.path.join(examples, model.lower() + ".nn")
    for threads in (1, 2):
        wait_idle()
        rates, _ = nnc_train(path, threads, samples, epochs)
        theirs = best_torch(model.lower(), threads, samples)
        add(f"{model} train, batch 64, {threads} thread{'s' if threads > 1 else ''}",
            "samples/s", three(rates), theirs, higher_is_better=True)

# Data-parallel training over MPI (docs/distributed.md): 2 ranks of 1
# thread, batch 32 each (64 per step, the same steps as batch 64 in one
# process), against one process of 1 and of 2 threads. samples/s of the
# whole job (rank 0's metrics count the global batch).
MPIRUN = shutil.which("mpirun")
for model, samples, epochs in (("MLP", 20000 if args.quick else 60000, 4),
                               ("CNN", 1280 if args.quick else 3200, 3)):
    if not MPIRUN:
        break
    path = os.path.join(examples, model.lower() + ".nn")
    wait_idle()
    one, _ = nnc_train(path, 1, samples, epochs)
    two_threads, _ = nnc_train(path, 2, samples, epochs)
    ranks, _ = nnc_train(path, 1, samples, epochs, ["--batch", "32"],
                         [MPIRUN, "--oversubscribe", "--allow-run-as-root", "-np", "2"])
    p10, med, p90 = three(ranks)
    rows.append({"name": f"{model} train, 2 MPI ranks x 1 thread, batch 32 each", "unit": "samples/s",
                 "nnc": round(med, 4), "nnc_p10": round(p10, 4), "nnc_p90": round(p90, 4),
                 "pytorch": None,
                 "ratio": round(statistics.median(ranks) / statistics.median(one), 3),
                 "note": f"ratio: vs 1 process, 1 thread ({statistics.median(one):.0f}); "
                         f"1 process, 2 threads: {statistics.median(two_threads):.0f}"})

# Peak memory of a whole MLP training run (nnc's includes the compiler).
mlp_path = os.path.join(examples, "mlp.nn")
wait_idle()
_, nnc_rss = nnc_train(mlp_path, 1, 60000, 1)
_, torch_rss = torch_train("mlp", 1, 60000)
rows.append({"name": "peak RSS of MLP training (60k samples, incl. nnc's compiler)", "unit": "MB",
             "nnc": round(nnc_rss, 1), "pytorch": round(torch_rss, 1),
             "ratio": round(torch_rss / nnc_rss, 3)})

# Linear cost: MLP step time as the batch or the hidden width doubles.
with tempfile.TemporaryDirectory() as d:
    wide = os.path.join(d, "mlp512.nn")
    open(wide, "w").write(open(mlp_path).read()
                          .replace("hidden: int = 256", "hidden: int = 512"))
    base, _ = nnc_train(mlp_path, 1, 20000, 4)
    big, _ = nnc_train(mlp_path, 1, 20000, 4, ["--batch", "128"])
    wider, _ = nnc_train(wide, 1, 20000, 4)
    tb, _ = torch_train("mlp", 1, 20000)
    tbig, _ = torch_train("mlp", 1, 20000, ["--batch", "128"])
    twide, _ = torch_train("mlp", 1, 20000, ["--hidden", "512"])
    step = lambda rates, b: 1e3 * b / statistics.median(rates)
    for name, n2, t2 in (("batch 64 -> 128", step(big, 128), step(tbig, 128)),
                         ("hidden 256 -> 512", step(wider, 64), step(twide, 64))):
        rows.append({"name": f"MLP step time growth, {name} (2.0 = linear)", "unit": "x",
                     "nnc": round(n2 / step(base, 64), 3),
                     "pytorch": round(t2 / step(tb, 64), 3), "ratio": None})

print(f"{'case':78} {'unit':8} {'nnc':>10} {'pytorch':>10} {'ratio':>7}")
for r in rows:
    fmt = lambda v: "-" if v is None else f"{v:.4g}"
    print(f"{r['name']:78} {r['unit']:8} {fmt(r['nnc']):>10} {fmt(r['pytorch']):>10} "
          f"{fmt(r['ratio']):>7}" + (f"  ({r['note']})" if r.get("note") else ""))
with open(os.path.join(ROOT, "bench", "results.json"), "w") as f:
    json.dump(rows, f, indent=1)
print("wrote bench/results.json")
