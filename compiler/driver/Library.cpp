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
#include "driver/ModelWeights.h"
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

/// A prefix the header cannot use: it names the handle's type, so it must
/// not be a C keyword or a name the C library or the glue already uses.
bool reservedPrefix(const std::string &p) {
  static const char *const kReserved[] = {
      "auto",     "break",    "case",     "char",    "const",   "continue",
      "default",  "do",       "double",   "else",    "enum",    "extern",
      "float",    "for",      "goto",     "if",      "inline",  "int",
      "long",     "register", "restrict", "return",  "short",   "signed",
      "sizeof",   "static",   "struct",   "switch",  "typedef", "union",
      "unsigned", "void",     "volatile", "while",   "bool",    "main",
      "free",     "malloc",   "calloc",   "realloc", "exit",    "abort",
      "printf",   "FILE",     "errno",    "size_t",  "time",    "signal",
      "int8_t",   "int16_t",  "int32_t",  "int64_t", "uint8_t", "uint16_t",
      "uint32_t", "uint64_t", "class",    "new",     "delete",  "this",
      "template", "namespace"};
  for (const char *r : kReserved)
    if (p == r)
      return true;
  return p == "nnc" || llvm::StringRef(p).starts_with("nnc_") ||
         llvm::StringRef(p).starts_with("_");
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

/// What an application links besides a static library (or object).
std::string staticLibs(unsigned threads) {
  return std::string("-lz -lstdc++ -lm -lpthread") +
         (threads > 1
              ? " -L/usr/lib/llvm-22/lib -Wl,-rpath,/usr/lib/llvm-22/lib "
                "-lomp"
              : "") +
         (*kSanitizerLinkFlag ? std::string(" ") + kSanitizerLinkFlag : "");
}

/// Threads and working memory, in the header.
void writeResourcesHeader(llvm::raw_ostream &os, const std::string &p,
                          unsigned threads, bool train) {
  std::string up = llvm::StringRef(p).upper();
  os << "/* Calls run on up to " << up << "_MAX_THREADS threads (nnc build "
     << "--threads N);\n   set_threads takes 1 to that many for this "
     << "instance's calls (default: all). */\n#define " << up << "_MAX_THREADS "
     << std::max(1u, threads) << "\nint " << p << "_set_threads(" << p
     << " *model, int threads);\n"
     << "/* The largest batch a call takes. */\n#define " << up
     << "_MAX_BATCH 2147483647\n"
     << "/* Bytes of working memory forward needs for `batch` samples: taken "
        "at the\n   first call on each thread, kept for the next ones and "
        "grown for a larger\n   batch; -1 if the batch is out of range. */\n"
     << "int64_t " << p << "_workspace_bytes(int64_t batch);\n";
  if (train)
    os << "/* The same for train_step and eval_step (the larger). */\n"
       << "int64_t " << p << "_train_workspace_bytes(int64_t batch);\n";
  os << "\n";
}

void writeHeader(llvm::raw_ostream &os, const std::string &p,
                 const std::string &file, const ModelSignature &sig,
                 int64_t params, const Training *train, bool shared,
                 bool weights, unsigned threads, bool int8, bool cuda) {
  std::string up = llvm::StringRef(p).upper();
  os << "/* " << p << ".h: model " << sig.model
     << " compiled by nnc " NNC_VERSION " (nnc build --lib).\n"
     << " *\n"
     << (shared ? " * Link: the shared library " + file +
                      " (it needs only libc and libm" +
                      (threads > 1 ? " and libomp" : "") + ")\n"
                : " * Link: " + file + ", then " + staticLibs(threads) + "\n")
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
     << (int8 ? "/* Built with --quantize=int8: products and convolutions "
                "by the weights run\n   with int8 operands on CPUs with "
                "AVX512-VNNI (f32 elsewhere). Each weight\n   matrix is "
                "quantized at the first forward call that reads it and kept "
                "until\n   _load or _destroy. */\n#define " +
                    up + "_INT8 1\n\n"
              : "")
     << (cuda ? "/* Built with --target=cuda: the model runs on an NVIDIA GPU "
                "through the CUDA\n   driver (libcuda.so.1, loaded at run "
                "time). Where there is none, _create\n   fails and _error "
                "says \"no CUDA device: ...\". */\n#define " +
                    up + "_CUDA 1\n\n"
              : "")
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
  writeResourcesHeader(os, p, threads, train != nullptr);
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

/// Dynamic dimensions of a function's arguments: the arity of its
/// `__nnc_workspace_bytes_<function>` (nnc-plan-buffers).
size_t dynamicDims(const ModelSignature &sig) {
  size_t n = 0;
  for (const ArgSignature &a : sig.args)
    for (const Dim &d : a.type.dims)
      n += !d.isConst();
  return n;
}

/// `__nnc_workspace_bytes_<function>(batch, batch, ...)` and its declaration.
std::pair<std::string, std::string> workspaceCall(const ModelSignature &sig,
                                                  const std::string &fn) {
  std::string name = "__nnc_workspace_bytes_" + fn;
  size_t n = dynamicDims(sig);
  std::string decl = "int64_t " + name + "(", call = name + "(";
  for (size_t k = 0; k < n; ++k) {
    decl += k ? ", int64_t" : "int64_t";
    call += k ? ", batch" : "batch";
  }
  return {decl + (n ? ");\n" : "void);\n"), call + ")"};
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
  auto [stepDecl, stepCall] =
      workspaceCall(t.step, t.plan->modelName + "_train_step");
  auto [evalDecl, evalCall] =
      workspaceCall(t.eval, t.plan->modelName + "_eval_step");
  os << stepDecl << evalDecl << "int64_t " << p
     << "_train_workspace_bytes(int64_t batch) {\n"
     << "  int64_t s, e;\n  if (batch < 1 || batch > 2147483647) return -1;\n"
     << "  s = " << stepCall << ";\n  e = " << evalCall
     << ";\n  return s > e ? s : e;\n}\n";
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
                      const Training *train, const std::string &weights,
                      unsigned threads, bool cuda) {
  os << "/* Generated by nnc: library " << p << " of model " << sig.model
     << ". */\n"
     << kGlueTypes << "typedef struct nnc_instance nnc_instance;\n";
  writeModel(os, sig, fn, "nnc_glue_model");
  if (train) {
    const TrainPlan &plan = *train->plan;
    writeModel(os, train->step, plan.modelName + "_train_step",
               "nnc_glue_step");
    writeModel(os, train->eval, plan.modelName + "_eval_step", "nnc_glue_eval");
    os << "static const char *const nnc_glue_hparam_names[] = {";
    for (const ScheduleInfo &sc : plan.schedules)
      if (!sc.model)
        os << quoted(sc.target) << ", ";
    os << "0};\nstatic const double nnc_glue_hparam_values[] = {";
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
     << "int nnc_instance_set_threads(nnc_instance *, int, int);\n"
     << "int nnc_instance_forward(nnc_instance *, int64_t, const void *const "
        "*, void *const *);\n"
     << "int nnc_instance_load(nnc_instance *, const char *);\n"
     << "int nnc_instance_save(const nnc_instance *, const char *);\n"
     << "const char *nnc_last_error(void);\n"
     << "typedef struct " << p << " " << p << ";\n"
     << "int nnc_set_error(const char *, ...);\n"
     << (cuda ? "int nnc_cuda_init(void);\n" : "") << "int " << p << "_create("
     << p << " **m, uint64_t seed) {\n"
     << "  if (!m)\n    return nnc_set_error(\"" << p
     << "_create: the place for the model is NULL\");\n"
     // --target=cuda: no instance without a device (its forward would end
     // the program at the first kernel).
     << (cuda ? "  *m = 0;\n  if (nnc_cuda_init() != 0)\n    return -1;\n" : "")
     << (train ? "  *m = (" + p +
                     " *)nnc_instance_create_training(&nnc_glue_model, "
                     "&nnc_glue_step, &nnc_glue_eval, sizeof "
                     "nnc_glue_hparam_values / sizeof "
                     "*nnc_glue_hparam_values - 1, nnc_glue_hparam_names, "
                     "nnc_glue_hparam_values, seed);\n"
               : "  *m = (" + p +
                     " *)nnc_instance_create(&nnc_glue_model, seed);\n")
     << (weights.empty() ? std::string() : weightsLoad(p)) << "  if (*m && "
     << threads << " > 1)\n    nnc_instance_set_threads("
     << "(nnc_instance *)*m, " << threads << ", " << threads << ");\n"
     << "  return *m ? 0 : -1;\n}\n"
     << "int " << p << "_set_threads(" << p << " *m, int threads) {\n"
     << "  return nnc_instance_set_threads((nnc_instance *)m, threads, "
     << threads << ");\n}\n"
     << workspaceCall(sig, fn).first << "int64_t " << p
     << "_workspace_bytes(int64_t batch) {\n"
     << "  if (batch < 1 || batch > 2147483647) return -1;\n  return "
     << workspaceCall(sig, fn).second << ";\n}\n"
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

/// `file` is the library's file name (libmlp.a, libmlp.so or mlp.o).
void writePkgConfig(llvm::raw_ostream &os, const std::string &p,
                    const std::string &file, const std::string &model,
                    bool shared, unsigned threads) {
  os << "prefix=${pcfiledir}\n\nName: " << p << "\nDescription: model " << model
     << " compiled by nnc\nVersion: " NNC_VERSION "\n"
     << "Cflags: -I${prefix}\nLibs: ${prefix}/" << file;
  if (shared)
    os << " -Wl,-rpath,${prefix}"
       << (*kSanitizerLinkFlag ? std::string(" ") + kSanitizerLinkFlag : "")
       << "\n";
  else
    os << " " << staticLibs(threads) << "\n";
}

/// `--weights FILE`: every parameter and state of the model in the file
/// with its dtype and shape (checked now, not when the app starts);
/// `absolute` receives the path the assembler reads.
bool checkWeights(const std::string &file, const ModelSignature &sig,
                  std::string &absolute, DiagnosticEngine &diags) {
  nnc_named_tensors w;
  if (!loadModelWeights(file, sig, w, diags))
    return false;
  nnc_named_free(&w);
  llvm::SmallString<256> abs(file);
  llvm::sys::fs::make_absolute(abs);
  absolute = abs.str().str();
  return true;
}

/// NAMEConfig.cmake: `find_package(NAME)` gives the imported target
/// NAME::NAME with the header's folder and what the archive needs.
void writeCMakeConfig(llvm::raw_ostream &os, const std::string &p,
                      const std::string &file, const std::string &model,
                      bool shared, unsigned threads) {
  os << "# " << p << "Config.cmake: model " << model
     << " compiled by nnc " NNC_VERSION " (nnc build --lib).\n"
     << "# find_package(" << p << ") gives the target " << p << "::" << p
     << ".\nif(NOT TARGET " << p << "::" << p << ")\n"
     << "  add_library(" << p << "::" << p << (shared ? " SHARED" : " STATIC")
     << " IMPORTED)\n"
     << "  set_target_properties(" << p << "::" << p << " PROPERTIES\n"
     << "    IMPORTED_LOCATION \"${CMAKE_CURRENT_LIST_DIR}/" << file << "\"\n"
     << (shared ? "    IMPORTED_SONAME " + file + "\n" : "")
     << "    INTERFACE_INCLUDE_DIRECTORIES \"${CMAKE_CURRENT_LIST_DIR}\"";
  if (!shared)
    os << "\n    INTERFACE_LINK_LIBRARIES \"z;stdc++;m;pthread"
       << (threads > 1 ? ";/usr/lib/llvm-22/lib/libomp.so" : "") << "\"";
  if (*kSanitizerLinkFlag)
    os << "\n    INTERFACE_LINK_OPTIONS \"" << kSanitizerLinkFlag << "\"";
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
/// app's symbols or another model's library; then archived (or, with
/// !archive, the object is the output: --emit=obj).
bool linkStatic(const std::vector<std::string> &objects,
                const std::string &runtimeLib, const std::string &p,
                const std::string &output, bool archive,
                DiagnosticEngine &diags) {
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
  bool ok = writeFile(keep.str().str(), diags,
                      [&](llvm::raw_ostream &os) { os << p << "_*\n"; }) &&
            runTool(lld, link, "linking the library's object", diags) &&
            runTool(objcopy,
                    {objcopy, "--wildcard", keepFlag, linked,
                     archive ? llvm::StringRef(hidden) : llvm::StringRef(tmp)},
                    "hiding the library's internal symbols", diags) &&
            (!archive || runTool(ar, {ar, "rcs", tmp, hidden},
                                 "writing '" + output + "'", diags));
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
  std::string tmp = output + ".tmp";
  cmd.append({runtimeLib, "-l:libz.a", "-l:libstdc++.a", "-static-libgcc",
              "-lm", "-Wl,--gc-sections", versionFlag, soname, "-o", tmp});
  // A sanitized library leaves the sanitizer runtime to the application
  // that loads it (which is linked with kSanitizerLinkFlag).
  if (*kSanitizerLinkFlag)
    cmd.push_back(kSanitizerLinkFlag);
  else
    cmd.push_back("-Wl,--no-undefined");
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
  if (ok && llvm::sys::fs::rename(tmp, output)) {
    diags.error("cannot write '" + output + "'");
    ok = false;
  }
  llvm::sys::fs::remove(tmp);
  return ok;
}
} // namespace

namespace {
/// Can `path` be written (a new file in an existing folder, or a regular
/// file)? Reported otherwise, before anything is compiled.
bool checkWritable(const std::string &path, const char *what,
                   DiagnosticEngine &diags) {
  namespace fs = llvm::sys::fs;
  if (fs::is_directory(path)) {
    diags.error("'" + path + "' is a folder: " + what);
    return false;
  }
  if (fs::exists(path)) {
    if (!fs::is_regular_file(path) || fs::access(path, fs::AccessMode::Write)) {
      diags.error("cannot write '" + path + "': not a writable file");
      return false;
    }
    return true;
  }
  std::string dir = llvm::sys::path::parent_path(path).str();
  if (dir.empty())
    dir = ".";
  if (!fs::is_directory(dir)) {
    diags.error("cannot write '" + path + "': the folder '" + dir +
                "' does not exist");
    return false;
  }
  if (fs::access(dir, fs::AccessMode::Write)) {
    diags.error("cannot write '" + path + "': the folder '" + dir +
                "' is not writable");
    return false;
  }
  return true;
}

/// What -o names: libNAME.a, libNAME.so (--shared) or NAME.o (--emit=obj);
/// false (reported) otherwise or when NAME cannot be the header's prefix.
bool checkOutputName(const LibraryOptions &lo, std::string &p,
                     DiagnosticEngine &diags) {
  llvm::StringRef out(lo.output);
  bool ok = lo.shared ? out.ends_with(".so")
                      : out.ends_with(".a") || out.ends_with(".o");
  if (!ok) {
    diags.error(lo.shared ? "--shared writes a shared library: -o libNAME.so"
                          : "--lib writes a static library (-o libNAME.a) or, "
                            "with --emit=obj, one object (-o NAME.o)");
    return false;
  }
  p = prefixOf(lo.output);
  if (reservedPrefix(p)) {
    diags.error("the library's name '" + p +
                "' would clash with C or the runtime (its functions are " + p +
                "_create, " + p +
                "_forward, ...): choose another, e.g. -o libmy_" + p +
                (lo.shared ? ".so" : ".a"));
    return false;
  }
  return checkWritable(lo.output, "-o names the library's file", diags);
}

/// The model's object code (and the train block's, into `trainObj`).
bool compileModel(const Entry &entry, const LibraryOptions &lo,
                  const CodegenOptions &opts, const llvm::SourceMgr &srcMgr,
                  const std::string &obj, const std::string &trainObj,
                  std::vector<ModelSignature> &trainSigs,
                  DiagnosticEngine &diags) {
  for (auto [e, path] :
       {std::pair{&entry, &obj}, std::pair{lo.train, &trainObj}}) {
    if (!e)
      continue;
    std::error_code ec;
    llvm::raw_fd_ostream os(*path, ec, llvm::sys::fs::OF_None);
    if (ec) {
      diags.error("cannot write '" + *path + "': " + ec.message());
      return false;
    }
    if (emitStage(*e, Stage::Obj, opts, srcMgr, diags, os,
                  e == lo.train ? &trainSigs : nullptr))
      return false;
  }
  return true;
}
} // namespace

int nnc::buildLibrary(const Entry &entry, const LibraryOptions &lo,
                      const CodegenOptions &codegen, const char *argv0,
                      const llvm::SourceMgr &srcMgr, DiagnosticEngine &diags) {
  std::string p;
  if (!checkOutputName(lo, p, diags))
    return 1;
  std::string file = llvm::sys::path::filename(lo.output).str();
  llvm::SmallString<256> dir(llvm::sys::path::parent_path(lo.output));
  auto besideOutput = [&](const std::string &name) {
    llvm::SmallString<256> f(dir);
    llvm::sys::path::append(f, name);
    return f.str().str();
  };
  std::string header = lo.header.empty() ? besideOutput(p + ".h") : lo.header;
  if (!checkWritable(header, "--header names the header's file", diags))
    return 1;
  ModelSignature sig = signatureOf(*entry.graph, entry.name);
  if (!checkBatchOnly(sig, diags))
    return 1;
  std::string weightsPath;
  if (!lo.weights.empty() && !checkWeights(lo.weights, sig, weightsPath, diags))
    return 1;
  std::string clang, runtimeLib;
  if (!findClang(clang, diags) || !findRuntimeLibrary(argv0, runtimeLib, diags))
    return 1;
  // Parallel regions take the instance's thread count (set_threads).
  CodegenOptions opts = codegen;
  opts.threadsAtRunTime = opts.threads > 1;
  llvm::SmallString<128> obj, glue, glueObj, trainObj;
  for (auto [path, ext] : {std::pair{&obj, "o"}, std::pair{&glue, "c"},
                           std::pair{&glueObj, "o"}, std::pair{&trainObj, "o"}})
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
  } cleanup{{&obj, &glue, &glueObj, &trainObj}};
  std::vector<ModelSignature> sigs;
  if (!compileModel(entry, lo, opts, srcMgr, obj.str().str(),
                    trainObj.str().str(), sigs, diags))
    return 1;
  std::optional<Training> training;
  if (lo.train)
    training = Training{lo.train->train, sigs[0], sigs[1]};
  const Training *train = training ? &*training : nullptr;
  int64_t params = 0;
  for (const ArgSignature &a : sig.args)
    if (a.kind == NNC_ARG_PARAM || a.kind == NNC_ARG_STATE)
      params += perSample(a.type);
  if (!writeFile(glue.str().str(), diags,
                 [&](llvm::raw_ostream &os) {
                   writeLibraryGlue(os, p, sig, entry.name + "_forward", train,
                                    weightsPath, opts.threads,
                                    !opts.gpuArch.empty());
                 }) ||
      !runTool(
          clang,
          {clang, "-c", "-O2", "-fPIC", "-w", glue.str(), "-o", glueObj.str()},
          "compiling the library's glue", diags))
    return 1;
  std::vector<std::string> objects{obj.str().str(), glueObj.str().str()};
  if (train)
    objects.push_back(trainObj.str().str());
  bool archive = llvm::StringRef(lo.output).ends_with(".a");
  if (!(lo.shared
            ? linkShared(clang, objects, runtimeLib, p, lo.output, opts.threads,
                         diags)
            : linkStatic(objects, runtimeLib, p, lo.output, archive, diags)))
    return 1;
  bool ok =
      writeFile(header, diags,
                [&](llvm::raw_ostream &os) {
                  writeHeader(os, p, file, sig, params, train, lo.shared,
                              !lo.weights.empty(), opts.threads, opts.int8,
                              !opts.gpuArch.empty());
                }) &&
      writeFile(besideOutput(p + ".pc"), diags,
                [&](llvm::raw_ostream &os) {
                  writePkgConfig(os, p, file, sig.model, lo.shared,
                                 opts.threads);
                }) &&
      writeFile(
          besideOutput(p + "Config.cmake"), diags, [&](llvm::raw_ostream &os) {
            writeCMakeConfig(os, p, file, sig.model, lo.shared, opts.threads);
          });
  if (!ok)
    llvm::sys::fs::remove(lo.output); // no library without its header
  return ok ? 0 : 1;
}
