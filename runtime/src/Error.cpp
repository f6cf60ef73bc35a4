//===- Error.cpp - Per-thread error messages of the runtime ---------------===//
//
// Runtime functions report failures by returning -1 and leaving a message
// here; the driver (or an embedding app) prints it. No exceptions cross
// the C ABI.
//
//===----------------------------------------------------------------------===//
#include "nnc/runtime.h"

#include <cstdarg>
#include <cstdio>
#include <string>

static thread_local std::string lastError;

extern "C" const char *nnc_last_error(void) { return lastError.c_str(); }

extern "C" void nnc_clear_error(void) { lastError.clear(); }

extern "C" int nnc_set_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char small[512];
  va_list copy;
  va_copy(copy, ap);
  int n = std::vsnprintf(small, sizeof small, fmt, copy);
  va_end(copy);
  if (n < 0) {
    lastError = fmt;
  } else if (static_cast<size_t>(n) < sizeof small) {
    lastError.assign(small, n);
  } else {
    lastError.resize(n + 1);
    std::vsnprintf(&lastError[0], n + 1, fmt, ap);
    lastError.resize(n);
  }
  va_end(ap);
  return -1;
}
