//===- Weights.cpp - Training and saving instances in the REPL ------------===//
//
// `:train` runs a model's train block (the compiled train step and the
// runtime's training loop of `nnc run`) on a session instance: its
// parameters start from the values the session holds and end there, with
// the optimizer state and step count kept for the next `:train`. The
// train block's names (`dense_1.w`) are the instance's below its name
// (`m.dense_1.w`). `:save` and `:load-weights` move an instance's values
// to and from safetensors files under the train block's names, the names
// `nnc predict --checkpoint` and `let m = Mlp() from "..."` read.
//
//===----------------------------------------------------------------------===//
#include "driver/Train.h"
#include "repl/Session.h"
#include "support/Diagnostics.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <set>

using namespace nnc;

static void weightsError(const llvm::Twine &msg) {
  llvm::SourceMgr sm;
  DiagnosticEngine(sm).error(msg);
}

/// Copies `t` (with its own buffer) into `dst` under `name`, replacing an
/// entry of that name.
static int copyInto(nnc_named_tensors &dst, const std::string &name,
                    const nnc_tensor &t) {
  nnc_tensor c = t;
  c.data = nullptr;
  if (nnc_tensor_alloc(&c))
    return -1;
  std::memcpy(c.data, t.data,
              size_t(nnc_tensor_numel(&t)) * nnc_dtype_size(t.dtype));
  int64_t k = nnc_named_find(&dst, name.c_str());
  if (k >= 0)
    nnc_named_remove(&dst, k);
  return nnc_named_append(&dst, name.c_str(), c);
}

std::string Session::instanceFor(llvm::StringRef name, llvm::StringRef what) {
  std::vector<std::string> candidates;
  for (const Replayed &r : replayed)
    if (!r.model.empty() && (name.empty() || r.name == name))
      candidates.push_back(r.name);
  if (candidates.size() == 1)
    return candidates[0];
  if (!name.empty())
    weightsError("'" + name + "' is not a model instance of this session");
  else if (candidates.empty())
    weightsError(what + " needs a model instance: `let m = Mlp()` makes one");
  else
    weightsError("several instances (" + llvm::join(candidates, ", ") +
                 "): name one, e.g. " + what + " ... " + candidates[0]);
  return "";
}

bool Session::modelParams(
    const std::string &model,
    std::vector<std::pair<std::string, TensorType>> &out) {
  llvm::SourceMgr sm;
  DiagnosticEngine diags(sm);
  auto program = check(nullptr, sm, diags, model);
  if (!program)
    return false;
  if (!program->graph) {
    diags.error("'" + model + "' is not a model");
    return false;
  }
  for (const NodePtr &p : program->graph->params)
    out.push_back({p->name, p->type});
  return true;
}

/// The instance `:train` trains: `name` (an instance, or a model whose
/// one instance it is), or an instance of the newest train block's model,
/// made when there is none. "" (reported) if none fits.
static bool parseTrainArgs(llvm::StringRef args, std::string &name,
                           TrainOptions &to) {
  llvm::SmallVector<llvm::StringRef, 4> words;
  args.split(words, ' ', -1, false);
  size_t k = 0;
  if (k < words.size() && words[k] != "steps" && words[k] != "epochs")
    name = words[k++].str();
  while (k < words.size()) {
    int64_t n = 0;
    if (k + 1 >= words.size() || words[k + 1].getAsInteger(10, n) || n <= 0 ||
        (words[k] != "steps" && words[k] != "epochs")) {
      weightsError(":train [NAME] [steps N | epochs E], with N and E "
                   "positive");
      return false;
    }
    if (words[k] == "steps")
      to.maxSteps = n;
    else
      to.epochs = n;
    k += 2;
  }
  return true;
}

bool Session::cmdTrain(llvm::StringRef args) {
  std::string name;
  TrainOptions to;
  if (!parseTrainArgs(args, name, to))
    return false;
  std::string instance;
  std::string model = name.empty() ? std::string() : modelOf(name, &instance);
  if (name.empty()) {
    if (trainModels.empty()) {
      weightsError("no train block: define one first, e.g. `train Mlp on "
                   "fashion_mnist(\"train\") { ... }`");
      return false;
    }
    model = trainModels.back();
  } else if (model.empty()) {
    weightsError("'" + name + "' is neither a model nor an instance of one");
    return false;
  }
  if (instance.empty()) {
    std::vector<std::string> of;
    for (const Replayed &r : replayed)
      if (r.model == model)
        of.push_back(r.name);
    if (of.size() > 1) {
      weightsError("several instances of " + model + " (" +
                   llvm::join(of, ", ") + "): `:train " + of[0] + "`");
      return false;
    }
    if (of.empty()) {
      instance = llvm::StringRef(model).lower();
      if (!eval("let " + instance + " = " + model + "()"))
        return false;
    } else {
      instance = of[0];
    }
  }
  llvm::SourceMgr sm;
  DiagnosticEngine diags(sm);
  ReplRequest req;
  req.trainModel = model;
  auto program = check(&req, sm, diags, model);
  if (!program)
    return false;
  if (!program->train || program->train->modelName != model) {
    diags.error("no train block trains '" + model + "': define `train " +
                model + " on DATA { ... }`");
    return false;
  }
  if (!program->train->loss.unsupported.empty()) {
    diags.error(program->train->loss.unsupportedLoc,
                program->train->loss.unsupported);
    return false;
  }
  for (const auto &[path, loc] : program->missingData)
    diags.error(loc, "data file '" + path + "' does not exist");
  if (diags.hadError())
    return false;
  // The instance's values under the train block's names, and what earlier
  // `:train`s of it left (optimizer state, counts).
  nnc_named_tensors state{};
  std::string below = instance + ".";
  for (int64_t k = 0; k < values.count; ++k)
    if (llvm::StringRef(values.names[k]).starts_with(below))
      copyInto(state, values.names[k] + below.size(), values.tensors[k]);
  auto &kept = trainState[instance];
  for (int64_t k = 0; k < kept.count; ++k)
    copyInto(state, kept.names[k], kept.tensors[k]);
  to.state = &state;
  to.codegen = opts.codegen;
  to.progress = -1;
  llvm::outs().flush();
  int rc = runTraining(*program, to, sm, diags);
  std::set<std::string> params;
  for (const NodePtr &p : program->train->loss.params)
    params.insert(p->name);
  for (int64_t k = 0; k < state.count; ++k)
    copyInto(params.count(state.names[k]) ? values : kept,
             params.count(state.names[k]) ? below + state.names[k]
                                          : std::string(state.names[k]),
             state.tensors[k]);
  nnc_named_free(&state);
  return rc == 0 || rc == 130; // 130: Ctrl-C, the weights reached kept
}

bool Session::cmdSave(llvm::StringRef args) {
  auto [file, name] = args.split(' ');
  name = name.trim();
  if (file.empty()) {
    weightsError(":save needs a file: :save weights.safetensors [NAME]");
    return false;
  }
  std::string instance = instanceFor(name, ":save");
  if (instance.empty())
    return false;
  std::string below = instance + ".";
  std::vector<std::string> names;
  std::vector<nnc_tensor> tensors;
  for (int64_t k = 0; k < values.count; ++k)
    if (llvm::StringRef(values.names[k]).starts_with(below)) {
      names.push_back(values.names[k] + below.size());
      tensors.push_back(values.tensors[k]);
    }
  if (names.empty()) {
    weightsError("'" + instance +
                 "' has no weights yet: apply it once, or "
                 "`:train` it");
    return false;
  }
  std::vector<char *> ptrs;
  for (std::string &n : names)
    ptrs.push_back(&n[0]);
  nnc_named_tensors view{int64_t(names.size()), ptrs.data(), tensors.data()};
  if (nnc_safetensors_save(std::string(file).c_str(), &view)) {
    weightsError(nnc_last_error());
    return false;
  }
  llvm::outs() << "saved " << names.size() << " tensors of '" << instance
               << "' to " << file << "\n";
  return true;
}

/// Checks a file's tensors against a model's parameters: every one present
/// (under its name or below `instance.`) with its dtype and shape; extra
/// tensors may only be optimizer state and training counts.
static std::string
checkWeights(const nnc_named_tensors &file, const std::string &instance,
             const std::vector<std::pair<std::string, TensorType>> &want,
             std::vector<int64_t> &found) {
  std::string problems;
  auto problem = [&](const std::string &p) {
    problems += (problems.empty() ? "" : "; ") + p;
  };
  std::set<int64_t> used;
  for (const auto &[name, type] : want) {
    int64_t k = nnc_named_find(&file, name.c_str());
    if (k < 0)
      k = nnc_named_find(&file, (instance + "." + name).c_str());
    found.push_back(k);
    if (k < 0) {
      problem("'" + name + "' is missing");
      continue;
    }
    used.insert(k);
    std::string have = tensorTypeText(file.tensors[k]);
    if (have != type.str())
      problem("'" + name + "' is " + have + ", the model has " + type.str());
  }
  for (int64_t k = 0; k < file.count; ++k) {
    llvm::StringRef n = file.names[k];
    bool extra = !used.count(k) && !n.starts_with("train.");
    for (const auto &w : want)
      extra &= !n.starts_with(w.first + ".");
    if (extra)
      problem("'" + n.str() + "' is not in the model");
  }
  return problems;
}

bool Session::cmdLoadWeights(llvm::StringRef args) {
  auto [file, name] = args.split(' ');
  name = name.trim();
  if (file.empty()) {
    weightsError(":load-weights needs a file: :load-weights w.safetensors "
                 "[NAME]");
    return false;
  }
  std::string instance = instanceFor(name, ":load-weights");
  if (instance.empty())
    return false;
  std::string model = modelOf(instance);
  std::vector<std::pair<std::string, TensorType>> want;
  if (!modelParams(model, want))
    return false;
  nnc_named_tensors loaded{};
  if (nnc_safetensors_load(std::string(file).c_str(), &loaded)) {
    weightsError(nnc_last_error());
    return false;
  }
  std::vector<int64_t> found;
  std::string problems = checkWeights(loaded, instance, want, found);
  if (!problems.empty()) {
    weightsError("'" + file + "' does not fit model '" + model +
                 "': " + problems);
    nnc_named_free(&loaded);
    return false;
  }
  for (size_t k = 0; k < want.size(); ++k)
    copyInto(values, instance + "." + want[k].first, loaded.tensors[found[k]]);
  nnc_named_free(&loaded);
  // Optimizer state belongs to the old weights.
  auto it = trainState.find(instance);
  if (it != trainState.end()) {
    nnc_named_free(&it->second);
    trainState.erase(it);
  }
  llvm::outs() << "loaded " << want.size() << " tensors into '" << instance
               << "' from " << file << "\n";
  return true;
}
