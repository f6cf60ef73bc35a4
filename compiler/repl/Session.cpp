//===- Session.cpp - Evaluating what is typed at `nnc repl` ---------------===//
//
// Definitions (`use`, `layer`, `model`, `fn`, `optimizer`, `train`) join
// the session's sources and are checked at once. Statements are checked
// with the session (sema's checkSession with a ReplRequest), compiled like
// a `main` block by the JIT of `nnc run`, and run with the session's
// values (nnc_program_eval): a parameter the program creates is
// initialised once and kept, so a model instance keeps its weights across
// inputs.
//
//===----------------------------------------------------------------------===//
#include "repl/Session.h"
#include "driver/Runner.h"
#include "parser/Parser.h"
#include "support/Diagnostics.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <set>

using namespace nnc;

std::string nnc::tensorTypeText(const nnc_tensor &t) {
  static const char *names[] = {"f32", "f64", "i32", "i64", "u8", "bool"};
  std::string s = unsigned(t.dtype) < 6 ? names[t.dtype] : "?";
  if (t.rank == 0)
    return s;
  s += "[";
  for (int32_t d = 0; d < t.rank; ++d)
    s += (d ? ", " : "") + std::to_string(t.dims[d]);
  return s + "]";
}

/// The sema type of a runtime tensor (static sizes).
static TensorType typeOf(const nnc_tensor &t) {
  TensorType type;
  switch (t.dtype) {
  case NNC_F64:
    type.dtype = DType::F64;
    break;
  case NNC_I32:
    type.dtype = DType::I32;
    break;
  case NNC_I64:
    type.dtype = DType::I64;
    break;
  case NNC_F32:
    type.dtype = DType::F32;
    break;
  default:
    type.dtype = DType::Bool;
  }
  for (int32_t d = 0; d < t.rank; ++d)
    type.dims.push_back(Dim::constant(t.dims[d]));
  return type;
}

Session::Session(ReplOptions o) : opts(std::move(o)) {}

Session::~Session() {
  nnc_named_free(&values);
  for (auto &kv : trainState)
    nnc_named_free(&kv.second);
}

/// The first word of an input: does it start a definition?
static bool isDefinition(llvm::StringRef text) {
  llvm::StringRef word = text.ltrim().take_while(
      [](char c) { return llvm::isAlnum(c) || c == '_'; });
  return word == "use" || word == "layer" || word == "model" || word == "fn" ||
         word == "optimizer" || word == "train" || word == "main";
}

bool Session::eval(const std::string &input) {
  llvm::StringRef text = llvm::StringRef(input).trim();
  if (text.empty() || text.starts_with("#"))
    return true;
  if (text.starts_with(":"))
    return command(text);
  if (isDefinition(text))
    return define(input);
  if (const nnc_tensor *t = keptValue(text)) {
    std::printf("%s\n", tensorTypeText(*t).c_str());
    nnc_print_tensor(t);
    return true;
  }
  return runStatements(input);
}

const nnc_tensor *Session::keptValue(llvm::StringRef path) const {
  // Only a dotted path: `m.dense_1.w`, a parameter an instance holds.
  if (!path.contains('.') ||
      !llvm::all_of(path, [](char c) {
        return llvm::isAlnum(c) || c == '_' || c == '.';
      }))
    return nullptr;
  int64_t k = nnc_named_find(&values, path.str().c_str());
  return k < 0 ? nullptr : &values.tensors[k];
}

std::vector<SessionSource> Session::allSources() const {
  std::vector<SessionSource> all;
  if (!constants.empty()) {
    SessionSource c{"<constants>", ""};
    for (const auto &[name, value] : constants)
      c.text += "let " + name + " = " + value + "\n";
    all.push_back(c);
  }
  all.insert(all.end(), sources.begin(), sources.end());
  return all;
}

ReplRequest Session::request(const std::string &input) const {
  ReplRequest req;
  for (const SessionTensor &t : tensors)
    req.tensors.push_back({t.name, t.type});
  for (const Replayed &r : replayed)
    req.preamble += r.text + "\n";
  req.input = input;
  return req;
}

std::unique_ptr<Program> Session::check(const ReplRequest *req,
                                        llvm::SourceMgr &sm,
                                        DiagnosticEngine &diags,
                                        const std::string &modelName) {
  diags.setShowColors(opts.colors);
  SemaOptions so;
  so.searchPaths = opts.searchPaths;
  so.modelName = modelName;
  auto program = checkSession(allSources(), req, so, sm, diags);
  if (program && !program->repl.names.empty())
    scopeNames = program->repl.names;
  return program;
}

std::unique_ptr<Program> Session::addSource(SessionSource source, bool file,
                                            llvm::SourceMgr &sm,
                                            DiagnosticEngine &diags) {
  sources.push_back(std::move(source));
  isFile.push_back(file);
  ReplRequest req;
  req.checkDefinitions = true;
  auto program = check(&req, sm, diags);
  if (!program) {
    sources.pop_back();
    isFile.pop_back();
  }
  return program;
}

bool Session::define(const std::string &text) {
  if (llvm::StringRef(text).ltrim().starts_with("main")) {
    llvm::SourceMgr sm;
    DiagnosticEngine(sm).error(
        "type a main block's statements at the prompt directly");
    return false;
  }
  llvm::SourceMgr sm;
  DiagnosticEngine diags(sm);
  auto program = addSource({nextInputName(), text}, false, sm, diags);
  if (!program)
    return false;
  // What the input defined, read back from its text.
  llvm::SourceMgr quietSm;
  DiagnosticEngine quiet(quietSm);
  quiet.setQuiet(true);
  static const char *kinds[] = {"layer", "model", "fn", "optimizer"};
  std::unique_ptr<Module> parsed = parseBuffer(text, "<repl>", quiet);
  for (const auto &c : parsed->callables)
    llvm::outs() << "defined " << kinds[c->kind] << " " << c->name.name << "\n";
  for (const TrainInfo &t : program->trains) {
    llvm::outs() << "train block for " << t.modelName
                 << " (`:train` runs it)\n";
    trainModels.push_back(t.modelName);
  }
  return true;
}

bool Session::load(const std::string &path) {
  auto buf = llvm::MemoryBuffer::getFile(path);
  llvm::SourceMgr sm;
  DiagnosticEngine diags(sm);
  if (!buf) {
    diags.error("cannot read '" + path + "': " + buf.getError().message());
    return false;
  }
  auto program = addSource({path, (*buf)->getBuffer().str()}, true, sm, diags);
  if (!program)
    return false;
  llvm::outs() << "loaded " << path;
  if (!program->modelNames.empty())
    llvm::outs() << " (models: " << llvm::join(program->modelNames, ", ")
                 << ")";
  llvm::outs() << "\n";
  for (const TrainInfo &t : program->trains)
    trainModels.push_back(t.modelName);
  return true;
}

bool Session::runStatements(const std::string &text) {
  llvm::SourceMgr sm;
  DiagnosticEngine diags(sm);
  ReplRequest req = request(text);
  req.inputName = nextInputName();
  auto program = check(&req, sm, diags);
  if (!program)
    return false;
  for (const auto &[path, loc] : program->missingData)
    diags.error(loc, "data file '" + path + "' does not exist");
  if (diags.hadError())
    return false;
  const ModelGraph &g = *program->mainGraph;
  if (!g.outputs.empty() && !execute(*program, sm, diags))
    return false;
  keepBindings(program->repl);
  if (program->repl.hasValue)
    llvm::outs() << program->repl.valueText << "\n";
  llvm::outs().flush();
  return true;
}

void Session::forget(const std::string &name, bool keepValue) {
  llvm::erase_if(tensors,
                 [&](const SessionTensor &t) { return t.name == name; });
  llvm::erase_if(replayed, [&](const Replayed &r) { return r.name == name; });
  llvm::erase_if(constants, [&](const auto &c) { return c.first == name; });
  std::string below = name + ".";
  for (int64_t k = values.count - 1; k >= 0; --k) {
    llvm::StringRef n = values.names[k];
    if ((n == name && !keepValue) || n.starts_with(below))
      nnc_named_remove(&values, k);
  }
  auto it = trainState.find(name);
  if (it != trainState.end()) {
    nnc_named_free(&it->second);
    trainState.erase(it);
  }
}

void Session::keepBindings(const ReplResult &r) {
  for (const ReplResult::Binding &b : r.bindings) {
    // A tensor's value is in `values` already (execute stored it).
    forget(b.name, /*keepValue=*/b.kind == ReplResult::Binding::Tensor);
    switch (b.kind) {
    case ReplResult::Binding::Tensor: {
      int64_t k = nnc_named_find(&values, b.name.c_str());
      if (k >= 0) {
        tensors.push_back({b.name, typeOf(values.tensors[k])});
        llvm::outs() << b.name << ": " << tensorTypeText(values.tensors[k])
                     << "\n";
      }
      break;
    }
    case ReplResult::Binding::Constant:
      constants.push_back({b.name, b.describe});
      llvm::outs() << b.name << " = " << b.describe << "\n";
      break;
    case ReplResult::Binding::Other:
      replayed.push_back({b.name, b.text, b.model});
      llvm::outs() << b.name << ": " << b.describe << "\n";
      break;
    }
  }
  for (const auto &[name, output] : r.assigned) {
    int64_t k = nnc_named_find(&values, name.c_str());
    for (SessionTensor &t : tensors)
      if (t.name == name && k >= 0)
        t.type = typeOf(values.tensors[k]);
  }
}

/// Does `t` have the static shape and dtype of `arg`?
static bool fits(const nnc_tensor &t, const nnc_model_arg &arg) {
  if (t.dtype != arg.dtype || t.rank != arg.rank)
    return false;
  for (int32_t d = 0; d < t.rank; ++d)
    if (arg.dims[d] >= 0 && arg.dims[d] != t.dims[d])
      return false;
  return true;
}

void Session::dropMismatched(const nnc_model &m) {
  for (int32_t a = 0; a < m.num_args; ++a) {
    const nnc_model_arg &arg = m.args[a];
    if (arg.kind != NNC_ARG_PARAM && arg.kind != NNC_ARG_STATE)
      continue;
    int64_t k = nnc_named_find(&values, arg.name);
    if (k < 0 || fits(values.tensors[k], arg))
      continue;
    llvm::errs() << "note: '" << arg.name << "' was "
                 << tensorTypeText(values.tensors[k])
                 << "; its new shape starts from its initializer\n";
    nnc_named_remove(&values, k);
  }
}

/// Replaces entry `name` of `values` by `t` (taking it over).
static void storeValue(nnc_named_tensors &values, const std::string &name,
                       nnc_tensor &t) {
  int64_t k = nnc_named_find(&values, name.c_str());
  if (k >= 0)
    nnc_named_remove(&values, k);
  nnc_named_append(&values, name.c_str(), t);
  t = nnc_tensor{};
}

bool Session::execute(const Program &program, llvm::SourceMgr &sm,
                      DiagnosticEngine &diags) {
  const ReplResult &r = program.repl;
  Entry entry;
  entry.graph = program.mainGraph.get();
  entry.name = "repl";
  entry.isProgram = true;
  entry.seed = opts.seed;
  std::map<int, std::string> stores;
  for (const ReplResult::Binding &b : r.bindings)
    if (b.output >= 0)
      stores[b.output] = b.name;
  for (const auto &[name, output] : r.assigned)
    stores[output] = name;
  int rc = withJit(entry, opts.codegen, sm, diags, [&](const nnc_model &m) {
    dropMismatched(m);
    nnc_named_tensors out{};
    if (nnc_program_eval(&m, opts.seed, &values, &out)) {
      diags.error(nnc_last_error());
      nnc_named_free(&out);
      return 1;
    }
    int status = 0;
    for (int64_t k = 0; k < out.count && status == 0; ++k) {
      auto store = stores.find(int(k));
      if (store != stores.end()) {
        storeValue(values, store->second, out.tensors[k]);
      } else if (int(k) == r.valueOutput) {
        if (out.tensors[k].rank > 0)
          std::printf("%s\n", tensorTypeText(out.tensors[k]).c_str());
        nnc_print_tensor(&out.tensors[k]);
      } else if (nnc_program_show(&m, k, out.names[k], &out.tensors[k])) {
        diags.error(nnc_last_error());
        status = 1;
      }
    }
    std::fflush(stdout);
    nnc_named_free(&out);
    return status;
  });
  return rc == 0;
}

size_t nnc::completionWordStart(llvm::StringRef before) {
  // A command being typed (`:load-w`) is the whole line so far.
  if (before.starts_with(":") && !before.contains(' '))
    return 0;
  size_t start = before.size();
  while (start > 0 &&
         (llvm::isAlnum(before[start - 1]) || before[start - 1] == '_'))
    --start;
  return start;
}

std::vector<std::string> Session::complete(llvm::StringRef prefix) const {
  static const char *commands[] = {
      ":help", ":load",    ":reload", ":type", ":summary",
      ":emit", ":remarks", ":train",  ":save", ":load-weights",
      ":time", ":threads", ":vars",   ":quit"};
  llvm::StringRef word = prefix.substr(completionWordStart(prefix));
  std::set<std::string> out;
  if (word.starts_with(":")) {
    for (const char *c : commands)
      if (llvm::StringRef(c).starts_with(word))
        out.insert(c);
    return {out.begin(), out.end()};
  }
  auto add = [&](const std::string &n) {
    if (llvm::StringRef(n).starts_with(word) && !n.empty() &&
        (llvm::isAlpha(n[0]) || n[0] == '_'))
      out.insert(n);
  };
  for (const std::string &n : scopeNames)
    add(n);
  for (const SessionTensor &t : tensors)
    add(t.name);
  for (const Replayed &r : replayed)
    add(r.name);
  for (const auto &c : constants)
    add(c.first);
  for (const std::string &n : builtinFunctionNames())
    add(n);
  return {out.begin(), out.end()};
}
