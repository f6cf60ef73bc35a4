//===- Sources.h - Data sets and parameter seeds (runtime-internal) -------===//
//
// Shared by the program runner (Model.cpp) and the training loop
// (Train.cpp): how a data-set name from the compiler ("fashion_mnist:test")
// is loaded, how its fields are found, and how a parameter's seed is
// derived from its name, so that both initialise a model identically.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_RUNTIME_SOURCES_H
#define NNC_RUNTIME_SOURCES_H

#include "nnc/runtime.h"

#include <string>

namespace nnc {

/// FNV-1a of a parameter's name: its seed is `seed ^ hashName(name)`.
uint64_t hashName(const char *s);
/// Loads data set `set` ("fashion_mnist:train").
int openDataSet(const std::string &set, nnc_dataset &out);
/// The tensor of `field` ("image", "label"); null (error set) if none.
const nnc_tensor *dataField(const nnc_dataset &ds, const std::string &set,
                            const std::string &field);

} // namespace nnc

#endif // NNC_RUNTIME_SOURCES_H
