//===- Cuda.cpp - The GPU side of generated code, over the CUDA driver ----===//
//
// Code compiled with `--target=cuda` launches its kernels through the
// `mgpu*` functions MLIR's gpu-to-llvm lowering calls. They are implemented
// here over the CUDA driver API, which is loaded with dlopen: the runtime
// (and every executable and library nnc builds) links and runs on machines
// without a driver, and says "no CUDA device" there instead of failing to
// load. No CUDA header is needed: the few driver types are declared below.
//
// Memory: once a device is in use, every buffer the runtime hands out
// (tensors, the buffer pool, workspaces) is CUDA managed memory, reachable
// from the host and the device at the same address, so that parameters,
// data batches and intermediate buffers need no explicit copies: pages
// move to the GPU when kernels touch them and stay there.
//
//===----------------------------------------------------------------------===//
#include "DeviceMemory.h"
#include "nnc/runtime.h"

#include <atomic>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <mutex>
#include <string>
#include <unordered_set>

namespace {
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
constexpr CUresult kSuccess = 0;
constexpr unsigned kMemAttachGlobal = 1;
constexpr int kAttrComputeMajor = 75, kAttrComputeMinor = 76;
constexpr int kAttrConcurrentManagedAccess = 89;

/// The driver functions used, resolved from libcuda.so.1.
struct Driver {
  CUresult (*init)(unsigned);
  CUresult (*deviceGetCount)(int *);
  CUresult (*deviceGet)(CUdevice *, int);
  CUresult (*deviceGetName)(char *, int, CUdevice);
  CUresult (*deviceGetAttribute)(int *, int, CUdevice);
  CUresult (*primaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*ctxSetCurrent)(CUcontext);
  CUresult (*moduleLoadData)(CUmodule *, const void *);
  CUresult (*moduleUnload)(CUmodule);
  CUresult (*moduleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*launchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                           unsigned, unsigned, unsigned, CUstream, void **,
                           void **);
  CUresult (*streamCreate)(CUstream *, unsigned);
  CUresult (*streamSynchronize)(CUstream);
  CUresult (*memAllocManaged)(CUdeviceptr *, size_t, unsigned);
  CUresult (*memFree)(CUdeviceptr);
  CUresult (*memcpy)(CUdeviceptr, CUdeviceptr, size_t);
  CUresult (*memsetD32)(CUdeviceptr, unsigned, size_t);
  CUresult (*memsetD16)(CUdeviceptr, unsigned short, size_t);
  CUresult (*getErrorString)(CUresult, const char **);
  /// Optional (null: batches are not prefetched). The first API's
  /// signature, which every driver since CUDA 8 exports under this name.
  CUresult (*memPrefetchAsync)(CUdeviceptr, size_t, CUdevice, CUstream);
};

struct State {
  std::mutex mutex;
  bool tried = false;
  std::atomic<bool> ready{false};
  std::string error; ///< why there is no device (when !ready)
  std::string loadError; ///< why the kernels did not load (a constructor's)
  int chip = 0;          ///< compute capability, e.g. 80
  std::string device;
  CUdevice dev = 0;
  /// The host may touch managed memory while kernels run.
  bool concurrentAccess = false;
  Driver cu{};
  CUcontext ctx = nullptr;
  std::unordered_set<void *> managed;
};

State &state() {
  static State s;
  return s;
}

/// Resolves every driver function; the name of the first missing one.
const char *resolve(void *lib, Driver &d) {
  struct Entry {
    const char *name;
    void **slot;
  } entries[] = {
      {"cuInit", (void **)&d.init},
      {"cuDeviceGetCount", (void **)&d.deviceGetCount},
      {"cuDeviceGet", (void **)&d.deviceGet},
      {"cuDeviceGetName", (void **)&d.deviceGetName},
      {"cuDeviceGetAttribute", (void **)&d.deviceGetAttribute},
      {"cuDevicePrimaryCtxRetain", (void **)&d.primaryCtxRetain},
      {"cuCtxSetCurrent", (void **)&d.ctxSetCurrent},
      {"cuModuleLoadData", (void **)&d.moduleLoadData},
      {"cuModuleUnload", (void **)&d.moduleUnload},
      {"cuModuleGetFunction", (void **)&d.moduleGetFunction},
      {"cuLaunchKernel", (void **)&d.launchKernel},
      {"cuStreamCreate", (void **)&d.streamCreate},
      {"cuStreamSynchronize", (void **)&d.streamSynchronize},
      {"cuMemAllocManaged", (void **)&d.memAllocManaged},
      {"cuMemFree_v2", (void **)&d.memFree},
      {"cuMemcpy", (void **)&d.memcpy},
      {"cuMemsetD32_v2", (void **)&d.memsetD32},
      {"cuMemsetD16_v2", (void **)&d.memsetD16},
      {"cuGetErrorString", (void **)&d.getErrorString},
  };
  for (Entry &e : entries)
    if (!(*e.slot = dlsym(lib, e.name)))
      return e.name;
  d.memPrefetchAsync = reinterpret_cast<decltype(d.memPrefetchAsync)>(
      dlsym(lib, "cuMemPrefetchAsync"));
  return nullptr;
}

std::string describe(const Driver &d, CUresult r) {
  const char *text = nullptr;
  if (d.getErrorString)
    d.getErrorString(r, &text);
  return text ? text : "CUDA error " + std::to_string(r);
}

/// Which of the `count` GPUs this process uses: NNC_CUDA_DEVICE if set,
/// else, in an MPI job, the rank's index on its node (Open MPI, MPICH,
/// MVAPICH, Slurm name it) modulo the GPUs, so that the ranks of a node
/// share its GPUs out; else 0. -1 (and `why`) for a bad NNC_CUDA_DEVICE.
int deviceIndex(int count, std::string &why) {
  auto number = [](const char *name) {
    const char *v = std::getenv(name);
    char *end = nullptr;
    long k = v && *v ? std::strtol(v, &end, 10) : -1;
    return k >= 0 && end && *end == '\0' ? k : -1;
  };
  if (const char *v = std::getenv("NNC_CUDA_DEVICE"); v && *v) {
    long k = number("NNC_CUDA_DEVICE");
    if (k >= 0 && k < count)
      return int(k);
    why = std::string("NNC_CUDA_DEVICE=") + v + " is not a GPU the driver " +
          "sees (0 to " + std::to_string(count - 1) + ")";
    return -1;
  }
  for (const char *name : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID",
                           "MV2_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID"})
    if (long k = number(name); k >= 0)
      return int(k % count);
  return 0;
}

/// Loads the driver and makes the chosen GPU's primary context current; records
/// why not on failure. Called with the state's mutex held.
void open(State &s) {
  s.tried = true;
  const char *forced = std::getenv("NNC_CUDA_DRIVER"); // tests: a stand-in
  const char *name = forced && *forced ? forced : "libcuda.so.1";
  void *lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *why = dlerror();
    s.error = std::string("the CUDA driver cannot be loaded (") +
              (why ? why : name) + ")";
    return;
  }
  if (const char *missing = resolve(lib, s.cu)) {
    s.error = std::string("the CUDA driver has no ") + missing;
    return;
  }
  Driver &cu = s.cu;
  int count = 0;
  CUresult r = cu.init(0);
  if (r == kSuccess)
    r = cu.deviceGetCount(&count);
  if (r != kSuccess || count == 0) {
    s.error = r != kSuccess ? "cuInit failed: " + describe(cu, r)
                            : std::string("the driver sees no GPU");
    return;
  }
  int index = deviceIndex(count, s.error);
  if (index < 0)
    return;
  CUdevice &dev = s.dev;
  if ((r = cu.deviceGet(&dev, index)) != kSuccess ||
      (r = cu.primaryCtxRetain(&s.ctx, dev)) != kSuccess ||
      (r = cu.ctxSetCurrent(s.ctx)) != kSuccess) {
    s.error =
        "cannot use GPU " + std::to_string(index) + ": " + describe(cu, r);
    return;
  }
  char buf[256] = {0};
  int major = 0, minor = 0;
  cu.deviceGetName(buf, sizeof buf - 1, dev);
  cu.deviceGetAttribute(&major, kAttrComputeMajor, dev);
  cu.deviceGetAttribute(&minor, kAttrComputeMinor, dev);
  s.device = std::string(buf) + " (sm_" + std::to_string(major) +
             std::to_string(minor) + ")";
  s.chip = major * 10 + minor;
  int concurrent = 0;
  cu.deviceGetAttribute(&concurrent, kAttrConcurrentManagedAccess, dev);
  s.concurrentAccess = concurrent != 0;
  if (s.chip < 75) {
    s.error = "the GPU, " + s.device +
              ", is older than compute capability 7.5 (Turing), the oldest "
              "nnc compiles for";
    return;
  }
  s.ready = true;
}

/// Ends the program saying why: generated code has no way to report an
/// error, and running on without its kernels would return wrong numbers.
[[noreturn]] void fatal(const std::string &why) {
  std::fprintf(stderr, "nnc: this model was compiled with --target=cuda: %s\n",
               why.c_str());
  std::exit(1);
}

/// The driver, its context current on this thread (any thread may call
/// compiled code, allocate or free); exits when there is no device.
Driver &driver() {
  State &s = state();
  if (nnc_cuda_init() != 0)
    fatal(nnc_last_error());
  s.cu.ctxSetCurrent(s.ctx);
  return s.cu;
}

void check(CUresult r, const char *what) {
  if (r == kSuccess)
    return;
  std::fprintf(stderr, "nnc: CUDA error in %s: %s\n", what,
               describe(state().cu, r).c_str());
  std::exit(1);
}

/// The calling thread's stream, created at its first use and kept: the
/// generated code asks for one where a function starts launching, and
/// creating a stream costs more than a small kernel runs; a thread's
/// functions run one after another anyway.
CUstream threadStream() {
  thread_local CUstream stream = nullptr;
  Driver &cu = driver();
  if (!stream)
    check(cu.streamCreate(&stream, /*CU_STREAM_NON_BLOCKING=*/1),
          "creating a stream");
  return stream;
}
} // namespace

extern "C" int nnc_cuda_init(void) {
  State &s = state();
  bool opened = false;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    if (!s.tried) {
      open(s);
      opened = s.ready;
    }
    if (!s.ready)
      return nnc_set_error("no CUDA device: %s", s.error.c_str());
    if (!s.loadError.empty())
      return nnc_set_error("%s", s.loadError.c_str());
  }
  // Host blocks pooled before the device opened would reach kernels.
  if (opened)
    nnc_buffer_pool_release();
  return 0;
}

extern "C" const char *nnc_cuda_device(void) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.ready ? s.device.c_str() : nullptr;
}

extern "C" int nnc_cuda_compute_capability(void) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.ready ? s.chip : 0;
}

bool nnc::deviceMemoryInUse() { return state().ready; }

bool nnc::deviceOverlapsHost() {
  State &s = state();
  return s.ready && s.concurrentAccess;
}

void nnc::devicePrefetch(const void *p, size_t bytes) {
  State &s = state();
  if (!s.ready || !s.concurrentAccess || !s.cu.memPrefetchAsync || !p || !bytes)
    return;
  // On the default stream: the generated code's streams do not wait for
  // it, and a loader's thread gets no stream of its own to leave behind.
  // Only an optimisation (the kernels would fault the pages in): a failure
  // is said once and prefetching stops; it never ends the program from the
  // loader's thread.
  static std::atomic<bool> failed{false};
  if (failed)
    return;
  Driver &cu = driver();
  CUresult r = cu.memPrefetchAsync(reinterpret_cast<CUdeviceptr>(p), bytes,
                                   s.dev, nullptr);
  if (r == kSuccess)
    r = cu.streamSynchronize(nullptr);
  if (r != kSuccess && !failed.exchange(true))
    std::fprintf(stderr,
                 "nnc: warning: moving batches to the GPU ahead failed (%s); "
                 "the kernels will fetch them\n",
                 describe(cu, r).c_str());
}

void *nnc::deviceAlloc(size_t bytes) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  CUdeviceptr p = 0;
  if (!s.ready || s.cu.ctxSetCurrent(s.ctx) != kSuccess ||
      s.cu.memAllocManaged(&p, bytes ? bytes : 1, kMemAttachGlobal) != kSuccess)
    return nullptr;
  s.managed.insert(reinterpret_cast<void *>(p));
  return reinterpret_cast<void *>(p);
}

bool nnc::deviceFree(void *p) {
  State &s = state();
  if (!p || !s.ready)
    return false;
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.managed.erase(p))
    return false;
  s.cu.ctxSetCurrent(s.ctx);
  CUresult r = s.cu.memFree(reinterpret_cast<CUdeviceptr>(p));
  if (r != kSuccess) // a kernel's earlier fault, reported again here
    std::fprintf(stderr, "nnc: CUDA error freeing a buffer: %s\n",
                 describe(s.cu, r).c_str());
  return true;
}

void *nnc::systemAlloc(size_t bytes) {
  if (deviceMemoryInUse())
    return deviceAlloc(bytes);
  return std::aligned_alloc(64, (bytes + 63) / 64 * 64);
}

void nnc::systemFree(void *p) {
  if (!deviceFree(p))
    std::free(p);
}

// The functions gpu-to-llvm's code calls (signatures of MLIR 22's
// CudaRuntimeWrappers). The generated code queues its launches on a stream
// and waits for them where the host needs their results (gpu-async-region):
// once per step, at its end.
extern "C" {
void *mgpuModuleLoad(void *data, size_t) {
  // Runs as a constructor when a program or library loads: without a
  // device, or when the driver cannot load the kernels (a GPU older than
  // --gpu-arch), it leaves the module null and remembers why; the first
  // launch, and nnc_cuda_init (a library's _create), say so. A program's
  // --help still works.
  if (nnc_cuda_init() != 0)
    return nullptr;
  State &s = state();
  CUmodule m = nullptr;
  CUresult r = driver().moduleLoadData(&m, data);
  if (r == kSuccess)
    return m;
  std::lock_guard<std::mutex> lock(s.mutex);
  s.loadError = "the GPU (" + s.device +
                ") cannot load the kernels: " + describe(s.cu, r) +
                " (a GPU older than the chip they were compiled for? see "
                "--gpu-arch)";
  return nullptr;
}

void *mgpuModuleLoadJIT(void *ptx, int) {
  // A PTX image is null-terminated text; the driver compiles it for the GPU.
  return mgpuModuleLoad(ptx, 0);
}

void mgpuModuleUnload(void *module) {
  State &s = state();
  if (s.ready && module) {
    s.cu.ctxSetCurrent(s.ctx);
    s.cu.moduleUnload(static_cast<CUmodule>(module));
  }
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  // Exits, saying why, without a device or when the kernels did not load.
  Driver &cu = driver();
  if (!module)
    fatal("the kernels were not loaded");
  CUfunction f = nullptr;
  check(cu.moduleGetFunction(&f, static_cast<CUmodule>(module), name), name);
  return f;
}

void mgpuLaunchKernel(void *function, intptr_t gx, intptr_t gy, intptr_t gz,
                      intptr_t bx, intptr_t by, intptr_t bz, int32_t smem,
                      void *stream, void **params, void **extra, size_t) {
  if (gx <= 0 || gy <= 0 || gz <= 0)
    return; // an empty loop (a dimension of size 0): nothing to run
  if (gx > INT32_MAX || gy > 65535 || gz > 65535)
    fatal("a kernel's grid of " + std::to_string(gx) + " x " +
          std::to_string(gy) + " x " + std::to_string(gz) +
          " blocks is beyond the GPU's limits");
  check(driver().launchKernel(static_cast<CUfunction>(function), gx, gy, gz,
                              bx, by, bz, smem, static_cast<CUstream>(stream),
                              params, extra),
        "a kernel launch");
}

// The generated code creates a stream where a function starts launching
// and destroys it after waiting for the last launch: the thread's own.
void *mgpuStreamCreate() { return threadStream(); }

void mgpuStreamDestroy(void *) {}

void mgpuStreamSynchronize(void *stream) {
  check(driver().streamSynchronize(static_cast<CUstream>(stream)),
        "the GPU's work (a kernel launched since the last wait)");
}

void *mgpuMemAlloc(uint64_t bytes, void *, bool) {
  void *p = nnc::deviceAlloc(bytes);
  if (!p) {
    std::fprintf(stderr, "nnc: out of GPU memory allocating %llu bytes\n",
                 (unsigned long long)bytes);
    std::exit(1);
  }
  return p;
}

void mgpuMemFree(void *p, void *) { nnc::deviceFree(p); }

void mgpuMemcpy(void *dst, void *src, size_t bytes, void *) {
  check(driver().memcpy(reinterpret_cast<CUdeviceptr>(dst),
                        reinterpret_cast<CUdeviceptr>(src), bytes),
        "a copy");
}

void mgpuMemset32(void *dst, unsigned value, size_t count, void *) {
  check(driver().memsetD32(reinterpret_cast<CUdeviceptr>(dst), value, count),
        "a memset");
}

void mgpuMemset16(void *dst, unsigned short value, size_t count, void *) {
  check(driver().memsetD16(reinterpret_cast<CUdeviceptr>(dst), value, count),
        "a memset");
}

void mgpuSetDefaultDevice(int32_t) {}
}
