//===- Train.cpp - `nnc run` of a train block -----------------------------===//
//
// The compiler's half of training: the plan sema made of the train block
// becomes the runtime's nnc_train_config (with the command line's
// overrides), and the JIT-compiled train and eval steps are handed to
// nnc_train. Everything that happens per step is in generated code; the
// loop, data, progress and checkpoints are in the runtime, shared with
// training executables.
//
//===----------------------------------------------------------------------===//
#include "driver/Train.h"
#include "driver/Runner.h"
#include "nnc/kernels.h"
#include "nnc/runtime.h"
#include "sema/Sema.h"
#include "support/Diagnostics.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <vector>

using namespace nnc;

/// Whether the environment variable `name` is "0".
static bool envIsZero(const char *name) {
  const char *v = std::getenv(name);
  return v && llvm::StringRef(v) == "0";
}

int nnc::runTraining(const Program &program, const TrainOptions &opts,
                     const llvm::SourceMgr &srcMgr, DiagnosticEngine &diags) {
  const TrainPlan &plan = *program.train;
  nnc_train_config cfg{};
  cfg.batch = opts.batch.value_or(plan.batch);
  cfg.epochs = opts.epochs.value_or(plan.epochs);
  cfg.shuffle = plan.shuffle;
  cfg.seed = opts.seed.value_or(plan.seed);
  cfg.validate_source =
      plan.validateSource.empty() ? nullptr : plan.validateSource.c_str();
  cfg.validate_every = plan.validateEvery;
  std::string checkpoint =
      opts.checkpoint.empty() ? plan.checkpoint : opts.checkpoint;
  cfg.checkpoint = checkpoint.empty() ? nullptr : checkpoint.c_str();
  cfg.resume = opts.resume.empty() ? nullptr : opts.resume.c_str();
  cfg.metrics_out = opts.metricsOut.empty() ? nullptr : opts.metricsOut.c_str();
  cfg.progress = opts.progress;
  cfg.limit = opts.limit;
  cfg.log_every = plan.logEvery;
  cfg.early_stop = plan.earlyStop;
  cfg.classes = plan.classes;
  cfg.init_only = opts.initOnly;
  cfg.lr = plan.lr;
  cfg.state = opts.state;
  cfg.max_steps = opts.maxSteps;
  std::string setMetrics = joinedSetMetrics(plan);
  cfg.set_metrics = setMetrics.empty() ? nullptr : setMetrics.c_str();
  cfg.monitor = plan.monitor.empty() ? nullptr : plan.monitor.c_str();
  cfg.folds = opts.folds.value_or(plan.folds);
  cfg.oof_out = opts.oofOut.empty() ? nullptr : opts.oofOut.c_str();
  cfg.tta = plan.tta.empty() ? nullptr : plan.tta.c_str();
  cfg.sync_batch_norm = opts.syncBatchNorm;
  cfg.resample = plan.resample ? 1 : 0;
  std::vector<nnc_schedule> schedules;
  std::vector<std::vector<const char *>> argNames;
  std::vector<std::vector<double>> argValues;
  for (const ScheduleInfo &s : plan.schedules) {
    argNames.emplace_back();
    argValues.emplace_back();
    for (auto &a : s.args) {
      argNames.back().push_back(a.first.c_str());
      argValues.back().push_back(a.second);
    }
  }
  for (size_t k = 0; k < plan.schedules.size(); ++k) {
    const ScheduleInfo &s = plan.schedules[k];
    schedules.push_back({s.target.c_str(), s.kind.c_str(), s.base,
                         int32_t(s.args.size()), argNames[k].data(),
                         argValues[k].data()});
  }
  cfg.num_schedules = int32_t(schedules.size());
  cfg.schedules = schedules.data();

  // Under an MPI launcher the step exchanges its gradients with the other
  // ranks (docs/distributed.md).
  Entry entry = trainEntryOf(program);
  entry.collectives = nnc_mpi_launch_size() > 1;
  if (plan.bf16 && !opts.initOnly && !opts.codegen.kernels)
    llvm::errs() << "nnc: note: precision bf16 is the runtime's kernels' "
                    "arithmetic; with --no-kernels training runs in f32\n";
  else if (plan.bf16 && !opts.initOnly && !nnc_kernels_bf16())
    llvm::errs() << "nnc: note: precision bf16: "
                 << (envIsZero("NNC_BF16") ? "NNC_BF16=0 is set"
                                           : "this CPU has no AVX512-BF16")
                 << ", so training runs in f32\n";
  return withTrainJit(entry, opts.codegen, srcMgr, diags,
                      [&](const nnc_model &step, const nnc_model &eval) {
                        int rc = nnc_train(&step, &eval, &cfg);
                        if (rc < 0) {
                          diags.error(nnc_last_error());
                          return 1;
                        }
                        return rc;
                      });
}
