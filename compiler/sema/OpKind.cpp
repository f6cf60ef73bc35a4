//===- OpKind.cpp - Names of the graph's node kinds -----------------------===//
#include "sema/OpKind.h"

#include "llvm/ADT/STLExtras.h"

#include <cassert>

using namespace nnc;

static const char *const kNames[] = {
    "input",        "data",       "param", "state",      "hparam",
    "const",        "for",        "loop_index", "loop_carried",
    "loop_result",  "scan",       "scan_slice", "grad", "arange",
#define NN_OP_KIND(ENUM, NAME) NAME,
#include "dialect/NNOpKinds.def"
};

constexpr unsigned kNumKinds = unsigned(OpKind::Arange) + 1
#define NN_OP_KIND(ENUM, NAME) +1
#include "dialect/NNOpKinds.def"
    ;
static_assert(std::size(kNames) == kNumKinds, "one name per OpKind");

const char *nnc::opKindName(OpKind k) {
  assert(unsigned(k) < kNumKinds && "not an OpKind");
  return kNames[unsigned(k)];
}

std::optional<OpKind> nnc::opKindOf(llvm::StringRef name) {
  for (unsigned k = unsigned(OpKind::Arange) + 1; k < std::size(kNames); ++k)
    if (name == kNames[k])
      return OpKind(k);
  return std::nullopt;
}
