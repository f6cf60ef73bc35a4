//===- Checkpoint.h - How a checkpoint misfits a model ----------*- C++ -*-===//
//
// `nnc predict`, `nnc run --resume` and a library's load name each tensor
// of a checkpoint that does not fit the model the same way: its dtype and
// shape in the file and in the model, and what the file holds.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_RUNTIME_CHECKPOINT_H
#define NNC_RUNTIME_CHECKPOINT_H

#include "nnc/runtime.h"

#include <map>
#include <string>

namespace nnc {

/// `f32[784, 10]`.
std::string typeText(const nnc_tensor &t);

/// "'w' is missing" (file null) or "'w' is f32[2, 3], the model has
/// f32[3, 3]".
std::string misfitText(const char *name, const nnc_tensor *file,
                       const nnc_tensor &model);

/// "(it holds a, b, c, ...)": the first names in the file.
std::string holdsText(const nnc_named_tensors &file);

/// Where a checkpoint written to `path` goes: `path`, or the file a
/// symbolic link at `path` points to (followed, never replaced). -1 (the
/// error set) if that is something other than a regular file or a new
/// path: a folder, a device, a FIFO, a dangling link.
int checkpointTarget(const char *path, std::string &target);

/// The safetensors files `checkpoint:` initializers read, each once.
struct InitFiles {
  std::map<std::string, nnc_named_tensors> files;
  InitFiles() = default;
  InitFiles(const InitFiles &) = delete;
  InitFiles &operator=(const InitFiles &) = delete;
  ~InitFiles();
};

/// Fills `t` (allocated with `arg`'s dtype and shape) as `arg.init` says:
/// an initializer (`he_uniform`, `zeros`, ...) drawn from `seed` and the
/// argument's name, or "checkpoint:NAME@FILE", the tensor NAME of a
/// safetensors file (a parameter of `let m = Model() from "FILE"`, in a
/// main block or a model that is trained), checked against `arg`. Nothing
/// without an init. -1 with the error set.
int initArgument(const nnc_model_arg &arg, uint64_t seed, InitFiles &files,
                 nnc_tensor &t);

} // namespace nnc

#endif
