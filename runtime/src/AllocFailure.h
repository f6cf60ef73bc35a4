//===- AllocFailure.h - Memory that generated code cannot get ---*- C++ -*-===//
//
// Generated code asks the runtime for its workspace, pool blocks and kernel
// scratch, and has no way to fail: it would write through a null pointer.
// So a call into generated code runs under a guard (callGuarded): an
// allocation that fails inside it jumps back to the guard, which returns
// -1 with the reason in nnc_last_error(), and a library returns that to
// the application instead of ending the process. Outside a guard (or on an
// OpenMP worker thread, which cannot be left that way) the failure is one
// clear message and exit status 1. Only generated code and plain C frames
// lie between the guard and the failing allocation, so the jump skips no
// destructor.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_RUNTIME_ALLOCFAILURE_H
#define NNC_RUNTIME_ALLOCFAILURE_H

#include <cstddef>

namespace nnc {

/// Calls `invoke(ctx, results, args)` (a compiled function's packed
/// interface); returns 0, or -1 when memory it needed could not be had.
int callGuarded(void (*invoke)(void *, void *, void **), void *ctx,
                void *results, void **args);

/// `bytes` for `what` could not be allocated: leaves through the guard of
/// this thread, or prints and exits.
[[noreturn]] void allocationFailed(const char *what, size_t bytes);

} // namespace nnc

#endif
