//===- AllocFailure.cpp - Memory that generated code cannot get -----------===//
//
// The guard around calls into generated code (see AllocFailure.h).
//
//===----------------------------------------------------------------------===//
#include "AllocFailure.h"
#include "nnc/runtime.h"

#include <csetjmp>
#include <cstdio>
#include <cstdlib>

// Present when the program links an OpenMP runtime (code built with
// --threads N); a jump out of a parallel region would leave its team
// waiting.
extern "C" int omp_in_parallel(void) __attribute__((weak));

namespace {
thread_local std::jmp_buf *guard = nullptr;

bool inParallelRegion() { return omp_in_parallel && omp_in_parallel(); }
} // namespace

int nnc::callGuarded(void (*invoke)(void *, void *, void **), void *ctx,
                     void *results, void **args) {
  std::jmp_buf env;
  std::jmp_buf *outer = guard;
  if (setjmp(env)) {
    guard = outer;
    return -1; // the error is set
  }
  guard = &env;
  invoke(ctx, results, args);
  guard = outer;
  return 0;
}

void nnc::allocationFailed(const char *what, size_t bytes) {
  const char *hint = "a smaller batch needs less";
  if (guard && !inParallelRegion()) {
    nnc_set_error("out of memory: %s of %zu bytes could not be allocated (%s)",
                  what, bytes, hint);
    std::longjmp(*guard, 1);
  }
  std::fprintf(stderr,
               "nnc: error: out of memory: %s of %zu bytes could not be "
               "allocated (%s)\n",
               what, bytes, hint);
  std::exit(1);
}

#ifdef NNC_SANITIZE
// The sanitizer build (docs/testing.md): an allocation that cannot be had
// returns null, as it does without ASan, so that the errors above are
// what the tests see (ASan would otherwise abort on any request beyond
// its 1 TiB limit). Every program that links the runtime gets this.
extern "C" const char *__asan_default_options() {
  return "allocator_may_return_null=1";
}
#endif
