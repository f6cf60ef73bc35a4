/* A stand-in for libcuda.so.1 (loaded through NNC_CUDA_DRIVER) that lets
 * the tests follow the host side of --target=cuda code on machines without
 * a GPU: which image is loaded, which kernels are launched with what grid,
 * and where buffers come from. Kernels do not run. FAKE_CUDA=nodevice
 * makes cuInit fail as the real driver does without a GPU; FAKE_CC=7.0
 * sets the GPU's compute capability (default 8.0), FAKE_GPUS their number
 * (default 1), FAKE_CONCURRENT=0 says the host may not touch managed
 * memory while kernels run (as under WSL). Managed memory starts zeroed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
static const char *mode(void) {
  const char *m = getenv("FAKE_CUDA");
  return m ? m : "";
}

CUresult cuInit(unsigned flags) {
  (void)flags;
  return strcmp(mode(), "nodevice") == 0 ? 100 : 0;
}
CUresult cuGetErrorString(CUresult r, const char **s) {
  *s = r == 100 ? "no CUDA-capable device is detected" : "fake error";
  return 0;
}
CUresult cuDeviceGetCount(int *n) {
  const char *gpus = getenv("FAKE_GPUS");
  *n = gpus ? atoi(gpus) : 1;
  return 0;
}
CUresult cuDeviceGet(int *d, int k) {
  *d = k;
  return 0;
}
CUresult cuDeviceGetName(char *buf, int len, int d) {
  (void)d;
  snprintf(buf, (size_t)len, "Fake GPU");
  return 0;
}
/* Compute capability 8.0, or FAKE_CC (e.g. "7.0"). */
CUresult cuDeviceGetAttribute(int *v, int attr, int d) {
  const char *cc = getenv("FAKE_CC");
  int major = 8, minor = 0;
  (void)d;
  if (cc)
    sscanf(cc, "%d.%d", &major, &minor);
  const char *concurrent = getenv("FAKE_CONCURRENT");
  *v = attr == 75   ? major
       : attr == 76 ? minor
       : attr == 89 ? !concurrent || strcmp(concurrent, "0") != 0
                    : 0;
  return 0;
}
CUresult cuDevicePrimaryCtxRetain(void **ctx, int d) {
  fprintf(stderr, "fake-cuda: context on GPU %d\n", d);
  *ctx = (void *)16;
  return 0;
}
CUresult cuCtxSetCurrent(void *ctx) {
  (void)ctx;
  return 0;
}
CUresult cuModuleLoadData(void **m, const void *image) {
  uint32_t magic;
  memcpy(&magic, image, sizeof magic);
  fprintf(stderr, "fake-cuda: load %s\n",
          magic == 0xBA55ED50u                      ? "fatbin"
          : strstr((const char *)image, ".version") ? "ptx"
                                                    : "unknown image");
  *m = (void *)32;
  return 0;
}
CUresult cuModuleUnload(void *m) {
  (void)m;
  return 0;
}
/* Kernel names, kept here (the caller never frees a function handle). */
static char names[1024][128];
static int named;
CUresult cuModuleGetFunction(void **f, void *m, const char *name) {
  (void)m;
  for (int k = 0; k < named; ++k)
    if (strcmp(names[k], name) == 0) {
      *f = names[k];
      return 0;
    }
  if (named == 1024)
    return 1;
  snprintf(names[named], sizeof names[named], "%s", name);
  *f = names[named++];
  return 0;
}
CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz, unsigned smem,
                        void *stream, void **params, void **extra) {
  (void)gy;
  (void)gz;
  (void)by;
  (void)bz;
  (void)smem;
  (void)stream;
  (void)params;
  (void)extra;
  fprintf(stderr, "fake-cuda: launch %s grid %u block %u\n", (char *)f, gx, bx);
  return 0;
}
CUresult cuStreamCreate(void **s, unsigned flags) {
  (void)flags;
  *s = (void *)48;
  return 0;
}
CUresult cuStreamSynchronize(void *s) {
  (void)s;
  fprintf(stderr, "fake-cuda: wait\n");
  return 0;
}
CUresult cuStreamDestroy_v2(void *s) {
  (void)s;
  return 0;
}
CUresult cuMemPrefetchAsync(unsigned long long p, size_t n, int d, void *s) {
  (void)p;
  (void)s;
  fprintf(stderr, "fake-cuda: prefetch %zu bytes to GPU %d\n", n, d);
  return 0;
}
static long live;
CUresult cuMemAllocManaged(unsigned long long *p, size_t n, unsigned flags) {
  (void)flags;
  size_t size = (n + 255) / 256 * 256;
  void *block = aligned_alloc(256, size);
  if (block)
    memset(block, 0, size);
  *p = (unsigned long long)(uintptr_t)block;
  ++live;
  return *p ? 0 : 2;
}
CUresult cuMemFree_v2(unsigned long long p) {
  free((void *)(uintptr_t)p);
  --live;
  return 0;
}
CUresult cuMemcpy(unsigned long long d, unsigned long long s, size_t n) {
  memcpy((void *)(uintptr_t)d, (void *)(uintptr_t)s, n);
  return 0;
}
CUresult cuMemsetD32_v2(unsigned long long d, unsigned v, size_t n) {
  for (size_t k = 0; k < n; ++k)
    ((unsigned *)(uintptr_t)d)[k] = v;
  return 0;
}
CUresult cuMemsetD16_v2(unsigned long long d, unsigned short v, size_t n) {
  for (size_t k = 0; k < n; ++k)
    ((unsigned short *)(uintptr_t)d)[k] = v;
  return 0;
}
__attribute__((destructor)) static void report(void) {
  if (getenv("FAKE_CUDA_REPORT"))
    fprintf(stderr, "fake-cuda: %ld managed buffers left\n", live);
}
