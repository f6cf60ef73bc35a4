//===- Print.cpp - Printing tensors and timing ----------------------------===//
//
// Tensors print in PyTorch's layout (`tensor([[...], [...]])`, four
// decimals, long dimensions elided with `...`) so that output can be
// compared with a PyTorch session by eye.
//
//===----------------------------------------------------------------------===//
#include "nnc/runtime.h"

#include <chrono>
#include <cstdio>
#include <string>

namespace {
constexpr int64_t kEdge = 3;         ///< items shown at each end when elided
constexpr int64_t kElideOver = 1000; ///< elide tensors larger than this

/// One element as text: floats with four decimals, integers as they are.
using ElementFn = void (*)(std::string &, const void *, int64_t);

void formatRec(std::string &s, const void *base, int64_t at, int32_t rank,
               const int64_t *dims, int32_t level, bool elide, int indent,
               ElementFn element) {
  if (rank == 0) {
    element(s, base, at);
    return;
  }
  int64_t stride = 1;
  for (int32_t k = 1; k < rank; ++k)
    stride *= dims[k];
  s += "[";
  for (int64_t i = 0; i < dims[0]; ++i) {
    if (elide && dims[0] > 2 * kEdge && i == kEdge) {
      s += rank > 1 ? "...,\n" + std::string(indent + 1, ' ') : "..., ";
      i = dims[0] - kEdge;
    }
    formatRec(s, base, at + i * stride, rank - 1, dims + 1, level + 1, elide,
              indent + 1, element);
    if (i + 1 < dims[0])
      s += rank > 1 ? ",\n" + std::string(rank > 2 ? 1 : 0, '\n') +
                          std::string(indent + 1, ' ')
                    : ", ";
  }
  s += "]";
}
template <typename T> void asFloat(std::string &s, const void *p, int64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f",
                static_cast<double>(static_cast<const T *>(p)[i]));
  s += buf;
}

template <typename T> void asInt(std::string &s, const void *p, int64_t i) {
  s += std::to_string(static_cast<long long>(static_cast<const T *>(p)[i]));
}

/// Booleans as PyTorch shows them.
void asBool(std::string &s, const void *p, int64_t i) {
  s += static_cast<const uint8_t *>(p)[i] ? "True" : "False";
}

std::string format(const void *data, int32_t rank, const int64_t *dims,
                   ElementFn element) {
  int64_t n = 1;
  for (int32_t k = 0; k < rank; ++k)
    n *= dims[k];
  std::string s = "tensor(";
  formatRec(s, data, 0, rank, dims, 0, n > kElideOver, 7, element);
  return s + ")";
}
} // namespace

extern "C" void nnc_print_tensor(const nnc_tensor *t) {
  ElementFn fn = t->dtype == NNC_F32   ? asFloat<float>
                 : t->dtype == NNC_F64 ? asFloat<double>
                 : t->dtype == NNC_I32 ? asInt<int32_t>
                 : t->dtype == NNC_I64 ? asInt<int64_t>
                 : t->dtype == NNC_BOOL ? asBool
                                        : asInt<uint8_t>;
  std::printf("%s\n", format(t->data, t->rank, t->dims, fn).c_str());
  std::fflush(stdout);
}

extern "C" size_t nnc_format_f32(char *buf, size_t cap, const float *data,
                                 int32_t rank, const int64_t *dims) {
  std::string s = format(data, rank, dims, asFloat<float>);
  if (cap) {
    size_t m = s.size() < cap - 1 ? s.size() : cap - 1;
    s.copy(buf, m);
    buf[m] = '\0';
  }
  return s.size();
}

extern "C" void nnc_print_f32(const float *data, int32_t rank,
                              const int64_t *dims) {
  size_t need = nnc_format_f32(nullptr, 0, data, rank, dims);
  std::string s(need + 1, '\0');
  nnc_format_f32(&s[0], s.size(), data, rank, dims);
  s.resize(need);
  std::printf("%s\n", s.c_str());
  std::fflush(stdout);
}

extern "C" double nnc_now(void) {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}
