//===- ElabCheckpoint.cpp - Model instances from a checkpoint -------------===//
//
// `let m = Mlp() from "mlp.safetensors"` in a main block, or in a model
// (whose training then starts from the file: fine-tuning, an imported
// model's weights): the instance's parameters and running statistics are
// read from the file (by their path below the instance, `dense_1.w`, as
// training writes them) instead of their initializers. Names, dtypes and shapes are checked here against
// the file's header, with the error at the `from`; a file that does not
// exist yet (trained later) is a warning of `nnc check` and an error of
// `nnc run`, like a missing data file. The file is relative to the working
// directory, like the checkpoints `nnc run` writes. A tensor is found by
// its path below the instance (`dense_1.w`) or below the instance's name
// (`gen.dense_1.w`, as a custom step's checkpoint of several models has it).
//
//===----------------------------------------------------------------------===//
#include "sema/Elaborator.h"

#include "llvm/Support/FileSystem.h"

using namespace nnc;

bool Elaborator::bindCheckpoint(const LetStmt &let, Value &instance,
                                Env &env) {
  llvm::SMLoc at = let.checkpoint->getLoc();
  if (instance.kind != Value::Instance || instance.inst->applied ||
      !instance.inst->decl) {
    error(at, "'from' needs a new model instance, e.g. 'let m = Mlp() from "
              "\"mlp.safetensors\"'; got " +
                  instance.describe());
    return false;
  }
  Result path = eval(let.checkpoint.get(), env);
  if (!path)
    return false;
  if (path->kind != Value::String) {
    error(at, "'from' needs the checkpoint's file name (a string); got " +
                  path->describe());
    return false;
  }
  // Relative to the working directory, where `nnc run` writes the
  // checkpoints of train blocks.
  std::string file = path->s;
  InstanceRT &inst = *instance.inst;
  inst.checkpoint = file;
  inst.checkpointLoc = at;
  if (!llvm::sys::fs::exists(file)) {
    program.missingData.push_back({file, at});
    return true;
  }
  std::string why;
  if (!readCheckpointHeader(file, inst.checkpointTensors, why)) {
    error(at, "cannot read checkpoint '" + file + "': " + why);
    return false;
  }
  return true;
}

bool Elaborator::checkpointInit(
    const std::string &name, const TensorType &type,
    std::vector<std::pair<std::string, Attr>> &attrs) {
  // The nearest enclosing instance with a checkpoint, and the path of the
  // parameter below it.
  size_t owner = ctx.size();
  for (size_t k = ctx.size(); k-- > 0;)
    if (!ctx[k]->checkpoint.empty()) {
      owner = k;
      break;
    }
  if (owner == ctx.size())
    return true;
  std::string path;
  for (size_t k = owner + 1; k < ctx.size(); ++k)
    if (!ctx[k]->info->isBuiltin && !ctx[k]->pathless)
      path += ctx[k]->info->name + ".";
  path += name;
  InstanceRT &inst = *ctx[owner];
  if (inst.checkpointReported)
    return false;
  // A checkpoint of a custom train step holds several models, each under
  // its name there (`gen.dense_1.w`): an instance named alike finds its own.
  std::string alt = inst.info->name + "." + path;
  if (!inst.checkpointTensors.count(path) &&
      inst.checkpointTensors.count(alt))
    path = alt;
  if (!inst.checkpointTensors.empty() ||
      llvm::sys::fs::exists(inst.checkpoint)) {
    auto it = inst.checkpointTensors.find(path);
    if (it == inst.checkpointTensors.end()) {
      inst.checkpointReported = true;
      // A custom step's checkpoint names each instance (`net.dense_1.w`):
      // say under which name this parameter is there.
      std::string under;
      for (const auto &entry : inst.checkpointTensors) {
        llvm::StringRef held(entry.first);
        if (!held.ends_with("." + path))
          continue;
        llvm::StringRef owner = held.drop_back(path.size() + 1);
        if (!owner.contains('.')) { // an instance's name, not a path
          under = owner.str();
          break;
        }
      }
      error(inst.checkpointLoc,
            "checkpoint '" + inst.checkpoint + "' has no tensor '" + path +
                "' (" + type.str() + " of '" + inst.info->name + "'); " +
                (under.empty()
                     ? std::string("is it the checkpoint of another model?")
                     : "it holds '" + under + "." + path +
                           "': a custom step's instance '" + under +
                           "'; name this one '" + under + "' (let " + under +
                           " = ... from ...)"));
      return false;
    }
    std::string mismatch = checkpointMismatch(it->second, type);
    if (!mismatch.empty()) {
      inst.checkpointReported = true;
      error(inst.checkpointLoc, "tensor '" + path + "' " + mismatch +
                                    " but '" + inst.info->name +
                                    "' expects " + type.str());
      return false;
    }
  }
  Attr init;
  init.kind = Attr::String;
  init.s = "checkpoint:" + path + "@" + inst.checkpoint;
  attrs.assign({{"init", init}});
  return true;
}
