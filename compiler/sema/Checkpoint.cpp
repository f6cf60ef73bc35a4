//===- Checkpoint.cpp - Reading a safetensors header ----------------------===//
#include "sema/Checkpoint.h"

#include "llvm/Support/MemoryBuffer.h"

#include <nlohmann/json.hpp>

#include <cstring>

using namespace nnc;

bool nnc::readCheckpointHeader(const std::string &path,
                               std::map<std::string, CheckpointEntry> &out,
                               std::string &error) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf) {
    error = buf.getError().message();
    return false;
  }
  llvm::StringRef data = (*buf)->getBuffer();
  uint64_t n = 0;
  if (data.size() < 8 ||
      (std::memcpy(&n, data.data(), 8), n > data.size() - 8)) {
    error = "not a safetensors file (its header is cut short)";
    return false;
  }
  llvm::StringRef text = data.substr(8, n);
  nlohmann::json header = nlohmann::json::parse(text.begin(), text.end(),
                                                nullptr, /*exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) {
    error = "not a safetensors file (its header is not JSON)";
    return false;
  }
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__")
      continue;
    const nlohmann::json &e = it.value();
    if (!e.is_object() || !e.contains("dtype") || !e["dtype"].is_string() ||
        !e.contains("shape") || !e["shape"].is_array()) {
      error = "tensor '" + it.key() + "' has no dtype or shape";
      return false;
    }
    CheckpointEntry entry;
    entry.dtype = e["dtype"].get<std::string>();
    for (const nlohmann::json &d : e["shape"]) {
      if (!d.is_number_integer()) {
        error = "tensor '" + it.key() + "' has a shape that is not integers";
        return false;
      }
      entry.shape.push_back(d.get<int64_t>());
    }
    out[it.key()] = std::move(entry);
  }
  return true;
}

std::string nnc::checkpointMismatch(const CheckpointEntry &e,
                                    const TensorType &type) {
  static const std::map<std::string, DType> kDTypes = {
      {"F32", DType::F32}, {"F64", DType::F64},  {"I32", DType::I32},
      {"I64", DType::I64}, {"BOOL", DType::Bool}};
  auto dt = kDTypes.find(e.dtype);
  bool same = dt != kDTypes.end() && dt->second == type.dtype &&
              e.shape.size() == type.rank();
  for (size_t d = 0; same && d < e.shape.size(); ++d)
    same = type.dims[d].isConst() && type.dims[d].value == e.shape[d];
  if (same)
    return "";
  std::string shape;
  for (int64_t d : e.shape)
    shape += (shape.empty() ? "" : ", ") + std::to_string(d);
  std::string dtype = dt == kDTypes.end() ? e.dtype : dtypeName(dt->second).str();
  return "is " + dtype + "[" + shape + "] in the checkpoint";
}
