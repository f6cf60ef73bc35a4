//===- main.cpp - The nnc command-line driver -----------------------------===//
//
// One binary, several subcommands (llvm::cl::SubCommand): `check`,
// `summary`, `build`, `run`, `repl`. Each stage of the pipeline can be
// dumped with `--emit=` so that it can be tested on its own. Exit codes:
// 0 success, 1 errors in the user's program or input, 2 a feature that is
// not implemented yet.
//
//===----------------------------------------------------------------------===//
#include "ast/AST.h"
#include "driver/CompileCache.h"
#include "driver/Executable.h"
#include "driver/GpuTarget.h"
#include "driver/Gradcheck.h"
#include "driver/Library.h"
#include "driver/OptionCheck.h"
#include "driver/Pipeline.h"
#include "driver/Plot.h"
#include "driver/Runner.h"
#include "driver/Sweep.h"
#include "driver/Timing.h"
#include "driver/Train.h"
#include "lexer/Lexer.h"
#include "onnx/OnnxExport.h"
#include "onnx/OnnxImport.h"
#include "parser/Parser.h"
#include "pipelines/Pipelines.h"
#include "repl/Repl.h"
#include "sema/Sema.h"
#include "summary/Summary.h"
#include "support/Diagnostics.h"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include "nnc/runtime.h"

using namespace nnc;
namespace cl = llvm::cl;

#ifndef NNC_VERSION
#define NNC_VERSION "0.0.0"
#endif

static cl::OptionCategory nncCat("nnc options");
static cl::SubCommand checkCmd("check", "Parse and type-check a .nn file "
                                        "(names, types, symbolic shapes)");
static cl::SubCommand summaryCmd("summary", "Print a Keras-style model "
                                            "summary: shapes, params, FLOPs");
static cl::SubCommand buildCmd("build", "Compile a .nn file (use --emit= to "
                                        "dump a pipeline stage)");
static cl::SubCommand runCmd("run", "JIT-compile and run a .nn file's main "
                                    "block, or a model forward (--forward)");
static cl::SubCommand
    replCmd("repl", "Interactive JIT REPL: define layers and models, evaluate "
                    "expressions, train, look at the IR (nnc repl [FILE.nn])");
static cl::SubCommand
    plotCmd("plot", "Draw the training curves of a --metrics-out file as a PNG "
                    "(nnc plot metrics.jsonl -o curves.png)");
static cl::SubCommand
    predictCmd("predict",
               "Run a trained model over a data set: predictions to CSV or "
               "NPY, accuracy and confusion matrix when it has labels");
static cl::SubCommand cacheCmd("cache",
                               "The compile cache: 'nnc cache clear' removes "
                               "every entry, 'nnc cache' shows where it is "
                               "and its size");
static cl::list<std::string> cacheArgs(cl::Positional, cl::desc("[clear]"),
                                       cl::sub(cacheCmd), cl::cat(nncCat));
static cl::SubCommand
    exportCmd("export", "Write a trained model's inference graph with a "
                        "checkpoint's weights as an ONNX file (nnc export "
                        "FILE.nn --checkpoint C.safetensors -o model.onnx)");
static cl::SubCommand
    importCmd("import", "Write an ONNX model as a .nn model and its "
                        "initializers as a safetensors file (nnc import "
                        "model.onnx -o model.nn)");
static cl::opt<std::string>
    importWeights("weights",
                  cl::desc("import: where the initializers go (default: the "
                           "output's name with .safetensors)"),
                  cl::value_desc("file.safetensors"), cl::sub(importCmd),
                  cl::cat(nncCat));
static cl::opt<std::string>
    importName("name",
               cl::desc("import: the model's name (default: from the "
                        "output file's name)"),
               cl::value_desc("Name"), cl::sub(importCmd), cl::cat(nncCat));
static cl::SubCommand initCmd("init",
                              "Write the first train block's initial "
                              "parameters (and zero optimizer state) as a "
                              "checkpoint that --resume accepts; for a model "
                              "without a train block (or --model NAME), its "
                              "initial parameters");

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<file.nn>"),
                                      cl::sub(checkCmd), cl::sub(summaryCmd),
                                      cl::sub(buildCmd), cl::sub(runCmd),
                                      cl::sub(initCmd), cl::sub(predictCmd),
                                      cl::sub(plotCmd), cl::sub(replCmd),
                                      cl::sub(exportCmd), cl::sub(importCmd),
                                      cl::sub(sweepCommand()), cl::cat(nncCat));

enum class Emit {
  None,
  Tokens,
  Ast,
  Graph,
  NN,
  Grad,
  Train,
  Linalg,
  Buffers,
  GPU,
  NVVM,
  PTX,
  LLVM,
  LLVMIR,
  Asm,
  Obj
};
static cl::opt<Emit>
    emit("emit", cl::desc("Stop after a stage and print it"),
         cl::init(Emit::None),
         cl::values(clEnumValN(Emit::Tokens, "tokens", "the token stream"),
                    clEnumValN(Emit::Ast, "ast", "the syntax tree"),
                    clEnumValN(Emit::Graph, "graph",
                               "the dataflow graph sema traced for a model"),
                    clEnumValN(Emit::NN, "nn", "the model in the nn dialect"),
                    clEnumValN(Emit::Grad, "grad",
                               "the first train block's loss and its "
                               "gradients (nn dialect, after reverse mode)"),
                    clEnumValN(Emit::Train, "train",
                               "the first train block's train and eval steps "
                               "(nn dialect: forward, gradients, optimizer "
                               "update)"),
                    clEnumValN(Emit::Linalg, "linalg",
                               "after lowering to linalg on tensors"),
                    clEnumValN(Emit::Buffers, "buffers",
                               "memrefs after bufferization, kernel calls and "
                               "the static buffer plan"),
                    clEnumValN(Emit::GPU, "gpu",
                               "--target=cuda: the host code and each op's "
                               "kernel (gpu dialect)"),
                    clEnumValN(Emit::NVVM, "nvvm",
                               "--target=cuda: the kernels in the NVVM "
                               "dialect"),
                    clEnumValN(Emit::PTX, "ptx",
                               "--target=cuda: the kernels' PTX"),
                    clEnumValN(Emit::LLVM, "llvm", "the LLVM dialect"),
                    clEnumValN(Emit::LLVMIR, "llvm-ir", "optimised LLVM IR"),
                    clEnumValN(Emit::Asm, "asm", "target assembly"),
                    clEnumValN(Emit::Obj, "obj",
                               "a relocatable object file (to -o, or stdout)")),
         cl::sub(checkCmd), cl::sub(buildCmd), cl::cat(nncCat));

static cl::opt<std::string>
    modelName("model",
              cl::desc("Model to elaborate (default: the train block's model, "
                       "else the first model)"),
              cl::value_desc("name"), cl::sub(checkCmd), cl::sub(summaryCmd),
              cl::sub(buildCmd), cl::sub(runCmd), cl::sub(predictCmd),
              cl::sub(exportCmd), cl::sub(initCmd), cl::cat(nncCat));
static cl::opt<std::string> instanceOpt(
    "instance",
    cl::desc("export, predict, run --forward: the instance whose weights to "
             "take from a checkpoint that holds several (gen for "
             "gen.dense_1.w; default: the one that fits)"),
    cl::value_desc("name"), cl::sub(exportCmd), cl::sub(runCmd),
    cl::sub(predictCmd), cl::cat(nncCat));

static cl::list<std::string>
    dimValues("dim",
              cl::desc("Value of a symbolic dimension for per-sample figures, "
                       "e.g. --dim T=64 (B is 1)"),
              cl::value_desc("NAME=VALUE"), cl::sub(summaryCmd),
              cl::cat(nncCat));

static cl::opt<unsigned> depth("depth",
                               cl::desc("Levels of nested layers to list"),
                               cl::init(1), cl::sub(summaryCmd),
                               cl::cat(nncCat));

static cl::list<std::string>
    includeDirs("I", cl::desc("Add a directory to the module search path"),
                cl::value_desc("dir"), cl::Prefix, cl::sub(checkCmd),
                cl::sub(summaryCmd), cl::sub(buildCmd), cl::sub(runCmd),
                cl::sub(initCmd), cl::sub(predictCmd), cl::sub(replCmd),
                cl::sub(exportCmd), cl::sub(sweepCommand()), cl::cat(nncCat));

static cl::list<std::string> setValues(
    "set",
    cl::desc("Replace every model or optimizer hyper-parameter NAME (and a "
             "top-level 'let NAME') with VALUE, e.g. --set hidden=512 --set "
             "lr=3e-4; repeatable"),
    cl::value_desc("NAME=VALUE"), cl::sub(checkCmd), cl::sub(summaryCmd),
    cl::sub(buildCmd), cl::sub(runCmd), cl::sub(initCmd), cl::sub(predictCmd),
    cl::sub(exportCmd), cl::sub(sweepCommand()), cl::cat(nncCat));

static cl::opt<std::string>
    outputFile("o", cl::desc("Output file"), cl::value_desc("file"),
               cl::sub(buildCmd), cl::sub(runCmd), cl::sub(initCmd),
               cl::sub(predictCmd), cl::sub(plotCmd), cl::sub(exportCmd),
               cl::sub(importCmd), cl::sub(sweepCommand()), cl::cat(nncCat));
static cl::opt<std::string> dataOpt(
    "data",
    cl::desc("The data set to predict: an expression of the file's scope, "
             "e.g. 'fashion_mnist(\"test\")', 'npy(\"x.npy\", [28, 28])' or "
             "'image(\"shirt.png\", 28, 28, 1)'"),
    cl::value_desc("expr"), cl::sub(predictCmd), cl::cat(nncCat));
static cl::opt<int32_t> topKOpt("top-k",
                                cl::desc("Classes (with probabilities) per "
                                         "CSV row (default 3)"),
                                cl::value_desc("K"), cl::init(3),
                                cl::sub(predictCmd), cl::cat(nncCat));

static cl::opt<unsigned>
    benchRuns("bench",
              cl::desc("With --forward: time N more runs and print the median "
                       "and 10th/90th percentile milliseconds"),
              cl::value_desc("N"), cl::init(0), cl::sub(runCmd),
              cl::cat(nncCat));

static cl::opt<uint64_t>
    seedValue("seed",
              cl::desc("Seed of parameter initialisation, shuffling, dropout "
                       "and random ops without a seed: of their own"),
              cl::init(0), cl::sub(runCmd), cl::sub(buildCmd), cl::sub(initCmd),
              cl::sub(replCmd), cl::sub(sweepCommand()), cl::cat(nncCat));

// Training (`nnc run FILE.nn` of a train block); unset = the file's value.
static cl::opt<int64_t> epochsOpt("epochs",
                                  cl::desc("Train for E epochs (overrides "
                                           "the file)"),
                                  cl::value_desc("E"), cl::sub(runCmd),
                                  cl::sub(sweepCommand()), cl::cat(nncCat));
static cl::opt<int64_t> batchOpt("batch",
                                 cl::desc("Batch size (overrides the file; "
                                          "predict: default 256)"),
                                 cl::value_desc("B"), cl::sub(runCmd),
                                 cl::sub(predictCmd), cl::cat(nncCat));
static cl::opt<unsigned> threadsOpt(
    "threads",
    cl::desc("Threads of generated code: each op's outer parallel loop runs "
             "on N threads with OpenMP (default 1)"),
    cl::value_desc("N"), cl::init(1), cl::sub(runCmd), cl::sub(buildCmd),
    cl::sub(predictCmd), cl::sub(replCmd), cl::sub(sweepCommand()),
    cl::cat(nncCat));
static cl::opt<std::string> precisionOpt(
    "precision",
    cl::desc("Precision of training's products and convolutions (overrides "
             "the train block's 'precision'): f32, or bf16 (bf16 operands, "
             "f32 sums, on CPUs with AVX512-BF16; f32 elsewhere)"),
    cl::value_desc("f32|bf16"), cl::sub(runCmd), cl::sub(buildCmd),
    cl::sub(checkCmd), cl::sub(sweepCommand()), cl::cat(nncCat));
static cl::opt<std::string> quantizeOpt(
    "quantize",
    cl::desc("Inference in int8: the model's products and convolutions by "
             "its weights take int8 operands with int32 sums (weights per "
             "output channel, activations per sample; AVX512-VNNI, f32 "
             "elsewhere); for run --forward, predict and build (not "
             "training)"),
    cl::value_desc("int8|none"), cl::sub(runCmd), cl::sub(buildCmd),
    cl::sub(predictCmd), cl::cat(nncCat));
static cl::opt<std::string> targetOpt(
    "target",
    cl::desc("Where the generated code runs: cpu (default), or cuda: an "
             "NVIDIA GPU, through the CUDA driver loaded at run time (see "
             "docs/gpu.md)"),
    cl::value_desc("cpu|cuda"), cl::init("cpu"), cl::sub(runCmd),
    cl::sub(buildCmd), cl::sub(predictCmd), cl::cat(nncCat));
static cl::opt<std::string> gpuArchOpt(
    "gpu-arch",
    cl::desc("With --target=cuda: the GPU generation the kernels are "
             "compiled for (default: run and predict the GPU's own, build "
             "sm_80, which newer GPUs run too)"),
    cl::value_desc("sm_NN"), cl::init("sm_80"), cl::sub(runCmd),
    cl::sub(buildCmd), cl::sub(predictCmd), cl::cat(nncCat));
static cl::opt<std::string> cudaPathOpt(
    "cuda-path",
    cl::desc("With --target=cuda: the CUDA toolkit whose libdevice defines "
             "the kernels' math functions (default: the one found when nnc "
             "was built, $CUDA_HOME, or /usr/local/cuda)"),
    cl::value_desc("dir"), cl::sub(runCmd), cl::sub(buildCmd),
    cl::sub(predictCmd), cl::cat(nncCat));
static cl::opt<bool> emulateGpuLoops(
    "emulate-gpu-loops",
    cl::desc("For testing --target=cuda without a GPU: run, on the CPU and "
             "in order, the loop nests the GPU would launch (parallel loops "
             "first, collapsed, tiled by the block size)"),
    cl::Hidden, cl::sub(runCmd), cl::sub(buildCmd), cl::sub(predictCmd),
    cl::cat(nncCat));
static cl::opt<bool> gpuTilesOpt(
    "gpu-tiles",
    cl::desc("With --target=cuda: matrix products and convolutions of at "
             "least 32 x 32 outputs run as 64 x 64 tiles staged through "
             "shared memory (default); --gpu-tiles=false: one thread per "
             "output element, for comparison (see docs/gpu.md)"),
    cl::init(true), cl::sub(runCmd), cl::sub(buildCmd), cl::sub(predictCmd),
    cl::cat(nncCat));
static cl::opt<bool> noKernels(
    "no-kernels",
    cl::desc("Lower f32 matrix products and convolutions to plain loops "
             "instead of calls of the runtime's GEMM kernels (slower; for "
             "checking results)"),
    cl::sub(runCmd), cl::sub(buildCmd), cl::sub(replCmd), cl::cat(nncCat));
static cl::opt<bool> remarks(
    "remarks",
    cl::desc("Report, per .nn line, what code generation did: operations "
             "fused into one loop (and with what), what was not fused and "
             "why, what runs on the runtime's kernels, and each function's "
             "buffer plan"),
    cl::sub(runCmd), cl::sub(buildCmd), cl::sub(replCmd), cl::cat(nncCat));
static cl::opt<bool> trainExecutable(
    "train",
    cl::desc("With -o: build an executable that trains the first train block "
             "(its command line: --epochs, --batch, --seed, --checkpoint, "
             "--resume, --metrics-out, --limit, --no-progress); with "
             "--emit=linalg|buffers|llvm|...: print that stage of the train "
             "and eval steps"),
    cl::sub(buildCmd), cl::cat(nncCat));
static cl::opt<bool> libraryOpt(
    "lib",
    cl::desc("With -o libNAME.a: a static library of the model's forward "
             "function with a C header (NAME.h) and a pkg-config file "
             "(NAME.pc) next to it; see docs/embedding.md"),
    cl::sub(buildCmd), cl::cat(nncCat));
static cl::opt<bool> sharedOpt(
    "shared",
    cl::desc("With --lib: a shared library (-o libNAME.so) that exports only "
             "the header's functions and needs only libc and libm"),
    cl::sub(buildCmd), cl::cat(nncCat));
static cl::opt<std::string> weightsOpt(
    "weights",
    cl::desc("With --lib: compile these trained weights (safetensors, e.g. "
             "the train block's checkpoint) into the library; its create "
             "function starts from them"),
    cl::value_desc("file.safetensors"), cl::sub(buildCmd), cl::cat(nncCat));
static cl::opt<std::string>
    headerOpt("header",
              cl::desc("With --lib: where the C header goes (default: "
                       "NAME.h next to the library)"),
              cl::value_desc("file.h"), cl::sub(buildCmd), cl::cat(nncCat));
static cl::opt<std::string> metricsOut(
    "metrics-out",
    cl::desc("Write one JSON object per epoch (epoch, loss, accuracy, "
             "val_loss, val_accuracy, each metric and val_<metric>, lr, "
             "samples_per_sec, seconds) and a final one (final, "
             "test_accuracy, test_loss, steps, seconds, peak_rss_mb) to this "
             "file; predict: one JSON object of the metrics"),
    cl::value_desc("file"), cl::sub(runCmd), cl::sub(predictCmd),
    cl::cat(nncCat));
static cl::opt<int64_t> foldsOpt(
    "folds",
    cl::desc("K-fold cross-validation (overrides the file's 'folds K'): K "
             "models, each validated on its held-out fold (stratified by "
             "label), per-fold and mean +- std of the validation metrics"),
    cl::value_desc("K"), cl::sub(runCmd), cl::sub(sweepCommand()),
    cl::cat(nncCat));
static cl::opt<std::string>
    oofOpt("oof",
           cl::desc("With folds: where the out-of-fold predictions go (.csv or "
                    ".npy; default <checkpoint>.oof.csv)"),
           cl::value_desc("file"), cl::sub(runCmd), cl::cat(nncCat));
static cl::opt<bool> syncBnOpt(
    "sync-bn",
    cl::desc("Under MPI (mpirun -np N nnc run): average the batch-norm "
             "running statistics over the ranks after each epoch"),
    cl::sub(runCmd), cl::cat(nncCat));
static cl::opt<bool> distributedOpt(
    "distributed",
    cl::desc("With --emit: compile the train step's gradient exchange of "
             "data-parallel training (on by itself under mpirun and in "
             "executables of build --train)"),
    cl::cat(nncCat));
static cl::opt<std::string>
    resumeFile("resume",
               cl::desc("Continue training from a checkpoint (parameters, "
                        "optimizer state, epoch and step counters)"),
               cl::value_desc("file.safetensors"), cl::sub(runCmd),
               cl::cat(nncCat));
static cl::opt<std::string> checkpointOpt(
    "checkpoint",
    cl::desc("Checkpoint file, written atomically after every epoch and on "
             "Ctrl-C (overrides the file's 'checkpoint'); with --forward and "
             "predict and export: the trained parameters to run with"),
    cl::value_desc("file.safetensors"), cl::sub(runCmd), cl::sub(exportCmd),
    cl::cat(nncCat));
static cl::list<std::string> predictCheckpoints(
    "checkpoint",
    cl::desc("The trained parameters to predict with; several (repeated, or "
             "separated by commas) are an ensemble whose predictions are "
             "averaged"),
    cl::value_desc("file.safetensors"), cl::CommaSeparated, cl::sub(predictCmd),
    cl::cat(nncCat));
static cl::opt<std::string> averageOpt(
    "average",
    cl::desc("predict: how an ensemble or TTA averages a classifier: 'probs' "
             "(the class probabilities, default) or 'logits' (the raw "
             "outputs)"),
    cl::value_desc("probs|logits"), cl::init("probs"), cl::sub(predictCmd),
    cl::cat(nncCat));
static cl::opt<std::string> ttaOpt(
    "tta",
    cl::desc("predict: test-time augmentation, e.g. 'flip, crop(2)' (the mean "
             "over the data, its flip and shifts by 2 pixels); default: the "
             "train block's tta clause; 'none': none"),
    cl::value_desc("views"), cl::sub(predictCmd), cl::cat(nncCat));
static cl::opt<int> opsetOpt("opset",
                             cl::desc("The ONNX opset nnc export writes "
                                      "(13 to 17; default 17)"),
                             cl::init(17), cl::sub(exportCmd), cl::cat(nncCat));
static cl::opt<bool>
    noProgress("no-progress",
               cl::desc("No live progress line, only one line per epoch "
                        "(the default when stderr is not a terminal)"),
               cl::sub(runCmd), cl::sub(predictCmd), cl::cat(nncCat));
static cl::opt<int64_t>
    limitOpt("limit",
             cl::desc("Use only the first N samples of each data set "
                      "(quick runs and tests)"),
             cl::value_desc("N"), cl::init(0), cl::sub(runCmd),
             cl::sub(sweepCommand()), cl::cat(nncCat));

static cl::opt<std::string> forwardInputs(
    "forward",
    cl::desc("Run the model forward once on the inputs and parameters in "
             "this safetensors file (tensors named by input name and "
             "parameter path, e.g. image, dense_1.w); print the outputs or "
             "write them to -o FILE.safetensors"),
    cl::value_desc("file.safetensors"), cl::sub(runCmd), cl::cat(nncCat));

static cl::opt<std::string> gradientInputs(
    "gradients",
    cl::desc("Evaluate the first train block's loss and its gradient with "
             "respect to every parameter on the data fields and parameters "
             "in this safetensors file (e.g. image, label, dense_1.w); print "
             "them or write them to -o FILE.safetensors (as loss and "
             "grad.<parameter>)"),
    cl::value_desc("file.safetensors"), cl::sub(runCmd), cl::cat(nncCat));

static cl::opt<bool>
    wrtInputs("wrt-inputs",
              cl::desc("With --gradients, --emit=grad or --gradcheck: also "
                       "differentiate with "
                       "respect to the float inputs (grad.<input>)"),
              cl::sub(runCmd), cl::sub(buildCmd), cl::sub(checkCmd),
              cl::cat(nncCat));

static cl::opt<bool> gradcheck(
    "gradcheck",
    cl::desc("Compare the compiled gradients of the first train block's loss "
             "(every parameter; inputs with --wrt-inputs) with central finite "
             "differences in f64 on a small random batch; exit 1 above "
             "--tolerance"),
    cl::sub(checkCmd), cl::cat(nncCat));

static cl::opt<double>
    tolerance("tolerance",
              cl::desc("With --gradcheck: the worst |fd - grad| / (|grad| + "
                       "0.01) allowed (default 1e-3: PyTorch gradcheck's "
                       "atol 1e-5, rtol 1e-3)"),
              cl::init(1e-3), cl::sub(checkCmd), cl::cat(nncCat));

static cl::opt<unsigned> gradcheckSamples(
    "samples",
    cl::desc("With --gradcheck: elements checked per tensor (default 12)"),
    cl::value_desc("N"), cl::init(12), cl::sub(checkCmd), cl::cat(nncCat));

static cl::opt<std::string>
    cpuName("cpu",
            cl::desc("Target CPU for --emit=asm|obj (default: this machine's, "
                     "e.g. x86-64-v3 for portable output)"),
            cl::value_desc("name"), cl::sub(buildCmd), cl::cat(nncCat));

static cl::opt<unsigned> optLevelOpt(
    "O", cl::desc("LLVM optimisation level of generated code, 0-3 (default 3)"),
    cl::Prefix, cl::init(3), cl::sub(runCmd), cl::sub(buildCmd),
    cl::sub(replCmd), cl::cat(nncCat));

static cl::opt<bool> timing(
    "timing",
    cl::desc("Print the time of each compilation stage (front end, MLIRGen, "
             "autodiff, each pass, LLVM, code generation) to stderr at exit"),
    cl::sub(runCmd), cl::sub(buildCmd), cl::sub(initCmd), cl::cat(nncCat));

static cl::opt<bool>
    noCache("no-cache",
            cl::desc("Compile afresh: neither read nor write the compile cache "
                     "(see 'nnc cache'; also NNC_NO_CACHE=1)"),
            cl::sub(runCmd), cl::sub(buildCmd), cl::sub(replCmd),
            cl::cat(nncCat));

/// The code generation options of the command line: --cpu, --threads,
/// --no-kernels (--cpu is "" where it is not an option: the host CPU).
static CodegenOptions codegenOptions() {
  CodegenOptions co;
  co.cpu = cpuName;
  co.threads = std::max(1u, unsigned(threadsOpt));
  co.kernels = !noKernels;
  co.int8 = quantizeOpt == "int8";
  co.remarks = remarks;
  if (targetOpt == "cuda") {
    co.gpuArch = gpuArchOpt;
    co.cudaPath = cudaPathOpt.getNumOccurrences() ? std::string(cudaPathOpt)
                                                  : defaultCudaPath();
  }
  co.gpuLoopsOnCpu = emulateGpuLoops;
  co.gpuTiles = gpuTilesOpt;
  if (!co.gpuArch.empty() || co.gpuLoopsOnCpu) {
    // The GPU's loops are its own kernels: no CPU GEMM calls, no OpenMP.
    co.kernels = false;
    co.threads = 1;
  }
  co.optLevel = std::min(3u, unsigned(optLevelOpt));
  const char *env = std::getenv("NNC_NO_CACHE");
  co.cache = !noCache && !(env && *env && std::string(env) != "0");
  return co;
}

static cl::opt<std::string>
    colorMode("color", cl::desc("Colour diagnostics: auto, always or never"),
              cl::init("auto"), cl::sub(checkCmd), cl::sub(summaryCmd),
              cl::sub(buildCmd), cl::sub(runCmd), cl::sub(replCmd),
              cl::cat(nncCat));

static cl::opt<bool>
    printBuiltins("print-builtins",
                  cl::desc("List the built-in functions and exit"), cl::Hidden,
                  cl::cat(nncCat));

/// Reads the input file into the SourceMgr; "" (reported) on failure.
static std::optional<llvm::StringRef> loadInput(llvm::SourceMgr &sm,
                                                DiagnosticEngine &diags) {
  auto buf = llvm::MemoryBuffer::getFile(inputFile);
  if (!buf) {
    diags.error("cannot read '" + inputFile + "': " + buf.getError().message());
    return std::nullopt;
  }
  llvm::StringRef text = (*buf)->getBuffer();
  sm.AddNewSourceBuffer(std::move(*buf), llvm::SMLoc());
  return text;
}

/// Runs `print` on -o FILE, or stdout; 1 if the file cannot be written.
static int toOutput(DiagnosticEngine &diags,
                    llvm::function_ref<int(llvm::raw_ostream &)> print,
                    llvm::sys::fs::OpenFlags flags = llvm::sys::fs::OF_Text) {
  std::string out = outputFile.empty() ? "-" : std::string(outputFile);
  std::error_code ec;
  llvm::raw_fd_ostream os(out, ec, flags);
  if (ec) {
    diags.error("cannot write '" + out + "': " + ec.message());
    return 1;
  }
  return print(os);
}

static int dumpTokens(llvm::SourceMgr &sm, DiagnosticEngine &diags) {
  auto text = loadInput(sm, diags);
  if (!text)
    return 1;
  return toOutput(diags, [&](llvm::raw_ostream &os) {
    Lexer lexer(*text, diags);
    LineColumnTable lines(sm);
    for (Token t = lexer.next();; t = lexer.next()) {
      auto lc = lines.get(t.loc());
      os << lc.first << ":" << lc.second << " " << tokenKindName(t.kind);
      if (t.is(TokenKind::Ident) || t.is(TokenKind::Int) ||
          t.is(TokenKind::Float) || t.is(TokenKind::String))
        os << " " << t.text;
      os << (t.atLineStart ? " [line-start]" : "") << "\n";
      if (t.is(TokenKind::Eof) || diags.tooMany())
        break;
    }
    return diags.hadError() ? 1 : 0;
  });
}

static int dumpAst(llvm::SourceMgr &sm, DiagnosticEngine &diags) {
  auto text = loadInput(sm, diags);
  if (!text)
    return 1;
  auto m = parseBuffer(*text, inputFile, diags);
  if (diags.hadError())
    return 1;
  return toOutput(diags, [&](llvm::raw_ostream &os) {
    dumpAST(*m, sm, os);
    return 0;
  });
}

static bool parseDims(SemaOptions &opts, DiagnosticEngine &diags) {
  for (const std::string &d : dimValues) {
    auto [name, value] = llvm::StringRef(d).split('=');
    int64_t v;
    if (name.empty() || value.getAsInteger(10, v) || v <= 0) {
      diags.error("--dim expects NAME=VALUE with a positive integer, got '" +
                  d + "'");
      return false;
    }
    opts.dimValues.values[name.str()] = v;
  }
  return true;
}

static bool parseSets(SemaOptions &opts, DiagnosticEngine &diags) {
  for (const std::string &s : setValues) {
    auto [name, value] = llvm::StringRef(s).split('=');
    if (name.empty() || value.empty() || s.find('=') == std::string::npos) {
      diags.error("--set expects NAME=VALUE, got '" + s + "'");
      return false;
    }
    if (!opts.overrides.emplace(name.str(), value.str()).second) {
      diags.error("--set " + name.str() + " is given twice");
      return false;
    }
  }
  return true;
}

static std::string noLossMessage() {
  return "'" + inputFile +
         "' has nothing to differentiate: no train block with a loss, and "
         "no model whose one output is a float scalar";
}

static std::string noTrainMessage() {
  return "'" + inputFile +
         "' has nothing to train: no train block with a model, a loss and "
         "an optimizer";
}

/// Runs code generation up to the --emit stage, into -o or stdout.
static int emitToOutput(const Program &program, llvm::SourceMgr &sm,
                        DiagnosticEngine &diags) {
  Stage stage = emit == Emit::NN || emit == Emit::Grad || emit == Emit::Train
                    ? Stage::NN
                : emit == Emit::Linalg  ? Stage::Linalg
                : emit == Emit::Buffers ? Stage::Buffers
                : emit == Emit::GPU     ? Stage::GPU
                : emit == Emit::NVVM    ? Stage::NVVM
                : emit == Emit::PTX     ? Stage::PTX
                : emit == Emit::LLVM    ? Stage::LLVM
                : emit == Emit::LLVMIR  ? Stage::LLVMIR
                : emit == Emit::Asm     ? Stage::Asm
                                        : Stage::Obj;
  CodegenOptions opts = codegenOptions();
  // No half-written output file on failure.
  auto failed = [&](int rc) {
    if (rc != 0 && !outputFile.empty())
      llvm::sys::fs::remove(outputFile);
    return rc;
  };
  auto emitTo = [&](llvm::raw_ostream &os) {
    Entry entry = emit == Emit::Grad ? lossEntryOf(program, wrtInputs)
                  : emit == Emit::Train || trainExecutable
                      ? trainEntryOf(program)
                      : entryOf(program);
    // Stages show the exchange when asked (as under mpirun); executables
    // always have it (below).
    entry.collectives = distributedOpt || nnc_mpi_launch_size() > 1;
    if (!entry.graph) {
      diags.error(emit == Emit::Train || trainExecutable ? noTrainMessage()
                                                         : noLossMessage());
      return failed(1);
    }
    int rc = emitStage(entry, stage, opts, sm, diags, os);
    os.flush();
    return failed(rc);
  };
  return toOutput(diags, emitTo,
                  stage == Stage::Obj ? llvm::sys::fs::OF_None
                                      : llvm::sys::fs::OF_Text);
}

/// A data file the train block reads that does not exist, reported at
/// the argument naming it (before anything is compiled).
static bool missingTrainData(const Program &program, DiagnosticEngine &diags) {
  const TrainPlan &plan = *program.train;
  bool missing = false;
  for (const auto &[path, loc] : program.missingData)
    if (plan.trainSource.find(path) != std::string::npos ||
        plan.validateSource.find(path) != std::string::npos) {
      diags.error(loc, "data file '" + path + "' does not exist");
      missing = true;
    }
  return missing;
}

/// The error of --quantize=int8 where something trains.
static int int8TrainingError(DiagnosticEngine &diags) {
  diags.error("--quantize=int8 is for inference (nnc run --forward, nnc "
              "predict, nnc build of a model's forward): training runs in "
              "f32, or with bf16 products ('precision bf16')");
  return 1;
}

/// The error of --quantize=int8 on a file's main block.
static int int8ProgramError(DiagnosticEngine &diags) {
  diags.error("--quantize=int8 runs a model's forward (nnc run --forward, "
              "nnc predict, nnc build), not a main block");
  return 1;
}

/// `nnc run FILE.nn` of a train block.
static int train(const Program &program, llvm::SourceMgr &sm,
                 DiagnosticEngine &diags) {
  if (quantizeOpt == "int8")
    return int8TrainingError(diags);
  if (missingTrainData(program, diags))
    return 1;
  TrainOptions to;
  if (epochsOpt.getNumOccurrences())
    to.epochs = epochsOpt;
  if (batchOpt.getNumOccurrences())
    to.batch = batchOpt;
  if (seedValue.getNumOccurrences())
    to.seed = seedValue;
  for (auto [opt, name] :
       {std::pair{&epochsOpt, "--epochs"}, std::pair{&batchOpt, "--batch"},
        std::pair{&limitOpt, "--limit"}})
    if (opt->getNumOccurrences() && *opt <= 0) {
      diags.error(std::string(name) + " must be positive");
      return 1;
    }
  if (threadsOpt == 0) {
    diags.error("--threads must be positive");
    return 1;
  }
  to.codegen = codegenOptions();
  to.checkpoint = checkpointOpt;
  to.resume = resumeFile;
  to.metricsOut = metricsOut;
  to.progress = noProgress ? 0 : -1;
  to.limit = limitOpt;
  if (foldsOpt.getNumOccurrences()) {
    if (foldsOpt < 2 || foldsOpt > 100) {
      diags.error("--folds takes a number of folds from 2 to 100");
      return 1;
    }
    to.folds = foldsOpt;
  }
  to.oofOut = oofOpt;
  to.syncBatchNorm = syncBnOpt;
  return runTraining(program, to, sm, diags);
}

/// Whether --precision, if given, is f32 or bf16 (else reported).
static bool precisionValid(DiagnosticEngine &diags) {
  if (!precisionOpt.getNumOccurrences() || precisionOpt == "f32" ||
      precisionOpt == "bf16")
    return true;
  diags.error("--precision takes f32 or bf16, not '" + precisionOpt + "'");
  return false;
}

/// Whether --target, --gpu-arch and --cuda-path go together (else
/// reported); a command that runs code on the GPU needs one.
static bool gpuTargetValid(DiagnosticEngine &diags) {
  bool gpuStage = emit == Emit::GPU || emit == Emit::NVVM || emit == Emit::PTX;
  if (targetOpt != "cpu" && targetOpt != "cuda") {
    diags.error("--target takes cpu or cuda, not '" + targetOpt + "'");
    return false;
  }
  if (targetOpt == "cpu") {
    if (gpuStage)
      diags.error("--emit=gpu, nvvm and ptx are stages of --target=cuda");
    else if (gpuArchOpt.getNumOccurrences() ||
             cudaPathOpt.getNumOccurrences() ||
             (gpuTilesOpt.getNumOccurrences() && !emulateGpuLoops))
      diags.error("--gpu-arch, --cuda-path and --gpu-tiles go with "
                  "--target=cuda");
    else
      return true;
    return false;
  }
  if ((threadsOpt.getNumOccurrences() && threadsOpt > 1) || noKernels ||
      precisionOpt.getNumOccurrences())
    llvm::errs() << "nnc: note: --threads, --no-kernels and --precision do "
                    "not apply to --target=cuda's code (the GPU runs its own "
                    "kernels, in f32; docs/gpu.md)\n";
  if (ptxFeaturesFor(gpuArchOpt).empty()) {
    diags.error("--gpu-arch takes one of " + knownGpuChips() + ", not '" +
                gpuArchOpt + "'");
    return false;
  }
  if (cudaPathOpt.getNumOccurrences() && !hasLibdevice(cudaPathOpt)) {
    diags.error("--cuda-path '" + cudaPathOpt +
                "' is not a CUDA toolkit: it has no "
                "nvvm/libdevice/libdevice.10.bc");
    return false;
  }
  if (quantizeOpt == "int8") {
    diags.error("--quantize=int8 runs on the CPU's VNNI kernels, not with "
                "--target=cuda");
    return false;
  }
  return true;
}

/// With --target=cuda, a command that runs code needs a device (checked
/// once the file is known to be valid); what it runs is compiled for that
/// GPU unless --gpu-arch says otherwise.
static bool gpuDeviceReady(DiagnosticEngine &diags) {
  bool runs = (runCmd || predictCmd) && emit == Emit::None;
  if (targetOpt != "cuda" || !runs)
    return true;
  if (nnc_cuda_init() != 0) {
    diags.error("--target=cuda: " + std::string(nnc_last_error()) +
                " (nnc build --target=cuda compiles without one)");
    return false;
  }
  std::string chip = "sm_" + std::to_string(nnc_cuda_compute_capability());
  if (!gpuArchOpt.getNumOccurrences() && !ptxFeaturesFor(chip).empty())
    gpuArchOpt.setValue(chip);
  return true;
}

/// Parses and checks the input file with the command line's search paths.
static std::unique_ptr<Program>
checkInput(const char *argv0, llvm::SourceMgr &sm, DiagnosticEngine &diags) {
  SemaOptions opts;
  opts.searchPaths.assign(includeDirs.begin(), includeDirs.end());
  auto defaults = defaultSearchPaths(argv0, (void *)&checkInput);
  opts.searchPaths.insert(opts.searchPaths.end(), defaults.begin(),
                          defaults.end());
  opts.modelName = modelName;
  opts.dataExpr = dataOpt;
  opts.lrInput = libraryOpt || sharedOpt;
  if (!parseDims(opts, diags) || !parseSets(opts, diags))
    return nullptr;
  if (!precisionValid(diags))
    return nullptr;
  opts.precision = precisionOpt;
  if (quantizeOpt.getNumOccurrences() && quantizeOpt != "int8" &&
      quantizeOpt != "none") {
    diags.error("--quantize takes int8 or none, not '" + quantizeOpt + "'");
    return nullptr;
  }
  if (quantizeOpt == "int8" && noKernels)
    llvm::errs() << "nnc: note: --quantize=int8 runs on the runtime's "
                    "kernels: with --no-kernels everything runs in f32\n";
  if (!gpuTargetValid(diags))
    return nullptr;
  StageTimer timer("front end (parse, sema)");
  auto program = checkFile(inputFile, opts, sm, diags);
  if (program && !gpuDeviceReady(diags))
    return nullptr;
  // An error at a line whose value came from the command line (a size of
  // 0 from --set hidden=0) says where that value came from.
  if (!program && !setValues.empty()) {
    std::string sets;
    for (const std::string &s : setValues)
      sets += " --set " + s;
    llvm::errs() << "nnc: note: the file was checked with" << sets << "\n";
  }
  return program;
}

/// `nnc predict FILE.nn --checkpoint C --data EXPR [-o out.csv]`.
static int runPredictCmd(const char *argv0, llvm::SourceMgr &sm,
                         DiagnosticEngine &diags) {
  if (predictCheckpoints.empty() || dataOpt.empty()) {
    diags.error("nnc predict needs --checkpoint FILE.safetensors and --data "
                "EXPR (e.g. --data 'fashion_mnist(\"test\")')");
    return 1;
  }
  auto program = checkInput(argv0, sm, diags);
  if (!program)
    return 1;
  if (!program->graph) {
    diags.error("'" + inputFile + "' declares no model to predict with");
    return 1;
  }
  Entry entry{program->graph.get(), program->model->name, false};
  PredictOptions po;
  po.codegen = codegenOptions();
  po.data = program->dataSource;
  po.checkpoints.assign(predictCheckpoints.begin(), predictCheckpoints.end());
  if (averageOpt != "probs" && averageOpt != "logits") {
    diags.error("--average takes 'probs' or 'logits', not '" + averageOpt +
                "'");
    return 1;
  }
  po.averageLogits = averageOpt == "logits";
  if (ttaOpt.getNumOccurrences() &&
      llvm::StringRef(ttaOpt.getValue()).trim().empty()) {
    diags.error("--tta takes views ('flip', 'crop(N)', e.g. --tta 'flip, "
                "crop(1)') or 'none'");
    return 1;
  }
  po.tta = ttaOpt.getNumOccurrences() ? ttaOpt.getValue()
           : program->train           ? program->train->tta
                                      : "";
  po.metricsOut = metricsOut;
  po.output = outputFile;
  po.batch = batchOpt > 0 ? batchOpt : 256;
  po.topK = std::max<int32_t>(1, topKOpt);
  po.progress = !noProgress;
  po.instance = instanceOpt;
  return runPredict(entry, po, sm, diags);
}

/// `nnc export FILE.nn --checkpoint C -o model.onnx [--opset N]`.
static int runExportCmd(const char *argv0, llvm::SourceMgr &sm,
                        DiagnosticEngine &diags) {
  if (checkpointOpt.empty()) {
    diags.error("nnc export needs --checkpoint FILE.safetensors: the trained "
                "weights (nnc run writes them after every epoch; nnc init "
                "writes the initial ones)");
    return 1;
  }
  auto program = checkInput(argv0, sm, diags);
  if (!program)
    return 1;
  if (!program->graph) {
    diags.error("'" + inputFile + "' declares no model to export");
    return 1;
  }
  Entry entry{program->graph.get(), program->model->name, false};
  OnnxExportOptions eo;
  eo.checkpoint = checkpointOpt;
  eo.opset = opsetOpt;
  eo.instance = instanceOpt;
  if (outputFile.empty()) {
    llvm::SmallString<256> out(llvm::sys::path::filename(inputFile));
    llvm::sys::path::replace_extension(out, ".onnx");
    eo.output = out.str().str();
  } else {
    eo.output = outputFile;
  }
  int rc = exportOnnx(entry, eo, sm, diags);
  if (rc == 0)
    llvm::errs() << "wrote " << eo.output << " (model " << entry.name
                 << ", ONNX opset " << eo.opset << ")\n";
  return rc;
}

/// `nnc import model.onnx [-o model.nn]`: the source and its weights,
/// then the source checked as `nnc check` would.
static int runImportCmd(const char *argv0, llvm::SourceMgr &sm,
                        DiagnosticEngine &diags) {
  OnnxImportOptions io;
  io.input = inputFile;
  io.output = outputFile;
  io.weights = importWeights;
  io.model = importName;
  if (io.output.empty()) {
    llvm::SmallString<256> out(llvm::sys::path::filename(inputFile));
    llvm::sys::path::replace_extension(out, ".nn");
    io.output = out.str().str();
  }
  if (int rc = importOnnx(io, diags))
    return rc;
  inputFile = io.output;
  return checkInput(argv0, sm, diags) ? 0 : 1;
}

/// The file named on the command line where it is not `inputFile` (an
/// ONNX file stands for its import).
static std::string shownFile;

/// An ONNX file given where a .nn file goes (`nnc check model.onnx`,
/// `nnc run model.onnx --forward in.safetensors`): it stands for its
/// import, made in a temporary folder (removed at exit), and its weights
/// are the default --checkpoint.
struct OnnxStandIn {
  llvm::SmallString<128> dir;
  bool make(DiagnosticEngine &diags) {
    if (std::error_code ec =
            llvm::sys::fs::createUniqueDirectory("nnc-onnx", dir)) {
      diags.error("cannot make a temporary folder: " + ec.message());
      return false;
    }
    OnnxImportOptions io;
    io.input = inputFile;
    llvm::SmallString<128> src(dir);
    llvm::StringRef stem = llvm::sys::path::stem(inputFile.getValue());
    llvm::sys::path::append(src, stem + ".nn");
    io.output = src.str().str();
    io.quiet = true;
    if (importOnnx(io, diags))
      return false;
    shownFile = inputFile;
    inputFile = io.output;
    if (checkpointOpt.empty()) {
      llvm::SmallString<128> w(src);
      llvm::sys::path::replace_extension(w, ".safetensors");
      checkpointOpt = w.str().str();
    }
    return true;
  }
  ~OnnxStandIn() {
    if (!dir.empty())
      llvm::sys::fs::remove_directories(dir);
  }
};

/// `nnc init FILE.nn -o init.safetensors`: the checkpoint of epoch 0.
static int runInit(const char *argv0, llvm::SourceMgr &sm,
                   DiagnosticEngine &diags) {
  auto program = checkInput(argv0, sm, diags);
  if (!program)
    return 1;
  if (outputFile.empty()) {
    diags.error("nnc init needs -o FILE.safetensors for the checkpoint");
    return 1;
  }
  // No train block (or --model naming another model): the model's own
  // parameters by their initializers, for `nnc export` and --forward.
  bool trainsIt = program->train && (modelName.empty() ||
                                     program->train->modelName == modelName);
  if (!trainsIt) {
    if (!program->graph) {
      diags.error("'" + inputFile + "' declares no model to initialise");
      return 1;
    }
    Entry entry{program->graph.get(), program->model->name, false};
    return initModel(entry, seedValue, outputFile, codegenOptions(), sm,
                     diags);
  }
  TrainOptions to;
  if (seedValue.getNumOccurrences())
    to.seed = seedValue;
  to.codegen = codegenOptions();
  to.checkpoint = outputFile;
  to.initOnly = true;
  return runTraining(*program, to, sm, diags);
}

/// The library's flags go together: --weights, --header and --shared only
/// with --lib, which makes an archive, a shared library or (--emit=obj)
/// one object; false (reported) otherwise.
static bool checkLibraryFlags(DiagnosticEngine &diags) {
  bool lib = libraryOpt || sharedOpt;
  for (auto [set, flag] : {std::pair{!weightsOpt.empty(), "--weights"},
                           std::pair{!headerOpt.empty(), "--header"}})
    if (set && !lib) {
      diags.error(std::string(flag) +
                  " belongs to a library: add --lib (see nnc build --help)");
      return false;
    }
  if (lib && emit != Emit::None && emit != Emit::Obj) {
    diags.error("--lib makes a library (-o libNAME.a, --shared -o "
                "libNAME.so, or --emit=obj -o NAME.o): drop --emit or use "
                "--emit=obj");
    return false;
  }
  if (lib && emit == Emit::Obj && sharedOpt) {
    diags.error("--shared makes a shared library: drop --emit=obj");
    return false;
  }
  return true;
}

static int runCheck(const char *argv0, llvm::SourceMgr &sm,
                    DiagnosticEngine &diags, bool summary, bool graph,
                    bool forward = false, bool executable = false) {
  auto program = checkInput(argv0, sm, diags);
  if (!program)
    return 1;
  if (gradcheck) {
    GradcheckOptions go;
    go.tolerance = tolerance;
    go.samples = std::max(1u, unsigned(gradcheckSamples));
    if (program->train)
      for (const ScheduleInfo &s : program->train->schedules)
        go.hparams[s.target] = s.base;
    Entry entry = lossEntryOf(*program, wrtInputs);
    if (entry.graph)
      return runGradcheck(entry, go, sm, diags);
    // A custom `step`: every loss it minimises, one after the other.
    std::vector<ObjectiveEntry> objectives =
        objectiveEntriesOf(*program, wrtInputs);
    if (objectives.empty()) {
      diags.error(noLossMessage());
      return 1;
    }
    int rc = 0;
    for (const ObjectiveEntry &o : objectives) {
      go.only = o.params;
      rc = std::max(rc, runGradcheck(o.entry, go, sm, diags));
    }
    return rc;
  }
  if (executable) {
    if (!trainExecutable && !entryOf(*program).graph) {
      diags.error("'" + inputFile + "' declares no model to build");
      return 1;
    }
    if (outputFile.empty()) {
      diags.error(libraryOpt || sharedOpt
                      ? std::string("nnc build --lib needs -o libNAME.a (or "
                                    "--shared -o libNAME.so, or --emit=obj "
                                    "-o NAME.o)")
                      : "nnc build needs -o FILE for the executable (or "
                        "--emit=...)");
      return 1;
    }
    CodegenOptions co = codegenOptions();
    if (libraryOpt || sharedOpt) {
      if (!program->graph) {
        diags.error("'" + inputFile + "' declares no model for a library");
        return 1;
      }
      // The library trains too when the first train block trains this
      // model.
      Entry train = trainEntryOf(*program);
      bool trains = train.graph && program->train &&
                    program->train->modelName == program->model->name;
      if (trains && quantizeOpt == "int8") {
        // A train step would change the weights int8 keeps quantized.
        llvm::errs() << "nnc: note: --quantize=int8: the library runs the "
                        "model's forward only (no train or eval step)\n";
        trains = false;
      }
      return buildLibrary(Entry{program->graph.get(), program->model->name},
                          LibraryOptions{outputFile, headerOpt, sharedOpt,
                                         weightsOpt, trains ? &train : nullptr},
                          co, argv0, sm, diags);
    }
    if (trainExecutable && quantizeOpt == "int8")
      return int8TrainingError(diags);
    if (!trainExecutable && quantizeOpt == "int8" &&
        entryOf(*program).isProgram)
      return int8ProgramError(diags);
    Entry entry = trainExecutable ? trainEntryOf(*program) : entryOf(*program);
    // An executable may be started by mpirun: its step can exchange
    // gradients (no-ops in a single process).
    entry.collectives = trainExecutable;
    if (!trainExecutable)
      entry.seed = seedValue;
    if (!entry.graph) {
      diags.error(noTrainMessage());
      return 1;
    }
    return buildExecutable(entry, outputFile, co, argv0, sm, diags);
  }
  if (forward && !gradientInputs.empty()) {
    if (quantizeOpt == "int8")
      return int8TrainingError(diags); // gradients are training's
    Entry entry = lossEntryOf(*program, wrtInputs);
    entry.seed = seedValue;
    if (!entry.graph) {
      diags.error(noLossMessage());
      return 1;
    }
    ForwardOptions fo;
    fo.codegen = codegenOptions();
    fo.inputFile = gradientInputs;
    fo.checkpoint = checkpointOpt;
    fo.instance = instanceOpt;
    fo.outputFile = outputFile;
    fo.benchRuns = benchRuns;
    return runForward(entry, fo, sm, diags);
  }
  if (forward && forwardInputs.empty()) {
    Entry entry = entryOf(*program);
    entry.seed = seedValue;
    if (entry.isProgram) {
      if (quantizeOpt == "int8")
        return int8ProgramError(diags);
      CodegenOptions co = codegenOptions();
      return runProgram(entry, seedValue, co, sm, diags);
    }
    if (program->train)
      return train(*program, sm, diags);
    if (!program->trains.empty()) {
      diags.error("'" + inputFile +
                  "': its train block cannot be trained: a custom 'step' "
                  "minimises a loss per optimizer (opt.minimize(...)) and "
                  "trains the instances its block declares, in a block "
                  "that names no model: 'train on DATA { let net = Net()  "
                  "optimizer opt = adam(lr: 1e-3) over net  step { "
                  "opt.minimize(...) } }' (a block 'train Net on DATA' "
                  "takes a 'loss' clause instead; see docs/training.md, "
                  "custom steps)");
      return 1;
    }
    diags.error("'" + inputFile +
                "' has nothing to run: no main block and "
                "no train block (to run a model on tensors, use --forward "
                "FILE.safetensors)");
    return 1;
  }
  if (forward) {
    if (!program->graph) {
      diags.error("'" + inputFile + "' declares no model to run");
      return 1;
    }
    Entry entry{program->graph.get(), program->model->name, false};
    entry.seed = seedValue;
    ForwardOptions fo;
    fo.codegen = codegenOptions();
    fo.inputFile = forwardInputs;
    fo.checkpoint = checkpointOpt;
    fo.instance = instanceOpt;
    fo.outputFile = outputFile;
    fo.benchRuns = benchRuns;
    return runForward(entry, fo, sm, diags);
  }
  if (graph) {
    if (!entryOf(*program).graph) {
      diags.error("'" + inputFile + "' declares no model");
      return 1;
    }
    if (emit >= Emit::NN)
      return emitToOutput(*program, sm, diags);
    return toOutput(diags, [&](llvm::raw_ostream &os) {
      dumpGraph(*entryOf(*program).graph, sm, os);
      return 0;
    });
  }
  if (summary) {
    if (!program->model) {
      diags.error("'" + inputFile + "' declares no model to summarise");
      return 1;
    }
    SummaryOptions so;
    so.depth = depth;
    printSummary(*program, so, llvm::outs());
    return 0;
  }
  // What `check` accepts, `run` must run: a construct that code generation
  // cannot compile yet (found while tracing) is an error here too.
  bool unsupported = false;
  for (const ModelGraph *g : {program->graph.get(), program->mainGraph.get(),
                              program->train ? &program->train->loss : nullptr})
    if (g && !g->unsupported.empty()) {
      diags.error(g->unsupportedLoc, g->unsupported);
      unsupported = true;
    }
  if (unsupported)
    return 1;
  for (const auto &[path, loc] : program->missingData)
    diags.warning(loc, "file '" + path +
                           "' does not exist: 'nnc run' needs it here");
  llvm::outs() << (shownFile.empty() ? inputFile.getValue() : shownFile)
               << ": ok";
  if (!program->modelNames.empty()) {
    llvm::outs() << " (" << program->modelNames.size() << " model"
                 << (program->modelNames.size() == 1 ? "" : "s") << ", "
                 << program->trains.size() << " train block"
                 << (program->trains.size() == 1 ? "" : "s") << ")";
  }
  llvm::outs() << "\n";
  return 0;
}

/// `nnc cache [clear]`.
static int runCache(DiagnosticEngine &diags) {
  if (cacheArgs.size() > 1 ||
      (cacheArgs.size() == 1 && cacheArgs[0] != "clear")) {
    diags.error("usage: nnc cache [clear]");
    return 1;
  }
  if (cacheArgs.empty()) {
    unsigned n;
    uint64_t bytes;
    cache::usage(n, bytes);
    std::string dir = cache::directory();
    llvm::outs() << (dir.empty() ? "(no cache directory)" : dir) << ": " << n
                 << (n == 1 ? " entry, " : " entries, ");
    if (bytes < (1u << 20))
      llvm::outs() << llvm::format("%.1f KB", bytes / 1024.0);
    else
      llvm::outs() << llvm::format("%.1f MB", bytes / 1048576.0);
    if (!dir.empty() && llvm::sys::fs::exists(dir) &&
        !llvm::sys::fs::is_directory(dir))
      llvm::outs() << " (not a directory: nothing is cached)";
    llvm::outs() << "\n";
    return 0;
  }
  std::string error;
  int removed = cache::clear(error);
  if (removed < 0) {
    diags.error(error);
    return 1;
  }
  llvm::outs() << "removed " << removed
               << (removed == 1 ? " entry" : " entries") << " from "
               << cache::directory() << "\n";
  return 0;
}

#ifdef NNC_SANITIZE
// The sanitizer build (docs/testing.md) reports leaks at exit. libedit,
// behind the REPL's line editor, keeps its history strings (wcsdup) for
// the process's life: not nnc's to free.
extern "C" const char *__lsan_default_suppressions() {
  return "leak:libedit.so\nleak:wcsdup\n";
}
#endif

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // A file-size limit (or a full disk) is an I/O error that the writers
  // report, not a crash: let write() fail with EFBIG instead of a signal.
  std::signal(SIGXFSZ, SIG_IGN);
  // Data-parallel training: only rank 0 of an MPI job prints; errors of
  // any rank still reach stderr.
  if (nnc_mpi_launch_rank() != 0 && !std::freopen("/dev/null", "w", stdout))
    return 1;
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "nnc " << NNC_VERSION << " (LLVM/MLIR " << LLVM_VERSION_STRING
       << ")\n";
  });
  registerMLIROptions();
  cl::HideUnrelatedOptions(nncCat);
  if (!nnc::checkSubcommandOptions(argc, argv))
    return 1;
  cl::ParseCommandLineOptions(
      argc, argv,
      "nnc - compiler for the .nn neural-network language\n\n"
      "  nnc check FILE.nn          type- and shape-check a program\n"
      "  nnc summary FILE.nn        per-layer shapes, parameters and FLOPs\n"
      "  nnc build FILE.nn --emit=tokens|ast|graph|nn|linalg|llvm|llvm-ir|"
      "asm|obj [-o FILE]\n"
      "  nnc build FILE.nn -o prog    an executable (of the main block, or the "
      "model's forward)\n"
      "  nnc run FILE.nn [--seed N]   JIT-run the file's main block, or "
      "train its train block\n"
      "  nnc run FILE.nn --forward IN.safetensors [-o OUT.safetensors]\n"
      "  nnc init FILE.nn [--seed N] -o init.safetensors   initial "
      "parameters\n"
      "  nnc predict FILE.nn --checkpoint C --data EXPR [-o out.csv|.npy]  "
      "predictions, accuracy\n"
      "  nnc plot metrics.jsonl [-o curves.png]   training curves as a PNG\n"
      "  nnc sweep FILE.nn --grid 'hidden=128,256' [--folds K] [--jobs N]  "
      "a grid of hyper-parameters, results as CSV\n"
      "  nnc export FILE.nn --checkpoint C -o model.onnx [--opset N]   the "
      "trained model as ONNX\n"
      "  nnc import model.onnx [-o model.nn]   an ONNX model as .nn source "
      "and weights\n"
      "  nnc cache [clear]          the compile cache: where, how large; "
      "empty it\n"
      "  nnc repl [FILE.nn]         interactive: define, evaluate, train, "
      "look at the IR\n");

  llvm::SourceMgr sm;
  DiagnosticEngine diags(sm);
  bool colors =
      colorMode == "always" ||
      (colorMode == "auto" && llvm::sys::Process::StandardErrHasColors());
  diags.setShowColors(colors);

  if (printBuiltins) {
    listBuiltins(llvm::outs());
    return 0;
  }
  if (timing || timingRequestedByMLIRFlags())
    enableTiming();
  if (replCmd) {
    ReplOptions ro;
    ro.searchPaths.assign(includeDirs.begin(), includeDirs.end());
    auto defaults = defaultSearchPaths(argv[0], (void *)&checkInput);
    ro.searchPaths.insert(ro.searchPaths.end(), defaults.begin(),
                          defaults.end());
    ro.codegen = codegenOptions();
    ro.seed = seedValue;
    ro.colors = colors;
    return runRepl(ro, inputFile);
  }
  if (cacheCmd)
    return runCache(diags);
  bool needsFile = checkCmd || summaryCmd || buildCmd || runCmd || initCmd ||
                   predictCmd || plotCmd || exportCmd || importCmd ||
                   sweepCommand();
  if (!needsFile) {
    cl::PrintHelpMessage();
    return 1;
  }
  if (inputFile.empty()) {
    diags.error("no input file; usage: nnc <command> FILE.nn (see nnc --help)");
    return 1;
  }
  OnnxStandIn onnxStandIn;
  if (!importCmd && llvm::StringRef(inputFile).ends_with(".onnx") &&
      !onnxStandIn.make(diags))
    return 1;
  if (buildCmd && !checkLibraryFlags(diags))
    return 1;
  if (buildCmd && (libraryOpt || sharedOpt))
    return runCheck(argv[0], sm, diags, false, false, false, true);
  if (emit == Emit::Tokens)
    return dumpTokens(sm, diags);
  if (emit == Emit::Ast)
    return dumpAst(sm, diags);
  if (emit >= Emit::Graph)
    return runCheck(argv[0], sm, diags, false, true);
  if (checkCmd)
    return runCheck(argv[0], sm, diags, false, false);
  if (summaryCmd)
    return runCheck(argv[0], sm, diags, true, false);
  if (runCmd)
    return runCheck(argv[0], sm, diags, false, false, true);
  if (initCmd)
    return runInit(argv[0], sm, diags);
  if (predictCmd)
    return runPredictCmd(argv[0], sm, diags);
  if (exportCmd)
    return runExportCmd(argv[0], sm, diags);
  if (importCmd)
    return runImportCmd(argv[0], sm, diags);
  if (sweepCommand()) {
    SweepOptions so;
    so.file = inputFile;
    so.output = outputFile;
    so.sets.assign(setValues.begin(), setValues.end());
    so.includes.assign(includeDirs.begin(), includeDirs.end());
    if (epochsOpt.getNumOccurrences())
      so.epochs = epochsOpt;
    if (limitOpt.getNumOccurrences())
      so.limit = limitOpt;
    if (foldsOpt.getNumOccurrences())
      so.folds = foldsOpt;
    if (seedValue.getNumOccurrences())
      so.seed = seedValue;
    so.threads = threadsOpt;
    so.precision = precisionOpt;
    if (!precisionValid(diags))
      return 1;
    return runSweep(argv[0], so, diags);
  }
  if (plotCmd) {
    llvm::SmallString<256> png(inputFile);
    llvm::sys::path::replace_extension(png, ".png");
    return plotMetrics(
        inputFile, outputFile.empty() ? png.str().str() : outputFile.getValue(),
        diags);
  }
  return runCheck(argv[0], sm, diags, false, false, false, true);
}
