//===- Trainer.h - The state of a training run ------------------*- C++ -*-===//
//
// Shared by the training loop (Train.cpp) and what it keeps between steps
// (TrainState.cpp): the data sets, the tensors that persist across steps
// (parameters, batch-norm statistics, optimizer state), the bindings of
// the compiled train and eval steps, and the sums of a pass.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_RUNTIME_TRAINER_H
#define NNC_RUNTIME_TRAINER_H

#include "Sources.h"
#include "nnc/runtime.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace nnc_rt {

/// Schedule `s`'s argument `name`, or `dflt` when the call gives none
/// (Schedule.cpp; plateau schedules read theirs in Validation.cpp).
double scheduleArg(const nnc_schedule &s, const char *name, double dflt);

/// The data set the train step's inputs read ("fashion_mnist:train" of
/// their sources "fashion_mnist:train:image"); -1 (error set) if an input
/// has no source or none reads data.
int trainSetOf(const nnc_model *step, std::string &set);

/// One data set (its fields) and how much of it a run uses: loaded by
/// the trainer, or given to it (a fold of cross-validation).
struct DataSet {
  nnc::DataTable own;
  const nnc::DataTable *given = nullptr;
  int64_t count = 0;
  bool loaded = false;
  const nnc::DataTable &table() const { return given ? *given : own; }
};

/// Sums of one pass over a data set: the loss and each metric ("metric.X"
/// results are per-batch sums over samples).
struct Totals {
  double loss = 0;
  std::vector<double> metrics;
  /// Whole-set metrics of a validation (Trainer::setMetricNames).
  std::vector<double> set;
  int64_t samples = 0;
  explicit Totals(size_t numMetrics, size_t numSet = 0)
      : metrics(numMetrics, 0.0), set(numSet, NAN) {}
  double meanLoss() const { return samples ? loss / double(samples) : 0; }
  double mean(size_t k) const {
    return samples ? metrics[k] / double(samples) : 0;
  }
  /// Adds a batch of n samples from the results of a step; `perBatch[k]`:
  /// metric k is a batch mean (the loss of one of several optimizers),
  /// else a sum over the batch.
  void add(const std::vector<nnc_tensor> &results,
           const std::vector<int> &metricIndex,
           const std::vector<bool> &perBatch, int64_t n) {
    loss += double(*static_cast<float *>(results[0].data)) * double(n);
    for (size_t k = 0; k < metrics.size(); ++k)
      if (metricIndex[k] >= 0)
        metrics[k] += *static_cast<float *>(results[metricIndex[k]].data) *
                      (perBatch[k] ? double(n) : 1.0);
    samples += n;
  }
};

class Trainer {
public:
  Trainer(const nnc_model *step, const nnc_model *eval,
          const nnc_train_config &cfg)
      : step(step), eval(eval), cfg(cfg) {}
  ~Trainer();
  int run();

  /// Cross-validation (Folds.cpp): train and validate on these tables
  /// (fold `fold` of cfg.folds), collect the validation predictions, and
  /// append to the metrics file that fold 1 started.
  void useFold(const nnc::DataTable *trainRows, const nnc::DataTable *validRows,
               int64_t fold) {
    train.given = trainRows;
    valid.given = validRows;
    this->fold = fold;
    collect = true;
  }
  /// After run(): the last validation's sums and its predictions (rows of
  /// `predictionWidth()` values, in the order of the validation set).
  const Totals &lastValidation() const { return lastVal; }
  const std::vector<float> &lastPredictions() const { return valOut; }
  const std::vector<int64_t> &predictionShape() const { return valShape; }
  const std::vector<std::string> &metricList() const { return metricNames; }
  const std::vector<std::string> &setMetricList() const {
    return setMetricNames;
  }

private:
  // What persists between steps (TrainState.cpp).
  int setUp();
  int loadSet(DataSet &set, const std::string &name);
  int resume();
  /// cfg.state: start from its tensors and counts / write them back.
  int fromState();
  int toState();
  /// The run itself; run() adds writing the state back.
  int runLoop();
  int checkWritable();
  int saveCheckpoint(int64_t epochsDone, const char *path = nullptr);
  /// Binds the model's arguments: data fields to `batchInputs` (gathered
  /// from `set`), persistent tensors, the step and hyper-parameters.
  int bind(const nnc_model *m, std::vector<nnc_tensor *> &args,
           std::vector<const nnc_tensor *> &fields, const DataSet &set);
  /// Binds `m`'s results: the loss and metrics to their buffers, updates
  /// to the persistent tensors they replace. metricIndex[k]: the result
  /// of metric k (-1 if m lacks it).
  void bindResults(const nnc_model *m, std::vector<nnc_tensor> &results,
                   std::vector<int> &metricIndex);

  // The loop (Train.cpp). Each returns 0, or what run returns.
  /// The batches of one epoch; -1 after an error, 130 when interrupted.
  int trainEpoch(int64_t epoch, double epochStart, Totals &t);
  /// The step number, random stream and scheduled hyper-parameters of the
  /// next step.
  void setStepInputs(int64_t epoch);
  /// Stops at a NaN or infinite loss (-1).
  int lossNotFinite(float loss, int64_t epoch, int64_t batch);
  /// Stops after SIGINT, saving a checkpoint where there is one (130).
  int stopInterrupted(int64_t epoch);
  /// Validation, the epoch's line and metrics, the checkpoint; `stop`:
  /// early stopping ends the run.
  int endEpoch(int64_t epoch, double epochStart, const Totals &t, bool &stop);
  /// The epoch's line and its metrics (`v`: the validation, if doVal).
  void printEpoch(int64_t epoch, const Totals &t, const Totals &v, bool doVal,
                  double sps, double seconds);
  void writeEpochMetrics(int64_t epoch, const Totals &t, const Totals &v,
                         bool doVal, double sps, double seconds);
  /// The test accuracy (after validating on a test set) and the run's
  /// final metrics.
  void finalReport(double seconds);
  bool hasAccuracy() const;
  /// The mean accuracy of `t` (-1 without the metric).
  double accuracyOf(const Totals &t) const;
  void gather(const std::vector<const nnc_tensor *> &fields,
              const std::vector<nnc_tensor *> &args, const int64_t *rows,
              int64_t n);
  /// One pass of the eval step over the validation set (each batch seen
  /// through `view`); collects the predictions when they are needed.
  int evaluate(Totals &t, const nnc::View &view = nnc::View{});
  // `resample by` (Resample.cpp).
  /// The eval step's "sample_weight" over the training set, into
  /// sampleWeights (checked: finite, >= 0, not all 0).
  int computeSampleWeights();
  int checkSampleWeights();
  // Data-parallel training (Collectives.h).
  /// A validation's totals, the same on every rank: summed over the
  /// ranks' shards (`summed`), or rank 0's.
  void shareTotals(Totals &t, bool summed);
  /// The step's loss and metrics over the global batch of `total` samples
  /// (this rank's `n` of them).
  void reduceStep(int64_t n, int64_t total);
  /// Every rank saw Ctrl-C's flag in the last step's sum: all stop.
  bool stopAgreed = false;
  /// Batch-norm running statistics, the same on every rank before a
  /// validation: averaged over the ranks (--sync-bn) or rank 0's.
  void syncState(bool average);
  /// The ranks load the same data (sizes compared once before training).
  int checkSameData();
  /// After training: every rank holds rank 0's weights (checksums
  /// compared); -1 (error set) if not.
  int checkReplicas();

  // Validation (Validation.cpp).
  /// Whole-set metrics, monitor, plateau schedules and TTA from cfg.
  int setUpValidation();
  /// The set metrics of the predictions just collected into `v`.
  void scoreSet(Totals &v);
  /// The monitored value of a validation (lower is better: negated for
  /// metrics where higher is).
  double monitoredCost(const Totals &v) const;
  /// After a validation: best checkpoint, early stopping, plateaus.
  int afterValidation(int64_t epoch, const Totals &v, bool &stop);
  /// The final test evaluation averaged over cfg.tta's views: accuracy.
  int ttaAccuracy(double &accuracy);
  /// Whole-set metrics in the epoch line / record.
  void printSetMetrics(const Totals &v) const;
  void addSetMetrics(std::string &json, const Totals &v, bool doVal) const;
  /// Calls f(name, value) for each scalar of where validation stands, as
  /// a checkpoint records it (saveCheckpoint writes, resume reads).
  template <typename F> void validationState(F &&f) {
    f(std::string("train.best"), bestVal);
    f(std::string("train.since_best"), sinceBest);
    f(std::string("train.best_epoch"), bestEpoch);
    for (auto &[target, scale] : plateauScale) {
      f("train.plateau." + target, scale);
      f("train.plateau_wait." + target, plateauBad[target]);
    }
  }
  /// "<stem>.best.safetensors" of the checkpoint.
  std::string bestPath() const;
  void progressLine(int64_t epoch, int64_t batch, int64_t batches,
                    const Totals &t, double seconds);
  void writeMetrics(const char *json);

  const nnc_model *step, *eval;
  /// A copy: with in-memory state, `epochs` counts on from its epoch.
  nnc_train_config cfg;
  bool live = false;
  bool ready = false; ///< the persistent tensors exist (setUp succeeded)
  int64_t epochsDone = 0, stepsThisRun = 0;
  bool stepLimitReached = false;
  DataSet train, valid;
  /// Parameters, state and optimizer state by name, in argument order.
  std::map<std::string, nnc_tensor> persistent;
  std::vector<std::string> persistentOrder;
  std::map<std::string, nnc_tensor> batchInputs; ///< reused buffers
  nnc_tensor stepT{}, streamT{}, lossT{};
  /// The metrics the train step computes ("accuracy", "top_3"), with one
  /// scalar buffer each.
  std::vector<std::string> metricNames;
  std::vector<bool> metricPerBatch;
  std::vector<nnc_tensor> metricT;
  /// The result name of metric k ("metric.accuracy", "loss.d_opt").
  std::string resultName(size_t k) const {
    const std::string &m = metricNames[k];
    return metricPerBatch[k] ? "loss." + m.substr(0, m.size() - 5)
                             : "metric." + m;
  }
  std::map<std::string, nnc_tensor> hparams;
  int64_t epoch0 = 0, globalStep = 0;
  /// The learning rate of the latest step (NaN: none to show).
  double lr = NAN;
  bool wroteCheckpoint = false;
  FILE *metrics = nullptr;
  /// A failed metrics write was reported (once).
  bool metricsFailed = false;

  /// The train step's arguments (data fields gathered per batch) and
  /// results; the batches and their number per epoch and in all.
  std::vector<nnc_tensor *> stepArgs;
  std::vector<const nnc_tensor *> stepFields;
  std::vector<nnc_tensor> stepResults;
  std::vector<int> stepMetricIndex;
  nnc_batcher batcher{};
  int64_t batches = 0, totalSteps = 0;
  /// Validation: the best monitored cost so far (lower is better), the
  /// validations since, the latest sums.
  double bestVal = INFINITY;
  int64_t sinceBest = 0, bestEpoch = 0;
  Totals lastVal{0};
  bool validated = false;
  /// The eval step's "prediction" result (-1: none) and its buffer; the
  /// predictions of the last validation when `collect`.
  int predIndex = -1;
  nnc_tensor predT{};
  /// The eval step's "sample_weight" result (-1: none), its buffer, and
  /// the training samples' weights for the next epoch's draw.
  int weightIndex = -1;
  nnc_tensor weightT{};
  std::vector<double> sampleWeights;
  /// Their effective sample size over the set's size (the metrics file's
  /// "resample_ess").
  double resampleEss = NAN;
  bool collect = false;
  std::vector<float> valOut;
  std::vector<int64_t> valShape; ///< one sample's prediction shape
  std::vector<int64_t> valLabels;
  std::vector<std::string> setMetricNames; ///< "auc", "f1"
  bool wantConfusion = false;
  std::vector<int64_t> lastConfusion;
  std::string monitor = "val_loss";
  bool monitorHigher = false; ///< a higher monitored value is better
  std::vector<nnc::View> ttaViews;
  /// Reduce-on-plateau schedules: their factor of the base value and
  /// their validations without improvement, by target.
  std::map<std::string, double> plateauScale;
  std::map<std::string, int64_t> plateauBad;
  int64_t fold = 0; ///< the fold of cross-validation (0: none)
};

} // namespace nnc_rt

#endif // NNC_RUNTIME_TRAINER_H
