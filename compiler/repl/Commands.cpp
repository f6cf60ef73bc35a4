//===- Commands.cpp - The REPL's `:` commands -----------------------------===//
//
// Exploring without running: `:type` and `:summary` ask sema, `:emit`
// prints a stage of the pipeline (the stages of `nnc build --emit=`), and
// `:time` measures compiling and running an expression. `:load` and
// `:reload` manage the files of the session; `:train`, `:save` and
// `:load-weights` are in Weights.cpp.
//
//===----------------------------------------------------------------------===//
#include "driver/Runner.h"
#include "repl/Session.h"
#include "summary/Summary.h"
#include "support/Diagnostics.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

using namespace nnc;

static void replError(const llvm::Twine &msg) {
  llvm::SourceMgr sm;
  DiagnosticEngine(sm).error(msg);
}

bool Session::command(llvm::StringRef line) {
  auto [name, rest] = line.drop_front().split(' ');
  rest = rest.trim();
  name = name.trim();
  if (name == "help" || name == "h" || name == "?")
    return cmdHelp();
  if (name == "quit" || name == "q" || name == "exit") {
    if (!rest.empty()) {
      replError(":quit takes nothing after it");
      return false;
    }
    quit = true;
    return true;
  }
  if (name == "load") {
    if (rest.empty()) {
      replError(":load needs a file: :load model.nn");
      return false;
    }
    return load(rest.str());
  }
  if (name == "reload")
    return cmdReload();
  if (name == "type" || name == "t")
    return cmdType(rest);
  if (name == "summary")
    return cmdSummary(rest);
  if (name == "emit")
    return cmdEmit(rest);
  if (name == "time")
    return cmdTime(rest);
  if (name == "threads")
    return cmdThreads(rest);
  if (name == "vars")
    return cmdVars();
  if (name == "remarks") {
    opts.codegen.remarks = !opts.codegen.remarks;
    llvm::outs() << "remarks " << (opts.codegen.remarks ? "on" : "off")
                 << ": what each compile fuses, runs on kernels and plans "
                    "in buffers, per line (to stderr)\n";
    return true;
  }
  if (name == "train")
    return cmdTrain(rest);
  if (name == "save")
    return cmdSave(rest);
  if (name == "load-weights")
    return cmdLoadWeights(rest);
  replError("unknown command ':" + name + "' (:help lists the commands)");
  return false;
}

bool Session::cmdHelp() {
  llvm::outs()
      << "Type definitions (use, layer, model, fn, optimizer, train) to keep\n"
         "them, `let NAME = EXPR` to bind a value, or an expression to see\n"
         "its value. A line with an open bracket continues on the next.\n"
         "Commands:\n"
         "  :help                     this text\n"
         "  :load FILE                add a file's definitions\n"
         "  :reload                   read the loaded files again (values\n"
         "                            whose names and shapes still match "
         "stay)\n"
         "  :type EXPR                type and shape, nothing is run\n"
         "  :summary MODEL            layers, shapes, parameters, FLOPs\n"
         "  :emit STAGE EXPR|MODEL    a pipeline stage: nn, grad, train, "
         "linalg,\n"
         "                            buffers, llvm, llvm-ir or asm\n"
         "  :remarks                  toggle compiler remarks (fusion, "
         "kernels)\n"
         "  :train [NAME] [steps N | epochs E]\n"
         "                            run the train block of NAME's model on\n"
         "                            the instance NAME (Ctrl-C stops, "
         "keeping\n"
         "                            the weights reached)\n"
         "  :save FILE [NAME]         write an instance's weights "
         "(safetensors)\n"
         "  :load-weights FILE [NAME] read them back (names, shapes checked)\n"
         "  :time EXPR                compile and run times of EXPR\n"
         "  :threads N                threads of compiled code\n"
         "  :vars                     the session's names\n"
         "  :quit                     leave (or Ctrl-D)\n";
  return true;
}

std::string Session::modelOf(llvm::StringRef name, std::string *instance) {
  for (const Replayed &r : replayed)
    if (r.name == name && !r.model.empty()) {
      if (instance)
        *instance = r.name;
      return r.model;
    }
  llvm::SourceMgr sm;
  DiagnosticEngine diags(sm);
  auto program = check(nullptr, sm, diags);
  if (program && llvm::is_contained(program->modelNames, name))
    return name.str();
  return "";
}

/// `model Mlp: (image: f32[B, 28, 28]) -> f32[B, 10]`.
static void printModelType(const Program &program, llvm::raw_ostream &os) {
  os << "model " << program.model->name << ": (";
  const ModelGraph &g = *program.graph;
  for (size_t k = 0; k < g.inputs.size(); ++k)
    os << (k ? ", " : "") << g.inputs[k]->name << ": "
       << g.inputs[k]->type.str();
  os << ") -> ";
  if (g.outputs.size() == 1) {
    os << g.outputs[0].second->type.str() << "\n";
    return;
  }
  os << "(";
  for (size_t k = 0; k < g.outputs.size(); ++k)
    os << (k ? ", " : "") << g.outputs[k].first << ": "
       << g.outputs[k].second->type.str();
  os << ")\n";
}

bool Session::cmdType(llvm::StringRef expr) {
  if (expr.empty()) {
    replError(":type needs an expression: :type m(x)");
    return false;
  }
  if (const nnc_tensor *t = keptValue(expr)) {
    llvm::outs() << tensorTypeText(*t) << "\n";
    return true;
  }
  llvm::SourceMgr sm;
  DiagnosticEngine diags(sm);
  std::string instance;
  if (std::string model = modelOf(expr, &instance);
      !model.empty() && instance.empty()) {
    auto program = check(nullptr, sm, diags, model);
    if (!program || !program->graph)
      return false;
    printModelType(*program, llvm::outs());
    return true;
  }
  ReplRequest req = request(expr.str());
  req.inputName = "<type>";
  req.typeOnly = true;
  auto program = check(&req, sm, diags);
  if (!program)
    return false;
  const ReplResult &r = program->repl;
  llvm::outs() << (r.valueIsTensor ? r.valueType.str()
                   : r.hasValue    ? r.typeText
                                   : std::string("no value"))
               << "\n";
  return true;
}

bool Session::cmdSummary(llvm::StringRef name) {
  std::string model = modelOf(name);
  if (name.empty() || model.empty()) {
    replError(":summary needs a model or an instance of one" +
              (name.empty() ? std::string()
                            : "; '" + name.str() +
                                  "' is "
                                  "neither"));
    return false;
  }
  llvm::SourceMgr sm;
  DiagnosticEngine diags(sm);
  auto program = check(nullptr, sm, diags, model);
  if (!program || !program->model)
    return false;
  printSummary(*program, SummaryOptions{}, llvm::outs());
  return true;
}

bool Session::cmdEmit(llvm::StringRef args) {
  auto [stageName, target] = args.split(' ');
  target = target.trim();
  std::optional<Stage> stage =
      llvm::StringSwitch<std::optional<Stage>>(stageName)
          .Cases({"nn", "grad", "train"}, Stage::NN)
          .Case("linalg", Stage::Linalg)
          .Case("buffers", Stage::Buffers)
          .Case("llvm", Stage::LLVM)
          .Case("llvm-ir", Stage::LLVMIR)
          .Case("asm", Stage::Asm)
          .Default(std::nullopt);
  if (!stage || target.empty()) {
    replError(":emit STAGE EXPR|MODEL, with STAGE one of nn, grad, train, "
              "linalg, buffers, llvm, llvm-ir, asm");
    return false;
  }
  bool grad = stageName == "grad", train = stageName == "train";
  llvm::SourceMgr sm;
  DiagnosticEngine diags(sm);
  std::unique_ptr<Program> program;
  Entry entry;
  if (std::string model = modelOf(target); !model.empty()) {
    ReplRequest req;
    req.trainModel = model;
    program = check(&req, sm, diags, model);
    if (!program)
      return false;
    entry = grad    ? lossEntryOf(*program)
            : train ? trainEntryOf(*program)
                    : Entry{program->graph.get(), model};
    if (!entry.graph) {
      diags.error("'" + model + "' has no " +
                  (train ? "train block with a loss and an optimizer"
                         : "train block with a loss, and its output is not "
                           "a float scalar"));
      return false;
    }
  } else {
    if (grad || train) {
      replError(":emit " + stageName + " needs a model with a train block");
      return false;
    }
    ReplRequest req = request(target.str());
    req.inputName = "<emit>";
    program = check(&req, sm, diags);
    if (!program)
      return false;
    if (program->mainGraph->outputs.empty()) {
      diags.error("'" + target + "' computes no tensor: nothing to compile");
      return false;
    }
    entry = Entry{program->mainGraph.get(), "repl", true};
    entry.seed = opts.seed;
  }
  int rc = emitStage(entry, *stage, opts.codegen, sm, diags, llvm::outs());
  llvm::outs().flush();
  return rc == 0;
}

bool Session::cmdTime(llvm::StringRef expr) {
  if (expr.empty()) {
    replError(":time needs an expression: :time m(x)");
    return false;
  }
  double t0 = nnc_now();
  llvm::SourceMgr sm;
  DiagnosticEngine diags(sm);
  ReplRequest req = request(expr.str());
  req.inputName = "<time>";
  auto program = check(&req, sm, diags);
  if (!program)
    return false;
  if (program->mainGraph->outputs.empty()) {
    diags.error("'" + expr + "' computes no tensor: nothing to time");
    return false;
  }
  double t1 = nnc_now();
  Entry entry{program->mainGraph.get(), "repl", true};
  entry.seed = opts.seed;
  int rc = withJit(entry, opts.codegen, sm, diags, [&](const nnc_model &m) {
    double t2 = nnc_now();
    dropMismatched(m);
    nnc_named_tensors out{};
    std::vector<double> ms;
    int status = 0;
    // The first run allocates its results (and initialises parameters);
    // the timed runs after it write into them.
    for (int k = 0;
         status == 0 && (k < 6 || (k < 1000 && t2 + 0.5 > nnc_now())); ++k) {
      double s = nnc_now();
      status = nnc_program_eval(&m, opts.seed, &values, &out);
      if (k > 0)
        ms.push_back((nnc_now() - s) * 1e3);
    }
    nnc_named_free(&out);
    if (status) {
      diags.error(nnc_last_error());
      return 1;
    }
    std::sort(ms.begin(), ms.end());
    auto at = [&](double q) { return ms[size_t(q * double(ms.size() - 1))]; };
    llvm::outs() << llvm::format("check %.1f ms, compile %.1f ms, run median "
                                 "%.4f ms (p10 %.4f, p90 %.4f, %zu runs)\n",
                                 (t1 - t0) * 1e3, (t2 - t1) * 1e3, at(0.5),
                                 at(0.1), at(0.9), ms.size());
    return 0;
  });
  return rc == 0;
}

bool Session::cmdReload() {
  std::vector<SessionSource> before = sources;
  std::vector<std::string> changed;
  for (size_t k = 0; k < sources.size(); ++k) {
    if (!isFile[k])
      continue;
    auto buf = llvm::MemoryBuffer::getFile(sources[k].name);
    if (!buf) {
      replError("cannot read '" + sources[k].name +
                "': " + buf.getError().message());
      sources = before;
      return false;
    }
    if ((*buf)->getBuffer() != sources[k].text) {
      sources[k].text = (*buf)->getBuffer().str();
      changed.push_back(sources[k].name);
    }
  }
  llvm::SourceMgr sm;
  DiagnosticEngine diags(sm);
  ReplRequest req;
  req.checkDefinitions = true;
  if (!check(&req, sm, diags)) {
    sources = before;
    llvm::errs() << "nothing reloaded: the session keeps the previous "
                    "definitions\n";
    return false;
  }
  if (changed.empty())
    llvm::outs() << "no loaded file changed\n";
  for (const std::string &f : changed)
    llvm::outs() << "reloaded " << f
                 << " (values whose names and shapes still match are "
                    "kept)\n";
  return true;
}

bool Session::cmdThreads(llvm::StringRef n) {
  unsigned v = 0;
  if (n.getAsInteger(10, v) || v == 0 || v > 1024) {
    replError(":threads needs a number from 1 to 1024");
    return false;
  }
  opts.codegen.threads = v;
  llvm::outs() << "compiled code runs on " << v << " thread"
               << (v > 1 ? "s" : "") << "\n";
  return true;
}

bool Session::cmdVars() {
  for (const auto &[name, value] : constants)
    llvm::outs() << name << " = " << value << "\n";
  for (const SessionTensor &t : tensors)
    llvm::outs() << t.name << ": " << t.type.str() << "\n";
  for (const Replayed &r : replayed) {
    int64_t n = 0, count = 0;
    std::string below = r.name + ".";
    for (int64_t k = 0; k < values.count; ++k)
      if (llvm::StringRef(values.names[k]).starts_with(below)) {
        ++count;
        n += nnc_tensor_numel(&values.tensors[k]);
      }
    llvm::outs() << r.name << ": " << r.text;
    if (count)
      llvm::outs() << "  (" << count << " tensors, " << withCommas(n)
                   << " values)";
    llvm::outs() << "\n";
  }
  return true;
}
