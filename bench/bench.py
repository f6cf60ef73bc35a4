"""nnc against PyTorch, back to back on the same model, data, batch and
thread count. Prints a table and writes bench/results.json: a list of
{"name", "unit", "nnc", "pytorch", "ratio", "nnc_p10", "nnc_p90",
"pytorch_p10", "pytorch_p90"} where ratio > 1 means nnc is better
(throughput nnc/peer, latency peer/nnc). Timings are medians; the
machine is waited on until idle. See bench/README.md for the schema."""
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
ap.add_argument("--quick", action="store_true", help="fewer runs")
ALL_SECTIONS = ["inference", "int8", "gemm", "compile", "train", "bf16", "mpi", "memory", "gpu"]
ap.add_argument("--only", default=",".join(ALL_SECTIONS),
                help="comma-separated sections to run: " + ", ".join(ALL_SECTIONS))
ap.add_argument("--target", choices=["cpu", "cuda"], default=None,
                help="cuda: only the GPU section (the same as --only gpu)")
args = ap.parse_args()
if args.target == "cuda":
    args.only = "gpu"
SECTIONS = args.only.split(",")
for s_ in SECTIONS:
    if s_ not in ALL_SECTIONS:
        ap.error(f"unknown section '{s_}' (sections: {', '.join(ALL_SECTIONS)})")
ROOT = args.root
NNC = os.path.join(ROOT, "build", "bin", "nnc")
sys.path.insert(0, os.path.join(ROOT, "test", "e2e"))
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"
import torch  # noqa: E402  (after the thread settings)

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


def row(name, unit, nnc, peer=None, peer_value=None, ratio=None, precision="f32", batch=None,
        threads=None, note=None, **extra):
    """One result: what was measured, against which peer, at which
    precision, batch and thread count."""
    r = {"name": name, "unit": unit, "nnc": nnc, "peer": peer, "peer_value": peer_value,
         "ratio": ratio, "precision": precision, "batch": batch, "threads": threads}
    r.update(extra)
    if note:
        r["note"] = note
    rows.append(r)


def add(name, unit, nnc3, peer_ts, higher_is_better=False, convert=None, peer="PyTorch",
        **kw):
    p10, med, p90 = nnc3
    t10, tmed, t90 = pct(peer_ts, 0.1), statistics.median(peer_ts), pct(peer_ts, 0.9)
    if convert:
        p10, med, p90 = convert(p90), convert(med), convert(p10)
        t10, tmed, t90 = convert(t90), convert(tmed), convert(t10)
    ratio = med / tmed if higher_is_better else tmed / med
    row(name, unit, round(med, 4), peer, round(tmed, 4), round(ratio, 3),
        nnc_p10=round(p10, 4), nnc_p90=round(p90, 4), peer_p10=round(t10, 4),
        peer_p90=round(t90, 4), **kw)


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


def child_env(env=None, threads=1):
    """This environment with `threads` for OpenMP and BLAS and `env`'s
    entries (None: removed)."""
    e = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    for k, v in (env or {}).items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    return e


def blas_choices():
    """OpenBLAS kernels to try for PyTorch: the environment's choice, the
    CPU's best that OpenBLAS 0.3.21 has (SkylakeX with AVX-512, Haswell
    with AVX2) and OpenBLAS's own detection; it does not know Zen 4/5 or
    recent Xeons and may fall back to a generic kernel."""
    flags = open("/proc/cpuinfo").read()
    set_core = os.environ.get("OPENBLAS_CORETYPE")
    choices = [{}]
    for core, flag in (("SkylakeX", " avx512f"), ("Haswell", " avx2")):
        if flag in flags and core != set_core:
            choices.append({"OPENBLAS_CORETYPE": core})
    if set_core:
        choices.append({"OPENBLAS_CORETYPE": None, "OPENBLAS_L2_SIZE": None})
    return choices


def torch_infer(model, batch, config, params, env):
    out = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "torch_infer.py"), model,
                          str(batch), str(RUNS), config, params], env=child_env(env),
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def best_torch_infer(model, batch, params, configs):
    """PyTorch's fastest configuration and OpenBLAS kernel for this case:
    (times, description)."""
    best = None
    for blas in blas_choices():
        for config in configs:
            try:
                r = torch_infer(model, batch, config, params, blas)
            except subprocess.CalledProcessError:
                continue  # that OpenBLAS kernel does not run here
            if best is None or statistics.median(r["times"]) < statistics.median(best[0]):
                best = (r["times"], f"{config}, OpenBLAS {r['blas_core'] or '?'}")
    return best


ORT_MODULES = os.environ.get("NNC_ORT_MODULES",
                             os.path.join(ROOT, "tools", "onnxruntime", "node_modules"))


def ort_times(src, params, batch, d):
    """ONNX Runtime's times of the model nnc exports (1 thread, all graph
    optimisations) and of a one-op model on the same input with a small
    output like the model's (ReduceMax of each image: the per-call
    overhead of node and the binding, input copy included); None without
    node or the package."""
    if not shutil.which("node") or not os.path.isdir(os.path.join(ORT_MODULES, "onnxruntime-node")):
        return None
    import onnx
    from onnx import TensorProto, helper
    model_nn, onnx_path = os.path.join(d, "m.nn"), os.path.join(d, "m.onnx")
    open(model_nn, "w").write(src)
    subprocess.run([NNC, "export", model_nn, "--checkpoint", params, "-o", onnx_path],
                   check=True, capture_output=True)
    name = onnx.load(onnx_path).graph.input[0].name
    ident = helper.make_model(helper.make_graph(
        [helper.make_node("ReduceMax", [name], ["y"], axes=[1, 2], keepdims=0)], "overhead",
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, ["B", 28, 28])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["B"])]),
        opset_imports=[helper.make_opsetid("", 17)])
    ident_path = os.path.join(d, "overhead.onnx")
    onnx.save(ident, ident_path)
    out = subprocess.run(["node", os.path.join(ROOT, "bench", "ort_bench.js"), ORT_MODULES,
                          onnx_path, ident_path, name, str(batch), str(RUNS)],
                         env=child_env(), check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def inference_cases():
    for model, src, params in (("MLP", mlp_src, mlp_p), ("CNN", cnn_src, cnn_p)):
        configs = ["eager", "bf16"] + (["channels_last"] if model == "CNN" else [])
        for batch in (1, 64):
            wait_idle()
            x = torch.rand(batch, 28, 28)
            nnc3 = nnc_times(src, dict(params, image=x))
            with tempfile.TemporaryDirectory() as d:
                ppath = os.path.join(d, "params.safetensors")
                save(ppath, params)
                what = f"{model} inference latency, batch {batch}, 1 thread"
                times, how = best_torch_infer(model.lower(), batch, ppath, configs)
                add(f"{what} (vs PyTorch eager, best of {', '.join(configs)})", "ms", nnc3,
                    times, peer=f"PyTorch {torch.__version__} eager ({how})",
                    peer_precision="bf16" if how.startswith("bf16") else "f32",
                    batch=batch, threads=1)
                times, how = best_torch_infer(model.lower(), batch, ppath, ["script"])
                add(f"{what} (vs frozen TorchScript)", "ms", nnc3, times,
                    peer=f"PyTorch {torch.__version__} frozen TorchScript ({how})",
                    batch=batch, threads=1)
                ort = ort_times(src, ppath, batch, d)
                if ort is None:
                    print("note: no ONNX Runtime (node and tools/onnxruntime, which "
                          "scripts/setup.sh installs): its cases are left out")
                    continue
                overhead = statistics.median(ort["identity"])
                add(f"{what} (vs ONNX Runtime)", "ms", nnc3, ort["model"],
                    peer=f"ONNX Runtime {ort['version']} (node, MLAS)", batch=batch,
                    threads=1, note=f"ONNX Runtime's per-call overhead (a one-op "
                                    f"ReduceMax model): {overhead:.4f} ms")
                net = [max(t - overhead, 1e-6) for t in ort["model"]]
                add(f"{what} (vs ONNX Runtime, its per-call overhead subtracted)", "ms",
                    nnc3, net, peer=f"ONNX Runtime {ort['version']} minus {overhead:.4f} ms",
                    batch=batch, threads=1)


if "inference" in SECTIONS:
    inference_cases()


def cpu_flags():
    try:
        return open("/proc/cpuinfo").read().split()
    except OSError:
        return []


def torch_qengine():
    """The quantized engine torch_infer.py's int8_dynamic picks."""
    engines = torch.backends.quantized.supported_engines
    return next(e for e in ("fbgemm", "x86", "onednn", "qnnpack") if e in engines)


def int8_cases():
    # `--quantize=int8` (weights per output channel, activations per
    # sample, VNNI) against PyTorch eager's best f32/bf16 configuration,
    # ONNX Runtime f32 and nnc's own f32 (run right after).
    flags = cpu_flags()
    if "avx512_vnni" not in flags or "avx512bw" not in flags:
        print("int8: this CPU has no AVX512-VNNI; skipped", file=sys.stderr)
        return
    for model, src, params in (("MLP", mlp_src, mlp_p), ("CNN", cnn_src, cnn_p)):
        configs = ["eager", "bf16"] + (["channels_last"] if model == "CNN" else [])
        for batch in (1, 64):
            wait_idle()
            tensors = dict(params, image=torch.rand(batch, 28, 28))
            q3 = nnc_times(src, tensors, extra=["--quantize=int8"])
            f3 = nnc_times(src, tensors)
            what = f"{model} inference latency int8, batch {batch}, 1 thread"
            kw = dict(precision="int8", batch=batch, threads=1)
            row(f"{what} (vs nnc f32)", "ms", q3[1], "nnc f32", f3[1], round(f3[1] / q3[1], 3),
                peer_precision="f32", nnc_p10=q3[0], nnc_p90=q3[2], **kw)
            with tempfile.TemporaryDirectory() as d:
                ppath = os.path.join(d, "params.safetensors")
                save(ppath, params)
                times, how = best_torch_infer(model.lower(), batch, ppath, configs)
                add(f"{what} (vs PyTorch eager, best of {', '.join(configs)})", "ms", q3,
                    times, peer=f"PyTorch {torch.__version__} eager ({how})",
                    peer_precision="bf16" if how.startswith("bf16") else "f32", **kw)
                if model == "MLP":
                    times, how = best_torch_infer("mlp", batch, ppath, ["int8_dynamic"])
                    add(f"{what} (vs PyTorch int8, quantize_dynamic)", "ms", q3, times,
                        peer=f"PyTorch {torch.__version__} ({how}, "
                             f"{torch_qengine()})",
                        peer_precision="int8", **kw)
                ort = ort_times(src, ppath, batch, d)
                if ort is None:
                    continue
                overhead = statistics.median(ort["identity"])
                add(f"{what} (vs ONNX Runtime f32)", "ms", q3, ort["model"],
                    peer=f"ONNX Runtime {ort['version']} (node, MLAS)", peer_precision="f32",
                    note=f"ONNX Runtime's per-call overhead (a one-op ReduceMax model): "
                         f"{overhead:.4f} ms", **kw)
                net = [max(t - overhead, 1e-6) for t in ort["model"]]
                add(f"{what} (vs ONNX Runtime f32, its per-call overhead subtracted)", "ms",
                    q3, net, peer=f"ONNX Runtime {ort['version']} minus {overhead:.4f} ms",
                    peer_precision="f32", **kw)


if "int8" in SECTIONS:
    int8_cases()

def torch_gemm(n, runs, threads, env):
    """PyTorch's product a @ b in its own process (the BLAS kernel and
    thread count are fixed when torch is imported): (ms times, kernel)."""
    code = ("import ctypes,re,time,torch\n"
            f"torch.set_num_threads({threads})\n"
            f"a,b=torch.rand({n},{n}),torch.rand({n},{n})\n"
            "for _ in range(3): a@b\nts=[]\n"
            f"for _ in range({runs}):\n t=time.perf_counter(); a@b; ts.append((time.perf_counter()-t)*1e3)\n"
            "core='?'\n"
            "for l in set(re.findall(r'/\\S*openblas\\S*\\.so\\S*', open('/proc/self/maps').read())):\n"
            " f=ctypes.CDLL(l).openblas_get_corename; f.restype=ctypes.c_char_p; core=f().decode()\n"
            "print(core, ' '.join(map(str,ts)))")
    out = subprocess.run([sys.executable, "-c", code], env=child_env(env, threads), check=True,
                         capture_output=True, text=True).stdout.split()
    return [float(v) for v in out[1:]], out[0]


def gemm_cases():
    gemm_src = "model G {\n  input a: f32[N, N]\n  input b: f32[N, N]\n  a @ b\n}\n"
    for threads in (1, 2):
        for n in (256, 512, 1024):
            wait_idle()
            a, b = torch.rand(n, n), torch.rand(n, n)
            runs = max(15, RUNS // (n // 128))
            gflops = lambda ms, n=n: 2 * n ** 3 / (ms * 1e-3) / 1e9
            best = None
            for env in blas_choices():
                try:
                    ts, core = torch_gemm(n, runs, threads, env)
                except subprocess.CalledProcessError:
                    continue
                if best is None or statistics.median(ts) < statistics.median(best[0]):
                    best = (ts, core)
            extra = ["--threads", str(threads)] if threads > 1 else []
            add(f"fp32 GEMM {n}, {threads} thread{'s' if threads > 1 else ''} (vs OpenBLAS)",
                "GFLOP/s", nnc_times(gemm_src.replace("N, N", f"{n}, {n}"), {"a": a, "b": b},
                                     runs, extra),
                best[0], higher_is_better=True, convert=gflops,
                peer=f"OpenBLAS {best[1]} kernel (through PyTorch)", threads=threads)


if "gemm" in SECTIONS:
    gemm_cases()


def compile_cases():
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
                    row(f"compile time {ex}/{f} ({label}: nnc build "
                        f"{' '.join(extra + ['--emit=obj'])})", "ms", ms, precision=None)


if "compile" in SECTIONS:
    compile_cases()

# Training throughput: the examples' files (batch 64, Adam 1e-3) on the
# first SAMPLES training images; nnc's samples/s of each epoch after the
# first (which warms the buffer pool), PyTorch's over windows of steps.
def nnc_train(path, threads, samples, epochs, extra=(), launcher=()):
    with tempfile.TemporaryDirectory() as d:
        metrics = os.path.join(d, "m.jsonl")
        # stderr to a file: a pipe nobody reads before the wait would fill up.
        with open(os.path.join(d, "stderr"), "w+") as err:
            p = subprocess.Popen([*launcher, NNC, "run", path, "--epochs", str(epochs), "--limit",
                                  str(samples), "--threads", str(threads), "--no-progress",
                                  "--metrics-out", metrics, *extra],
                                 stdout=subprocess.DEVNULL, stderr=err)
            _, status, usage = os.wait4(p.pid, 0)
            if status != 0:
                err.seek(0)
                sys.exit("nnc run %s failed: %s" % (path, err.read()))
        rows_ = [json.loads(l) for l in open(metrics) if l.strip()]
    rates = [r["samples_per_sec"] for r in rows_ if not r.get("final")][1:]
    # nnc's own VmHWM: getrusage's maximum of a child includes this
    # (large) Python process's memory at the fork.
    final = [r for r in rows_ if r.get("final")]
    return rates, final[0].get("peak_rss_mb", usage.ru_maxrss / 1024)


def torch_train(model, threads, samples, extra=(), env=None):
    """PyTorch's samples/s windows and peak RSS; `env` entries set to None
    are removed from the environment."""
    out = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "torch_train.py"), model,
                          str(threads), str(samples), *extra], env=child_env(env, threads),
                         check=True, capture_output=True, text=True).stdout
    r = json.loads(out)
    return r["samples_per_sec"], r["peak_rss_mb"]


def three(xs):
    return [pct(xs, 0.1), statistics.median(xs), pct(xs, 0.9)]


def best_torch(model, threads, samples):
    """PyTorch's best environment for this thread count (BASELINES.md): on
    two threads, OpenMP with one BLAS thread, or all threads in BLAS."""
    configs = [{}] if threads == 1 else [{"OPENBLAS_NUM_THREADS": "1"}, {},
                                         {"OMP_WAIT_POLICY": "PASSIVE"}]
    # Each with every OpenBLAS kernel worth trying on this CPU.
    configs = [dict(c, **blas) for c in configs for blas in blas_choices()]
    results = []
    for c in configs:
        try:
            results.append(torch_train(model, threads, samples, env=c)[0])
        except subprocess.CalledProcessError:
            pass  # that OpenBLAS configuration does not run here
    return max(results, key=statistics.median)


examples = os.path.join(ROOT, "examples", "fashion_mnist")


def train_cases():
    for model, samples, epochs in (("MLP", 20000 if args.quick else 60000, 4),
                                   ("CNN", 1280 if args.quick else 3200, 3),
                                   ("DwSep", 1280 if args.quick else 3200, 3)):
        path = os.path.join(examples, model.lower() + ".nn")
        for threads in (1, 2):
            wait_idle()
            rates, _ = nnc_train(path, threads, samples, epochs)
            theirs = best_torch(model.lower(), threads, samples)
            add(f"{model} train, batch 64, {threads} thread{'s' if threads > 1 else ''}",
                "samples/s", three(rates), theirs, higher_is_better=True,
                peer="PyTorch (best of its thread and OpenBLAS settings)", batch=64,
                threads=threads)


if "train" in SECTIONS:
    train_cases()


def cpu_has_bf16():
    try:
        flags = open("/proc/cpuinfo").read().split()
    except OSError:
        return False
    return "avx512_bf16" in flags and "avx512bw" in flags


def bf16_cases():
    # Mixed precision (`--precision=bf16`) against nnc's own f32 training,
    # the same runs alternated back to back (the machine's load drifts).
    if not cpu_has_bf16():
        print("bf16: this CPU has no AVX512-BF16; skipped", file=sys.stderr)
        return
    for model, samples, epochs in (("MLP", 20000 if args.quick else 60000, 4),
                                   ("CNN", 1280 if args.quick else 3200, 3)):
        path = os.path.join(examples, model.lower() + ".nn")
        for threads in (1, 2):
            wait_idle()
            f32, bf16 = [], []
            for _ in range(2 if args.quick else 3):
                f32 += nnc_train(path, threads, samples, epochs)[0]
                bf16 += nnc_train(path, threads, samples, epochs, ["--precision=bf16"])[0]
            add(f"{model} train bf16, batch 64, {threads} thread{'s' if threads > 1 else ''}",
                "samples/s", three(bf16), f32, higher_is_better=True, peer="nnc f32",
                precision="bf16", peer_precision="f32", batch=64, threads=threads)


if "bf16" in SECTIONS:
    bf16_cases()

# Data-parallel training over MPI (docs/distributed.md): 2 ranks of 1
# thread, batch 32 each (64 per step, the same steps as batch 64 in one
# process), against one process of 1 and of 2 threads. samples/s of the
# whole job (rank 0's metrics count the global batch).
MPIRUN = shutil.which("mpirun")


def mpi_cases():
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
        row(f"{model} train, 2 MPI ranks x 1 thread, batch 32 each", "samples/s", round(med, 4),
            "nnc, 1 process, 1 thread", round(statistics.median(one), 4),
            round(statistics.median(ranks) / statistics.median(one), 3), batch=32, threads=1,
            nnc_p10=round(p10, 4), nnc_p90=round(p90, 4),
            note=f"1 process, 2 threads: {statistics.median(two_threads):.0f}")


if "mpi" in SECTIONS:
    mpi_cases()

def memory_cases():
    """Peak memory of a whole MLP training run (nnc's includes the
    compiler), and how the MLP's step time grows with the batch and the
    hidden width (2.0 = linear)."""
    mlp_path = os.path.join(examples, "mlp.nn")
    wait_idle()
    _, nnc_rss = nnc_train(mlp_path, 1, 60000, 1)
    _, torch_rss = torch_train("mlp", 1, 60000)
    row("peak RSS of MLP training (60k samples, incl. nnc's compiler)", "MB",
        round(nnc_rss, 1), "PyTorch", round(torch_rss, 1), round(torch_rss / nnc_rss, 3),
        batch=64, threads=1)
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
        row(f"MLP step time growth, {name} (2.0 = linear)", "x", round(n2 / step(base, 64), 3),
            "PyTorch", round(t2 / step(tb, 64), 3), threads=1)


if "memory" in SECTIONS:
    memory_cases()

def gpu_peak_gflops():
    """The GPU's FP32 peak (SMs x FP32 lanes per SM x 2 x the highest SM
    clock, from torch and nvidia-smi), or None when either is missing."""
    try:
        clock = float(subprocess.run(
            ["nvidia-smi", "--query-gpu=clocks.max.sm", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, check=True).stdout.split()[0])
        p = torch.cuda.get_device_properties(0)
    except (OSError, subprocess.CalledProcessError, IndexError, ValueError, RuntimeError,
            AssertionError):
        return None
    lanes = {(7, 5): 64, (8, 0): 64}.get((p.major, p.minor), 128)
    return p.multi_processor_count * lanes * 2 * clock / 1e3


def torch_cuda_gemm(n, runs):
    """PyTorch's FP32 a @ b on the GPU (TF32 off: the same numerics as
    nnc's FP32 kernels), ms per product."""
    torch.backends.cuda.matmul.allow_tf32 = False
    a, b = torch.rand(n, n, device="cuda"), torch.rand(n, n, device="cuda")
    for _ in range(3):
        a @ b
    torch.cuda.synchronize()
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        a @ b
        torch.cuda.synchronize()
        ts.append((time.perf_counter() - t) * 1e3)
    return ts


def gpu_cases():
    """--target=cuda (docs/gpu.md): training samples/s of the MLP and CNN on
    the GPU against PyTorch on the same GPU (when its torch has CUDA) and
    against nnc on one CPU thread; FP32 GEMM GFLOP/s against PyTorch (cuBLAS)
    and the GPU's peak. Skipped, and said so, without a device."""
    probe = subprocess.run([NNC, "run", os.path.join(ROOT, "test", "gpu", "Inputs", "double.nn"),
                            "--target=cuda"], capture_output=True, text=True)
    if probe.returncode != 0:
        print("gpu: skipped: " + (probe.stderr.strip().splitlines() or ["?"])[-1], file=sys.stderr)
        return
    torch_cuda = torch.cuda.is_available()
    for model, samples, epochs in (("MLP", 20000 if args.quick else 60000, 4),
                                   ("CNN", 3200 if args.quick else 12800, 3)):
        path = os.path.join(examples, model.lower() + ".nn")
        gpu, _ = nnc_train(path, 1, samples, epochs, ["--target=cuda"])
        cpu, _ = nnc_train(path, 1, samples, epochs)
        if torch_cuda:
            peer, _ = torch_train(model.lower(), 1, samples, ["--device", "cuda"])
            add(f"{model} train on the GPU, batch 64", "samples/s", three(gpu), peer,
                higher_is_better=True, peer="PyTorch CUDA", batch=64, threads=1)
        add(f"{model} train on the GPU vs nnc on 1 CPU thread, batch 64", "samples/s",
            three(gpu), cpu, higher_is_better=True, peer="nnc CPU", batch=64, threads=1)
    gemm_src = "model G {\n  input a: f32[N, N]\n  input b: f32[N, N]\n  a @ b\n}\n"
    peak = gpu_peak_gflops() if torch_cuda else None
    for n in (1024, 2048, 4096):
        runs = 10 if args.quick else 30
        gflops = lambda ms, n=n: 2 * n ** 3 / (ms * 1e-3) / 1e9
        a, b = torch.rand(n, n), torch.rand(n, n)
        mine = nnc_times(gemm_src.replace("N, N", f"{n}, {n}"), {"a": a, "b": b}, runs,
                         ["--target=cuda"])
        note = None
        if peak:
            note = f"GPU FP32 peak {peak:.0f} GFLOP/s: nnc at {100 * gflops(mine[1]) / peak:.1f} %"
        if torch_cuda:
            add(f"fp32 GEMM {n} on the GPU (vs cuBLAS, TF32 off)", "GFLOP/s", mine,
                torch_cuda_gemm(n, runs), higher_is_better=True, convert=gflops,
                peer="PyTorch CUDA (cuBLAS)", note=note)
        else:
            row(f"fp32 GEMM {n} on the GPU", "GFLOP/s", round(gflops(mine[1]), 1), note=note)
        # Shared-memory tiles (the default) against a thread per element.
        untiled = nnc_times(gemm_src.replace("N, N", f"{n}, {n}"), {"a": a, "b": b}, runs,
                            ["--target=cuda", "--gpu-tiles=false"])
        add(f"fp32 GEMM {n} on the GPU, tiles vs a thread per element", "GFLOP/s", mine,
            untiled, higher_is_better=True, convert=gflops, peer="nnc --gpu-tiles=false")


if "gpu" in SECTIONS:
    gpu_cases()

print(f"{'case':86} {'unit':9} {'nnc':>9} {'peer':>9} {'ratio':>6}  peer")
for r in rows:
    fmt = lambda v: "-" if v is None else f"{v:.4g}"
    print(f"{r['name']:86} {r['unit']:9} {fmt(r['nnc']):>9} {fmt(r['peer_value']):>9} "
          f"{fmt(r['ratio']):>6}  {r['peer'] or ''}" + (f"; {r['note']}" if r.get("note") else ""))
out = os.path.join(ROOT, "bench", "results.json")
if set(SECTIONS) != set(ALL_SECTIONS):
    out = os.path.join(ROOT, "bench", "results-" + "-".join(SECTIONS) + ".json")
with open(out, "w") as f:
    json.dump(rows, f, indent=1)
print("wrote " + os.path.relpath(out, ROOT))
