//===- Executable.cpp - `nnc build -o prog` -------------------------------===//
//
// An executable is three pieces: the model's object code, a small C file
// with the model's argument/result tables, a wrapper that calls
// `_mlir_ciface_<Model>_forward` with the right number of descriptors and
// `main`, and the static runtime (libnnc_runtime.a, zlib). A training
// executable (`--train`) has both steps' tables, the train block's
// configuration, and the runtime's training loop as its main. clang (found
// when nnc was configured) compiles and links them. Nothing is left behind
// on failure.
//
//===----------------------------------------------------------------------===//
#include "driver/Executable.h"
#include "driver/Glue.h"
#include "driver/Signature.h"
#include "sema/Sema.h"
#include "support/Diagnostics.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdlib>

using namespace nnc;

#ifndef NNC_CLANG
#define NNC_CLANG "clang-22"
#endif

std::string nnc::quoted(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

static void writeArgs(llvm::raw_ostream &os, const char *table,
                      const std::vector<ArgSignature> &args) {
  os << "static const nnc_model_arg " << table << "[] = {\n";
  for (const ArgSignature &a : args) {
    os << "  {" << quoted(a.name) << ", " << int(a.kind) << ", "
       << runtimeDType(a.type.dtype) << ", " << a.type.rank() << ", {";
    for (unsigned d = 0; d < a.type.rank(); ++d)
      os << (d ? ", " : "")
         << (a.type.dims[d].isConst() ? a.type.dims[d].value : -1);
    os << "}, {";
    for (unsigned d = 0; d < a.type.rank(); ++d)
      os << (d ? ", " : "")
         << (a.type.dims[d].isConst() ? "0" : quoted(a.type.dims[d].sym));
    os << "}, " << (a.init.empty() ? "0" : quoted(a.init)) << ", "
       << (a.source.empty() ? "0" : quoted(a.source)) << "},\n";
  }
  os << "};\n";
}

/// The runtime's types the glue needs (kept in step with nnc/runtime.h;
/// the glue is compiled without include paths).
const char *const nnc::kGlueTypes =
    "#include <stdint.h>\n"
    "typedef struct {\n  const char *name;\n  int kind, dtype;\n"
    "  int32_t rank;\n  int64_t dims[8];\n  const char *syms[8];\n"
    "  const char *init, *source;\n} nnc_model_arg;\n"
    "typedef struct {\n  const char *name;\n  int32_t num_args;\n"
    "  const nnc_model_arg *args;\n  int32_t num_results;\n"
    "  const nnc_model_arg *results;\n"
    "  void (*invoke)(void *, void *, void **);\n  void *ctx;\n"
    "} nnc_model;\n"
    "typedef struct {\n  const char *target, *kind;\n  double base;\n"
    "  int32_t num_args;\n  const char *const *arg_names;\n"
    "  const double *arg_values;\n} nnc_schedule;\n"
    "typedef struct {\n  int64_t batch, epochs;\n  int shuffle;\n"
    "  uint64_t seed;\n  int64_t classes;\n  const char *validate_source;\n"
    "  int64_t validate_every;\n"
    "  const char *checkpoint, *resume, *metrics_out;\n  int progress;\n"
    "  int64_t limit, log_every, early_stop;\n  int32_t num_schedules;\n"
    "  const nnc_schedule *schedules;\n  int init_only;\n  double lr;\n"
    "  void *state;\n  int64_t max_steps;\n"
    "  const char *set_metrics, *monitor;\n  int64_t folds;\n"
    "  const char *oof_out, *tta;\n  int sync_batch_norm, resample;\n"
    "} nnc_train_config;\n"
    "int nnc_model_main(const nnc_model *, int, char **);\n"
    "int nnc_program_main(const nnc_model *, int, char **);\n"
    "int nnc_train_main(const nnc_model *, const nnc_model *, "
    "nnc_train_config *, int, char **);\n";

/// One compiled function as an nnc_model named `var`: its tables and a
/// fixed-arity call of `_mlir_ciface_<function>`.
void nnc::writeModel(llvm::raw_ostream &os, const ModelSignature &sig,
                     const std::string &function, const std::string &var) {
  std::string fn = "_mlir_ciface_" + function;
  os << "void " << fn << "(void *";
  for (size_t k = 0; k < sig.args.size(); ++k)
    os << ", void *";
  os << ");\n";
  writeArgs(os, (var + "_args").c_str(), sig.args);
  writeArgs(os, (var + "_results").c_str(), sig.results);
  os << "static void " << var << "_invoke(void *ctx, void *r, void **a) {\n"
     << "  (void)ctx;\n  " << fn << "(r";
  for (size_t k = 0; k < sig.args.size(); ++k)
    os << ", a[" << k << "]";
  os << ");\n}\n"
     << "static const nnc_model " << var << " = {" << quoted(sig.model) << ", "
     << sig.args.size() << ", " << var << "_args, " << sig.results.size()
     << ", " << var << "_results, " << var << "_invoke, 0};\n";
}

namespace {
/// The C glue of a model or main block: its table and main.
void writeGlue(llvm::raw_ostream &os, const ModelSignature &sig,
               bool isProgram) {
  os << "/* Generated by nnc for model " << sig.model << ". */\n" << kGlueTypes;
  writeModel(os, sig, sig.model + "_forward", "model");
  os << "int main(int argc, char **argv) { return "
     << (isProgram ? "nnc_program_main" : "nnc_model_main")
     << "(&model, argc, argv); }\n";
}

std::string cString(const std::string &s) {
  return s.empty() ? "0" : quoted(s);
}

/// The C glue of a training executable: both steps, the train block's
/// configuration and main.
void writeTrainGlue(llvm::raw_ostream &os, const TrainPlan &plan,
                    const std::vector<ModelSignature> &sigs) {
  os << "/* Generated by nnc: training " << plan.modelName << ". */\n"
     << kGlueTypes;
  const char *vars[2] = {"step", "eval"};
  for (size_t k = 0; k < 2; ++k) {
    const char *var = vars[k];
    ModelSignature sig = sigs[k];
    std::string function = sig.model;
    sig.model = plan.modelName;
    writeModel(os, sig, function, var);
  }
  os << "static const nnc_schedule schedules[] = {\n";
  for (size_t k = 0; k < plan.schedules.size(); ++k) {
    const ScheduleInfo &sc = plan.schedules[k];
    os << "  {" << quoted(sc.target) << ", " << quoted(sc.kind) << ", "
       << llvm::format("%.17g", sc.base) << ", " << sc.args.size() << ", "
       << "(const char *const[]){";
    for (auto &a : sc.args)
      os << quoted(a.first) << ", ";
    os << "0}, (const double[]){";
    for (auto &a : sc.args)
      os << llvm::format("%.17g", a.second) << ", ";
    os << "0}},\n";
  }
  os << "  {0, 0, 0, 0, 0, 0}};\n"
     << "int main(int argc, char **argv) {\n"
     << "  nnc_train_config cfg = {" << plan.batch << ", " << plan.epochs
     << ", " << (plan.shuffle ? 1 : 0) << ", " << plan.seed << "ull, "
     << plan.classes << ", " << cString(plan.validateSource) << ", "
     << plan.validateEvery << ", " << cString(plan.checkpoint)
     << ", 0, 0, -1, 0, " << plan.logEvery << ", " << plan.earlyStop << ", "
     << plan.schedules.size() << ", schedules, 0, ";
  if (std::isnan(plan.lr))
    os << "__builtin_nan(\"\")";
  else
    os << llvm::format("%.17g", plan.lr);
  os << ", 0, 0, " << cString(joinedSetMetrics(plan)) << ", "
     << cString(plan.monitor) << ", " << plan.folds << ", 0, "
     << cString(plan.tta) << ", 0, " << (plan.resample ? 1 : 0) << "};\n"
     << "  return nnc_train_main(&step, &eval, &cfg, argc, argv);\n}\n";
}
} // namespace

bool nnc::findClang(std::string &clang, DiagnosticEngine &diags) {
  // The clang found when nnc was configured; $NNC_CLANG overrides it.
  const char *env = std::getenv("NNC_CLANG");
  std::string wanted = env && *env ? env : NNC_CLANG;
  auto found = llvm::sys::findProgramByName(wanted);
  if (!found || !llvm::sys::fs::can_execute(*found)) {
    diags.error("nnc links executables and libraries with " + wanted +
                ", which was not found; install clang-22 (scripts/setup.sh "
                "does) or set NNC_CLANG");
    return false;
  }
  clang = *found;
  return true;
}

bool nnc::findRuntimeLibrary(const char *argv0, std::string &path,
                             DiagnosticEngine &diags) {
  std::string exe =
      llvm::sys::fs::getMainExecutable(argv0, (void *)&buildExecutable);
  llvm::SmallString<256> lib(
      llvm::sys::path::parent_path(llvm::sys::path::parent_path(exe)));
  llvm::sys::path::append(lib, "lib", "libnnc_runtime.a");
  if (!llvm::sys::fs::exists(lib)) {
    diags.error("the nnc runtime library is missing (looked for " +
                lib.str().str() + ")");
    return false;
  }
  path = lib.str().str();
  return true;
}

bool nnc::runTool(const std::string &tool, llvm::ArrayRef<llvm::StringRef> cmd,
                  const std::string &what, DiagnosticEngine &diags) {
  std::string err;
  int rc = llvm::sys::ExecuteAndWait(tool, cmd, std::nullopt, {}, 0, 0, &err);
  if (rc != 0) {
    diags.error(what + " with " + tool + " failed" +
                (err.empty() ? "" : ": " + err));
    return false;
  }
  return true;
}

int nnc::buildExecutable(const Entry &entry, const std::string &output,
                         const CodegenOptions &opts, const char *argv0,
                         const llvm::SourceMgr &srcMgr,
                         DiagnosticEngine &diags) {
  std::string clang, runtimeLib;
  if (!findClang(clang, diags) || !findRuntimeLibrary(argv0, runtimeLib, diags))
    return 1;
  {
    // Fail on an unwritable output before compiling anything.
    std::error_code ec;
    llvm::raw_fd_ostream probe(output, ec, llvm::sys::fs::OF_None);
    if (ec) {
      diags.error("cannot write '" + output + "': " + ec.message());
      return 1;
    }
  }
  // Nothing half-made is left at `output` if a later step fails.
  struct RemoveUnlessKept {
    const std::string &path;
    bool keep = false;
    ~RemoveUnlessKept() {
      if (!keep)
        llvm::sys::fs::remove(path);
    }
  } outputGuard{output};
  llvm::SmallString<128> obj, glue;
  if (llvm::sys::fs::createTemporaryFile("nnc-model", "o", obj) ||
      llvm::sys::fs::createTemporaryFile("nnc-main", "c", glue)) {
    diags.error("cannot create temporary files");
    return 1;
  }
  struct Cleanup {
    llvm::SmallString<128> &a, &b;
    ~Cleanup() {
      llvm::sys::fs::remove(a);
      llvm::sys::fs::remove(b);
    }
  } cleanup{obj, glue};
  std::vector<ModelSignature> trainSigs;
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(obj, ec, llvm::sys::fs::OF_None);
    if (ec || emitStage(entry, Stage::Obj, opts, srcMgr, diags, os,
                        entry.train ? &trainSigs : nullptr))
      return 1;
  }
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(glue, ec, llvm::sys::fs::OF_Text);
    if (ec) {
      diags.error("cannot write '" + glue.str().str() + "': " + ec.message());
      return 1;
    }
    if (entry.train)
      writeTrainGlue(os, *entry.train, trainSigs);
    else
      writeGlue(os, signatureOf(*entry.graph, entry.name), entry.isProgram);
  }
  // zlib and the C++ runtime go in statically: an executable needs only
  // libc and libm (and libomp with --threads), see docs/cli.md.
  llvm::SmallVector<llvm::StringRef> cmd{clang,
                                         "-O2",
                                         "-w",
                                         glue.str(),
                                         obj.str(),
                                         runtimeLib,
                                         "-l:libz.a",
                                         "-l:libstdc++.a",
                                         "-static-libgcc",
                                         "-lm",
                                         "-o",
                                         output};
  // --threads N: the generated code calls libomp (LLVM's, next to clang).
  if (opts.threads > 1)
    cmd.append(
        {"-L/usr/lib/llvm-22/lib", "-lomp", "-Wl,-rpath,/usr/lib/llvm-22/lib"});
  if (*kSanitizerLinkFlag)
    cmd.push_back(kSanitizerLinkFlag);
#ifdef NNC_LLD
  const char *env = std::getenv("NNC_CLANG");
  if (!env || !*env)
    cmd.push_back("-fuse-ld=lld"); // lld-22, found next to clang-22
#endif
  if (!runTool(clang, cmd, "linking '" + output + "'", diags))
    return 1;
  outputGuard.keep = true;
  return 0;
}
