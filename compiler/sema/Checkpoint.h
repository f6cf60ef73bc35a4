//===- Checkpoint.h - What a safetensors checkpoint holds -------*- C++ -*-===//
//
// `let m = Mlp() from "mlp.safetensors"` in a main block: sema reads the
// checkpoint's header (names, dtypes, shapes; not the data) so that a
// parameter the file lacks, or one of another shape, is an error at that
// line before anything is compiled. The runtime reads the values.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_SEMA_CHECKPOINT_H
#define NNC_SEMA_CHECKPOINT_H

#include "sema/Types.h"

#include <map>
#include <string>
#include <vector>

namespace nnc {

/// One tensor of a checkpoint: its dtype ("F32", "I64", ...) and shape.
struct CheckpointEntry {
  std::string dtype;
  std::vector<int64_t> shape;
};

/// Reads the header of a safetensors file; false with the reason in
/// `error` (unreadable, not safetensors).
bool readCheckpointHeader(const std::string &path,
                          std::map<std::string, CheckpointEntry> &out,
                          std::string &error);

/// "" if `e` can hold a tensor of `type`, else why not ("is f32[784, 32]
/// in the checkpoint").
std::string checkpointMismatch(const CheckpointEntry &e, const TensorType &type);

} // namespace nnc

#endif // NNC_SEMA_CHECKPOINT_H
