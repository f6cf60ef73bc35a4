//===- Library.cpp - `nnc build --lib`: a model as a C library ------------===//
//
// A static library an application links to run a model: the model's
// object code, C glue with its argument tables and one typed function per
// operation, and the runtime (libnnc_runtime.a), linked into one object
// whose only global symbols are the API's, in an archive; a plain C header
// named after the library documents the functions and the shapes; a pkg-config
// file and a CMake package config say what to link. The glue calls the
// runtime's nnc_instance_* functions, which own the parameters and never end
// the process on an error.
//
//===----------------------------------------------------------------------===//
#include "driver/Library.h"
#include "driver/Glue.h"
#include "driver/Signature.h"
#include "nnc/runtime.h"
#include "sema/Sema.h"
#include "support/Diagnostics.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdlib>

using namespace nnc;

#ifndef NNC_VERSION
#define NNC_VERSION "0.0.0"
#endif

namespace {
/// `libmlp.a` -> `mlp`, made a C identifier.
std::string prefixOf(llvm::StringRef output) {
  llvm::StringRef stem = llvm::sys::path::stem(output);
  stem.consume_front("lib");
  std::string p;
  for (char c : stem)
    p += llvm::isAlnum(c) ? llvm::toLower(c) : '_';
  if (p.empty() || llvm::isDigit(p[0]))
    p = "m_" + p;
  return p;
}

std::string cName(const std::string &name) {
  std::string s;
  for (char c : name)
    s += llvm::isAlnum(c) ? c : '_';
  return s;
}

const char *cType(DType t) {
  switch (t) {
  case DType::F32:
    return "float";
  case DType::F64:
    return "double";
  case DType::I32:
    return "int32_t";
  case DType::I64:
    return "int64_t";
  case DType::Bool:
    return "uint8_t";
  }
  return "float";
}

/// Elements per sample (the product of the constant sizes).
int64_t perSample(const TensorType &t) {
  int64_t n = 1;
  for (const Dim &d : t.dims)
    if (d.isConst())
      n *= d.value;
  return n;
}

/// Every symbolic size must be the first dimension, and one symbol: the
/// batch the caller passes. Reports and returns false otherwise.
bool checkBatchOnly(const ModelSignature &sig, DiagnosticEngine &diags) {
  std::string batch;
  for (const auto *list : {&sig.args, &sig.results})
    for (const ArgSignature &a : *list)
      for (unsigned d = 0; d < a.type.rank(); ++d) {
        const Dim &dim = a.type.dims[d];
        if (dim.isConst())
          continue;
        if (d == 0 && (batch.empty() || batch == dim.sym)) {
          batch = dim.sym;
          continue;
        }
        diags.error("'" + a.name + "' is " + a.type.str() +
                    ": a library takes one run-time size, the batch (the "
                    "first dimension); give the other sizes as constants");
        return false;
      }
  return true;
}

std::string shapeComment(const ArgSignature &a) {
  return a.name + ": " + a.type.str();
}

/// What the header and glue need of a train block.
struct Training {
  const TrainPlan *plan;
  ModelSignature step, eval;
};

/// `const float *image, const int64_t *label` of a step's data inputs.
std::string dataParams(const ModelSignature &step, bool typed) {
  std::string s;
  for (const ArgSignature &a : step.args)
    if (a.kind == NNC_ARG_INPUT)
      s += std::string(", const ") + (typed ? cType(a.type.dtype) : "void") +
           " *" + cName(a.name);
  return s;
}

std::vector<std::string> metricNames(const ModelSignature &eval) {
  std::vector<std::string> out;
  for (const ArgSignature &r : eval.results)
    if (llvm::StringRef(r.name).starts_with("metric."))
      out.push_back(r.name.substr(7));
  return out;
}

void writeTrainingHeader(llvm::raw_ostream &os, const std::string &p,
                         const Training &t) {
  std::string up = llvm::StringRef(p).upper();
  std::vector<std::string> metrics = metricNames(t.eval);
  os << "\n/* Training with the train block (optimizer " << t.plan->optimizer
     << ", batch " << t.plan->batch << "): the instance holds the optimizer "
     << "state.\n   The data: one buffer per field the block reads, batch "
        "rows each. */\n#define "
     << up << "_BATCH " << t.plan->batch << "\n";
  if (!std::isnan(t.plan->lr))
    os << "#define " << up << "_LEARNING_RATE "
       << llvm::format("%g", t.plan->lr) << "\n";
  os << "/* One optimizer step; the batch's mean loss in *loss (may be NULL). "
        "*/\nint "
     << p << "_train_step(" << p << " *model, int64_t batch"
     << dataParams(t.step, true) << ", double *loss);\n"
     << "/* Evaluation mode (no dropout, running statistics): the mean loss "
        "and\n   the sums over the batch of the metrics ("
     << (metrics.empty() ? std::string("none") : llvm::join(metrics, ", "))
     << "). */\n#define " << up << "_NUM_METRICS " << metrics.size() << "\n"
     << "int " << p << "_eval_step(" << p << " *model, int64_t batch"
     << dataParams(t.eval, true) << ", double *loss, double *metric_sums);\n"
     << "/* The learning rate of the next steps (the block's value at first)."
        " */\nint "
     << p << "_set_learning_rate(" << p << " *model, double lr);\n"
     << "/* Epochs done, saved as `train.epoch` (nnc run --resume goes on "
        "after\n   them). */\nvoid "
     << p << "_set_epoch(" << p << " *model, int64_t epochs);\n\n";
}

void writeHeader(llvm::raw_ostream &os, const std::string &p,
                 const ModelSignature &sig, int64_t params,
                 const Training *train, bool shared, bool weights) {
  std::string up = llvm::StringRef(p).upper();
  os << "/* " << p << ".h: model " << sig.model
     << " compiled by nnc " NNC_VERSION " (nnc build --lib).\n"
     << " *\n"
     << (shared ? " * Link: the shared library lib" + p +
                      ".so (it needs only libc and libm)\n"
                : " * Link: the library lib" + p +
                      ".a, then -lz -lstdc++ -lm -lpthread\n")
     << " * (pkg-config --libs " << p << "). Every function returns 0 on "
     << "success, or -1\n * with the reason in " << p
     << "_error(); none ends the process. Separate\n"
     << " * instances may be used on separate threads. */\n"
     << "#ifndef NNC_MODEL_" << up << "_H\n#define NNC_MODEL_" << up
     << "_H\n\n#include <stdint.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n"
     << "#endif\n\n/* An instance of the model with its own parameters. */\n"
     << "typedef struct " << p << " " << p << ";\n\n";
  for (const auto &[list, what] :
       {std::pair{&sig.args, "Input"}, std::pair{&sig.results, "Output"}})
    for (const ArgSignature &a : *list) {
      if (what == std::string("Input") && a.kind != NNC_ARG_INPUT)
        continue;
      bool batched = a.type.rank() && !a.type.dims[0].isConst();
      os << "/* " << what << " " << shapeComment(a) << ": "
         << (batched ? "batch * " : "") << up << "_"
         << llvm::StringRef(cName(a.name)).upper() << "_SIZE "
         << cType(a.type.dtype) << "s. */\n#define " << up << "_"
         << llvm::StringRef(cName(a.name)).upper() << "_SIZE "
         << perSample(a.type) << "\n";
    }
  os << "/* Parameters and state: elements in all. */\n#define " << up
     << "_PARAMETERS " << params << "\n\n"
     << (weights ? "/* A new instance, its parameters and state from the "
                   "weights compiled in\n   (nnc build --weights); `seed` "
                   "seeds dropout and other noise. */\n#define " +
                       up + "_WEIGHTS 1\n"
                 : "/* A new instance, its parameters from their "
                   "initializers (seeded by\n   `seed`, as nnc run --seed "
                   "does). */\n")
     << "int " << p << "_create(" << p << " **model, uint64_t seed);\n"
     << "void " << p << "_destroy(" << p << " *model);\n"
     << "/* Runs the model on `batch` samples. */\n"
     << "int " << p << "_forward(" << p << " *model, int64_t batch";
  for (const ArgSignature &a : sig.args)
    if (a.kind == NNC_ARG_INPUT)
      os << ", const " << cType(a.type.dtype) << " *" << cName(a.name);
  for (const ArgSignature &r : sig.results)
    os << ", " << cType(r.type.dtype) << " *" << cName(r.name);
  os << ");\n";
  if (train)
    writeTrainingHeader(os, p, *train);
  os << "/* Parameters and state from a safetensors checkpoint (what "
        "nnc run\n   writes; names, dtypes and shapes checked). */\n"
     << "int " << p << "_load(" << p << " *model, const char *path);\n"
     << "int " << p << "_save(const " << p << " *model, const char *path);\n"
     << "/* Why the last call on this thread failed. */\n"
     << "const char *" << p << "_error(void);\n\n"
     << "#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
}

/// The glue of the training functions.
std::string trainingGlue(const std::string &p, const Training &t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  std::vector<std::string> data;
  for (const ArgSignature &a : t.step.args)
    if (a.kind == NNC_ARG_INPUT)
      data.push_back(cName(a.name));
  std::string in = "  const void *in[] = {" + llvm::join(data, ", ") + "};\n";
  os << "int " << p << "_train_step(" << p << " *m, int64_t batch"
     << dataParams(t.step, false) << ", double *loss) {\n"
     << in
     << "  return nnc_instance_train_step((nnc_instance *)m, batch, in, "
        "loss);\n}\n"
     << "int " << p << "_eval_step(" << p << " *m, int64_t batch"
     << dataParams(t.eval, false) << ", double *loss, double *metrics) {\n"
     << in
     << "  return nnc_instance_eval_step((nnc_instance *)m, batch, in, loss, "
        "metrics);\n}\n"
     << "int " << p << "_set_learning_rate(" << p << " *m, double lr) {\n"
     << "  return nnc_instance_set_hparam((nnc_instance *)m, \"lr\", lr);\n}\n"
     << "void " << p << "_set_epoch(" << p << " *m, int64_t e) {\n"
     << "  nnc_instance_set_epoch((nnc_instance *)m, e);\n}\n";
  return s;
}

/// The glue that embeds a weights file (`--weights`): its bytes between
/// two hidden symbols.
std::string weightsEmbed(const std::string &p, const std::string &path) {
  std::string escaped;
  for (char c : path) {
    if (c == '"' || c == '\\')
      escaped += "\\\\";
    escaped += c;
  }
  std::string b = p + "_weights_begin", e = p + "_weights_end";
  return "__asm__(\".section .rodata\\n.balign 64\\n.globl " + b +
         "\\n.hidden " + b + "\\n" + b + ":\\n.incbin \\\"" + escaped +
         "\\\"\\n.globl " + e + "\\n.hidden " + e + "\\n" + e +
         ":\\n.previous\\n\");\nextern const unsigned char " + b + "[], " + e +
         "[];\nint nnc_instance_load_memory(nnc_instance *, const void *, "
         "unsigned long, const char *);\n";
}

/// In `create`: start from the compiled-in weights.
std::string weightsLoad(const std::string &p) {
  std::string b = p + "_weights_begin", e = p + "_weights_end";
  return "  if (*m && nnc_instance_load_memory((nnc_instance *)*m, " + b +
         ", (unsigned long)(" + e + " - " + b +
         "), \"the weights compiled in\")) {\n"
         "    nnc_instance_destroy((nnc_instance *)*m);\n    *m = 0;\n  }\n";
}

void writeLibraryGlue(llvm::raw_ostream &os, const std::string &p,
                      const ModelSignature &sig, const std::string &fn,
                      const Training *train, const std::string &weights) {
  os << "/* Generated by nnc: library " << p << " of model " << sig.model
     << ". */\n"
     << kGlueTypes << "typedef struct nnc_instance nnc_instance;\n";
  writeModel(os, sig, fn, "model");
  if (train) {
    const TrainPlan &plan = *train->plan;
    writeModel(os, train->step, plan.modelName + "_train_step", "step");
    writeModel(os, train->eval, plan.modelName + "_eval_step", "eval");
    os << "static const char *const hparam_names[] = {";
    for (const ScheduleInfo &sc : plan.schedules)
      if (!sc.model)
        os << quoted(sc.target) << ", ";
    os << "0};\nstatic const double hparam_values[] = {";
    for (const ScheduleInfo &sc : plan.schedules)
      if (!sc.model)
        os << llvm::format("%.17g", sc.base) << ", ";
    os << "0};\n"
       << "int nnc_instance_train_step(nnc_instance *, int64_t, const void "
          "*const *, double *);\n"
       << "int nnc_instance_eval_step(nnc_instance *, int64_t, const void "
          "*const *, double *, double *);\n"
       << "int nnc_instance_set_hparam(nnc_instance *, const char *, "
          "double);\n"
       << "void nnc_instance_set_epoch(nnc_instance *, int64_t);\n"
       << "nnc_instance *nnc_instance_create_training(const nnc_model *, "
          "const nnc_model *, const nnc_model *, int32_t, const char *const "
          "*, const double *, uint64_t);\n";
  }
  os << (weights.empty() ? std::string() : weightsEmbed(p, weights))
     << "nnc_instance *nnc_instance_create(const nnc_model *, uint64_t);\n"
     << "void nnc_instance_destroy(nnc_instance *);\n"
     << "int nnc_instance_forward(nnc_instance *, int64_t, const void *const "
        "*, void *const *);\n"
     << "int nnc_instance_load(nnc_instance *, const char *);\n"
     << "int nnc_instance_save(const nnc_instance *, const char *);\n"
     << "const char *nnc_last_error(void);\n"
     << "typedef struct " << p << " " << p << ";\n"
     << "int " << p << "_create(" << p << " **m, uint64_t seed) {\n"
     << (train ? "  *m = (" + p +
                     " *)nnc_instance_create_training(&model, &step, &eval, "
                     "sizeof hparam_values / sizeof *hparam_values - 1, "
                     "hparam_names, hparam_values, seed);\n"
               : "  *m = (" + p + " *)nnc_instance_create(&model, seed);\n")
     << (weights.empty() ? std::string() : weightsLoad(p))
     << "  return *m ? 0 : -1;\n}\n"
     << "void " << p << "_destroy(" << p
     << " *m) { nnc_instance_destroy((nnc_instance *)m); }\n"
     << "int " << p << "_forward(" << p << " *m, int64_t batch";
  std::vector<std::string> ins, outs;
  for (const ArgSignature &a : sig.args)
    if (a.kind == NNC_ARG_INPUT) {
      os << ", const void *" << cName(a.name);
      ins.push_back(cName(a.name));
    }
  for (const ArgSignature &r : sig.results) {
    os << ", void *" << cName(r.name);
    outs.push_back(cName(r.name));
  }
  os << ") {\n  const void *in[] = {" << llvm::join(ins, ", ")
     << (ins.empty() ? "0" : "") << "};\n  void *out[] = {"
     << llvm::join(outs, ", ") << "};\n"
     << "  return nnc_instance_forward((nnc_instance *)m, batch, in, out);\n}\n"
     << (train ? trainingGlue(p, *train) : std::string()) << "int " << p
     << "_load(" << p << " *m, const char *path) {\n"
     << "  return nnc_instance_load((nnc_instance *)m, path);\n}\n"
     << "int " << p << "_save(const " << p << " *m, const char *path) {\n"
     << "  return nnc_instance_save((const nnc_instance *)m, path);\n}\n"
     << "const char *" << p << "_error(void) { return nnc_last_error(); }\n";
}

void writePkgConfig(llvm::raw_ostream &os, const std::string &p,
                    const std::string &model, bool shared) {
  os << "prefix=${pcfiledir}\n\nName: " << p << "\nDescription: model " << model
     << " compiled by nnc\nVersion: " NNC_VERSION "\n"
     << "Cflags: -I${prefix}\nLibs: ";
  if (shared)
    os << "-L${prefix} -Wl,-rpath,${prefix} -l" << p << "\n";
  else
    os << "${prefix}/lib" << p << ".a -lz -lstdc++ -lm -lpthread\n";
}

/// `--weights FILE`: every parameter and state of the model in the file
/// with its dtype and shape (checked now, not when the app starts);
/// `absolute` receives the path the assembler reads.
bool checkWeights(const std::string &file, const ModelSignature &sig,
                  std::string &absolute, DiagnosticEngine &diags) {
  nnc_named_tensors w{};
  if (nnc_safetensors_load(file.c_str(), &w)) {
    diags.error(nnc_last_error());
    return false;
  }
  std::string problems;
  for (const ArgSignature &a : sig.args) {
    if (a.kind != NNC_ARG_PARAM && a.kind != NNC_ARG_STATE)
      continue;
    int64_t k = nnc_named_find(&w, a.name.c_str());
    bool fits = k >= 0 &&
                int(w.tensors[k].dtype) == runtimeDType(a.type.dtype) &&
                unsigned(w.tensors[k].rank) == a.type.rank();
    for (unsigned d = 0; fits && d < a.type.rank(); ++d)
      fits = w.tensors[k].dims[d] == a.type.dims[d].value;
    if (!fits)
      problems += (problems.empty() ? "'" : ", '") + a.name +
                  (k < 0 ? "' is missing" : "' has another dtype or shape");
  }
  nnc_named_free(&w);
  if (!problems.empty()) {
    diags.error("'" + file + "' does not fit model '" + sig.model +
                "': " + problems);
    return false;
  }
  llvm::SmallString<256> abs(file);
  llvm::sys::fs::make_absolute(abs);
  absolute = abs.str().str();
  return true;
}

/// NAMEConfig.cmake: `find_package(NAME)` gives the imported target
/// NAME::NAME with the header's folder and what the archive needs.
void writeCMakeConfig(llvm::raw_ostream &os, const std::string &p,
                      const std::string &model, bool shared) {
  os << "# " << p << "Config.cmake: model " << model
     << " compiled by nnc " NNC_VERSION " (nnc build --lib).\n"
     << "# find_package(" << p << ") gives the target " << p << "::" << p
     << ".\nif(NOT TARGET " << p << "::" << p << ")\n"
     << "  add_library(" << p << "::" << p << (shared ? " SHARED" : " STATIC")
     << " IMPORTED)\n"
     << "  set_target_properties(" << p << "::" << p << " PROPERTIES\n"
     << "    IMPORTED_LOCATION \"${CMAKE_CURRENT_LIST_DIR}/lib" << p
     << (shared ? ".so" : ".a") << "\"\n"
     << (shared ? "    IMPORTED_SONAME lib" + p + ".so\n" : "")
     << "    INTERFACE_INCLUDE_DIRECTORIES \"${CMAKE_CURRENT_LIST_DIR}\"";
  if (!shared)
    os << "\n    INTERFACE_LINK_LIBRARIES \"z;stdc++;m;pthread\"";
  os << ")\nendif()\n";
}

bool writeFile(const std::string &path, DiagnosticEngine &diags,
               const std::function<void(llvm::raw_ostream &)> &write) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
  if (ec) {
    diags.error("cannot write '" + path + "': " + ec.message());
    return false;
  }
  write(os);
  return true;
}

/// An LLVM tool next to clang-22 (`llvm-ar`, `ld.lld`, `llvm-objcopy`).
bool findLLVMTool(const char *name, std::string &path,
                  DiagnosticEngine &diags) {
  for (std::string n : {std::string(name) + "-22", std::string(name)}) {
    auto found = llvm::sys::findProgramByName(n, {"/usr/lib/llvm-22/bin"});
    if (found) {
      path = *found;
      return true;
    }
  }
  diags.error(std::string("nnc build --lib needs ") + name +
              " (llvm-22 and lld-22, which scripts/setup.sh installs)");
  return false;
}

/// One static library: the objects and the runtime members they use are
/// linked into one relocatable object (ld.lld -r) whose only global
/// symbols are the API's (`p_*`, llvm-objcopy), so that nothing of the
/// runtime, the C++ library or the compiled functions can clash with the
/// app's symbols or another model's library; then archived.
bool archiveStatic(const std::vector<std::string> &objects,
                   const std::string &runtimeLib, const std::string &p,
                   const std::string &output, DiagnosticEngine &diags) {
  std::string lld, objcopy, ar;
  if (!findLLVMTool("ld.lld", lld, diags) ||
      !findLLVMTool("llvm-objcopy", objcopy, diags) ||
      !findLLVMTool("llvm-ar", ar, diags))
    return false;
  llvm::SmallString<128> linked, hidden, keep;
  for (auto [path, ext] : {std::pair{&linked, "o"}, std::pair{&hidden, "o"},
                           std::pair{&keep, "txt"}})
    if (llvm::sys::fs::createTemporaryFile("nnc-lib", ext, *path)) {
      diags.error("cannot create temporary files");
      return false;
    }
  std::string tmp = output + ".tmp";
  llvm::sys::fs::remove(tmp);
  llvm::SmallVector<llvm::StringRef> link{lld, "-r", "-o", linked};
  for (const std::string &o : objects)
    link.push_back(o);
  link.push_back(runtimeLib);
  std::string keepFlag = "--keep-global-symbols=" + keep.str().str();
  bool ok =
      writeFile(keep.str().str(), diags,
                [&](llvm::raw_ostream &os) { os << p << "_*\n"; }) &&
      runTool(lld, link, "linking the library's object", diags) &&
      runTool(objcopy, {objcopy, "--wildcard", keepFlag, linked, hidden},
              "hiding the library's internal symbols", diags) &&
      runTool(ar, {ar, "rcs", tmp, hidden}, "writing '" + output + "'", diags);
  if (ok && llvm::sys::fs::rename(tmp, output)) {
    diags.error("cannot write '" + output + "'");
    ok = false;
  }
  for (auto *f : {&linked, &hidden, &keep})
    llvm::sys::fs::remove(*f);
  llvm::sys::fs::remove(tmp);
  return ok;
}

/// Links a shared library that exports only the `p_*` API and needs only
/// libc and libm (zlib and the C++ runtime linked in; --no-undefined).
bool linkShared(const std::string &clang,
                const std::vector<std::string> &objects,
                const std::string &runtimeLib, const std::string &p,
                const std::string &output, unsigned threads,
                DiagnosticEngine &diags) {
  llvm::SmallString<128> versions;
  if (llvm::sys::fs::createTemporaryFile("nnc-lib", "map", versions) ||
      !writeFile(versions.str().str(), diags, [&](llvm::raw_ostream &os) {
        os << "{ global: " << p << "_*; local: *; };\n";
      })) {
    diags.error("cannot create temporary files");
    return false;
  }
  std::string versionFlag = "-Wl,--version-script=" + versions.str().str();
  std::string soname = "-Wl,-soname," + llvm::sys::path::filename(output).str();
  llvm::SmallVector<llvm::StringRef> cmd{clang, "-shared"};
  for (const std::string &o : objects)
    cmd.push_back(o);
  cmd.append({runtimeLib, "-l:libz.a", "-l:libstdc++.a", "-static-libgcc",
              "-lm", "-Wl,--no-undefined", "-Wl,--gc-sections", versionFlag,
              soname, "-o", output});
  if (threads > 1)
    cmd.append(
        {"-L/usr/lib/llvm-22/lib", "-lomp", "-Wl,-rpath,/usr/lib/llvm-22/lib"});
#ifdef NNC_LLD
  const char *env = std::getenv("NNC_CLANG");
  if (!env || !*env)
    cmd.push_back("-fuse-ld=lld");
#endif
  bool ok = runTool(clang, cmd, "linking '" + output + "'", diags);
  llvm::sys::fs::remove(versions);
  if (!ok)
    llvm::sys::fs::remove(output);
  return ok;
}
} // namespace

int nnc::buildLibrary(const Entry &entry, const LibraryOptions &lo,
                      const CodegenOptions &opts, const char *argv0,
                      const llvm::SourceMgr &srcMgr, DiagnosticEngine &diags) {
  if (!llvm::StringRef(lo.output).ends_with(lo.shared ? ".so" : ".a")) {
    diags.error(lo.shared ? "--shared writes a shared library: -o libNAME.so"
                          : "--lib writes a static library: -o libNAME.a");
    return 1;
  }
  {
    // Fail on an unwritable output before compiling anything.
    std::error_code ec;
    llvm::raw_fd_ostream probe(lo.output, ec, llvm::sys::fs::OF_None);
    if (ec) {
      diags.error("cannot write '" + lo.output + "': " + ec.message());
      return 1;
    }
  }
  llvm::sys::fs::remove(lo.output);
  ModelSignature sig = signatureOf(*entry.graph, entry.name);
  if (!checkBatchOnly(sig, diags))
    return 1;
  std::string weightsPath;
  if (!lo.weights.empty() && !checkWeights(lo.weights, sig, weightsPath, diags))
    return 1;
  std::string clang, runtimeLib;
  if (!findClang(clang, diags) || !findRuntimeLibrary(argv0, runtimeLib, diags))
    return 1;
  std::string p = prefixOf(lo.output);
  llvm::SmallString<256> dir(llvm::sys::path::parent_path(lo.output));
  auto besideOutput = [&](const std::string &name) {
    llvm::SmallString<256> f(dir);
    llvm::sys::path::append(f, name);
    return f.str().str();
  };
  std::string header = lo.header.empty() ? besideOutput(p + ".h") : lo.header;
  llvm::SmallString<128> obj, glue, glueObj, trainObj;
  for (auto [path, ext] :
       {std::pair{&obj, "o"}, std::pair{&glue, "c"}, std::pair{&glueObj, "o"}})
    if (llvm::sys::fs::createTemporaryFile("nnc-lib", ext, *path)) {
      diags.error("cannot create temporary files");
      return 1;
    }
  struct Cleanup {
    std::vector<llvm::SmallString<128> *> files;
    ~Cleanup() {
      for (auto *f : files)
        llvm::sys::fs::remove(*f);
    }
  } cleanup{{&obj, &glue, &glueObj}};
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(obj, ec, llvm::sys::fs::OF_None);
    if (ec || emitStage(entry, Stage::Obj, opts, srcMgr, diags, os))
      return 1;
  }
  // The train block's steps, when the library trains too.
  std::optional<Training> training;
  if (lo.train) {
    if (llvm::sys::fs::createTemporaryFile("nnc-lib", "o", trainObj)) {
      diags.error("cannot create temporary files");
      return 1;
    }
    cleanup.files.push_back(&trainObj);
    std::vector<ModelSignature> sigs;
    std::error_code ec;
    llvm::raw_fd_ostream os(trainObj, ec, llvm::sys::fs::OF_None);
    if (ec || emitStage(*lo.train, Stage::Obj, opts, srcMgr, diags, os, &sigs))
      return 1;
    training = Training{lo.train->train, sigs[0], sigs[1]};
  }
  const Training *train = training ? &*training : nullptr;
  int64_t params = 0;
  for (const ArgSignature &a : sig.args)
    if (a.kind == NNC_ARG_PARAM || a.kind == NNC_ARG_STATE)
      params += perSample(a.type);
  if (!writeFile(glue.str().str(), diags,
                 [&](llvm::raw_ostream &os) {
                   writeLibraryGlue(os, p, sig, entry.name + "_forward", train,
                                    weightsPath);
                 }) ||
      !runTool(
          clang,
          {clang, "-c", "-O2", "-fPIC", "-w", glue.str(), "-o", glueObj.str()},
          "compiling the library's glue", diags))
    return 1;
  std::vector<std::string> objects{obj.str().str(), glueObj.str().str()};
  if (train)
    objects.push_back(trainObj.str().str());
  if (!(lo.shared ? linkShared(clang, objects, runtimeLib, p, lo.output,
                               opts.threads, diags)
                  : archiveStatic(objects, runtimeLib, p, lo.output, diags)))
    return 1;
  if (!writeFile(header, diags,
                 [&](llvm::raw_ostream &os) {
                   writeHeader(os, p, sig, params, train, lo.shared,
                               !lo.weights.empty());
                 }) ||
      !writeFile(besideOutput(p + ".pc"), diags,
                 [&](llvm::raw_ostream &os) {
                   writePkgConfig(os, p, sig.model, lo.shared);
                 }) ||
      !writeFile(besideOutput(p + "Config.cmake"), diags,
                 [&](llvm::raw_ostream &os) {
                   writeCMakeConfig(os, p, sig.model, lo.shared);
                 }))
    return 1;
  return 0;
}
