//===- Pipeline.h - The stages after sema -----------------------*- C++ -*-===//
//
// The driver's view of code generation: which stage to stop at and where
// to print it. No MLIR header here; Pipeline.cpp holds the MLIR code so
// that main.cpp compiles in a second.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_DRIVER_PIPELINE_H
#define NNC_DRIVER_PIPELINE_H

#include "llvm/ADT/StringRef.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class SourceMgr;
class raw_ostream;
} // namespace llvm

namespace nnc {

class DiagnosticEngine;
struct ModelGraph;
struct Program;
struct TrainPlan;
struct ModelSignature;

/// What gets compiled: a model's forward function, or a file's `main`
/// block (a program whose arguments are data-set fields and freshly
/// initialised parameters and whose results are the printed tensors).
struct Entry {
  const ModelGraph *graph = nullptr;
  std::string name; ///< the function is <name>_forward
  bool isProgram = false;
  /// The graph has one scalar output (a loss): append its gradient with
  /// respect to every parameter (results named `grad.<param>`).
  bool gradients = false;
  bool wrtInputs = false; ///< gradients of the float inputs too, first
  bool training = false;  ///< dropout and batch norm in training mode
  bool f64 = false;       ///< compute in f64 what is declared f32
  /// --seed: the seeds of random ops and dropout without `seed:` (train
  /// steps take theirs at run time, through the step's stream).
  uint64_t seed = 0;
  /// A train block: `<name>_train_step` and `<name>_eval_step` instead of
  /// a forward function (graph is then the plan's loss graph).
  const TrainPlan *train = nullptr;
  /// With `train`: the step exchanges its gradients with the other ranks
  /// of an MPI job (data-parallel training; no-ops outside MPI).
  bool collectives = false;
};

/// The file's entry: its `main` block if it has one, else the model.
Entry entryOf(const Program &program);
/// The loss of the file's first train block, with its gradients; without
/// a train block, a model whose one output is a float scalar. An entry
/// without a graph if there is neither.
Entry lossEntryOf(const Program &program, bool wrtInputs = false);

/// A loss that a custom `step` block minimises (`opt.minimize(...)`), as a
/// function of the data and every parameter, with its gradients.
struct ObjectiveEntry {
  /// The step's graph with this loss as its one output.
  std::shared_ptr<const ModelGraph> graph;
  Entry entry; ///< points at `graph`
  /// The parameters its optimizer updates (the gradients that matter: the
  /// others may be cut by stop_gradient on purpose, as a GAN's are).
  std::vector<std::string> params;
};
/// One per `minimize` of the first custom `step` block (none without one).
std::vector<ObjectiveEntry> objectiveEntriesOf(const Program &program,
                                               bool wrtInputs = false);

/// The file's first train block (an entry without a graph if none).
Entry trainEntryOf(const Program &program);

/// Where `nnc build --emit=` stops after sema, in pipeline order.
enum class Stage {
  NN,      ///< the nn dialect from MLIRGen
  Linalg,  ///< after lowering nn to linalg/tensor/arith/math
  Buffers, ///< memrefs: after bufferization, kernel calls and the buffer plan
  GPU,     ///< --target=cuda: kernels outlined into gpu.module ops
  NVVM,    ///< --target=cuda: the kernels in the NVVM and LLVM dialects
  PTX,     ///< --target=cuda: the kernels' PTX
  LLVM,    ///< the LLVM dialect after bufferization and lowering
  LLVMIR,  ///< LLVM IR, optimised
  Asm,     ///< target assembly
  Obj      ///< a relocatable object file
};

struct CodegenOptions {
  std::string cpu; ///< "" = the host CPU (with its features)
  unsigned optLevel = 3;
  /// > 1: the outer parallel loop of every op is an OpenMP loop (libomp),
  /// run on this many threads.
  unsigned threads = 1;
  /// With threads > 1: parallel regions take their thread count from
  /// OpenMP's setting of the calling thread (omp_set_num_threads, which a
  /// library's set_threads makes), `threads` at most, instead of always
  /// `threads`.
  bool threadsAtRunTime = false;
  /// f32 products and convolutions call the runtime's GEMM kernels
  /// (nnc-kernel-calls); false: plain loops, for comparing results.
  bool kernels = true;
  /// --quantize=int8: the products and convolutions of inference
  /// functions by a parameter run in int8 (NNC_KERNEL_INT8).
  bool int8 = false;
  /// --target=cuda: the GPU's chip (sm_80, ...); "" compiles for the CPU.
  std::string gpuArch;
  /// --target=cuda: the CUDA toolkit (its libdevice); "" if none.
  std::string cudaPath;
  /// --emulate-gpu-loops (tests): the GPU's loop nests on the CPU.
  bool gpuLoopsOnCpu = false;
  /// --target=cuda (and its emulation): products in shared-memory tiles.
  bool gpuTiles = true;
  /// Report per .nn line what was fused, what runs on kernels and how
  /// buffers were planned (--remarks), to stderr.
  bool remarks = false;
  /// Compiled objects are taken from and stored in the compile cache
  /// (false: --no-cache).
  bool cache = true;
};

/// Registers MLIR's pass-manager, context and printer options (hidden
/// flags of nnc: --mlir-print-ir-after=PASS, --mlir-timing, ...); call
/// before parsing the command line.
void registerMLIROptions();

/// Generates the program's model and runs the pipeline up to `stage`,
/// writing its textual (or, for Obj, binary) form to `os`. Returns the
/// process exit code.
/// For a train entry, `trainSignatures` (if given) receives the contracts
/// of `<Model>_train_step` and `<Model>_eval_step`.
int emitStage(const Entry &entry, Stage stage, const CodegenOptions &opts,
              const llvm::SourceMgr &srcMgr, DiagnosticEngine &diags,
              llvm::raw_ostream &os,
              std::vector<ModelSignature> *trainSignatures = nullptr);

} // namespace nnc

#endif // NNC_DRIVER_PIPELINE_H
