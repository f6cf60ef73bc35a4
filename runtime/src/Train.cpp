//===- Train.cpp - The training loop around a compiled train step ---------===//
//
// Everything in a training run that is not arithmetic: data sets, seeded
// shuffled batches, the state that persists between steps (parameters,
// batch-norm statistics, optimizer state), schedules, progress and metrics,
// validation with the compiled eval step, and checkpoints that survive
// crashes (atomic writes, SIGINT, a NaN loss never overwrites a good one).
// The compiled `train_step` does one whole step (forward, backward, update)
// per call; this file calls it once per batch. The state it keeps between
// steps, and checkpoints, are in TrainState.cpp. Under MPI each rank trains
// on its slice of every global batch (TrainDistributed.cpp, Collectives.h).
//
//===----------------------------------------------------------------------===//
#include "BatchLoader.h"
#include "Collectives.h"
#include "FloatMode.h"
#include "Folds.h"
#include "Metrics.h"
#include "Trainer.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <malloc.h>
#include <unistd.h>

namespace {
/// VmHWM of /proc/self/status in MB (0 where there is none).
double peakResidentMB() {
  FILE *f = std::fopen("/proc/self/status", "r");
  if (!f)
    return 0;
  char line[256];
  double kb = 0;
  while (std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "VmHWM: %lf kB", &kb) == 1)
      break;
  std::fclose(f);
  return kb / 1024.0;
}

volatile std::sig_atomic_t interrupted = 0;
void onInterrupt(int) { interrupted = 1; }

/// Installs the SIGINT handler for the lifetime of a run.
struct InterruptGuard {
  struct sigaction old{};
  InterruptGuard() {
    interrupted = 0;
    struct sigaction sa{};
    sa.sa_handler = onInterrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
  }
  ~InterruptGuard() { sigaction(SIGINT, &old, nullptr); }
};

std::string rate(double samplesPerSec) {
  char buf[32];
  if (samplesPerSec >= 1e6)
    std::snprintf(buf, sizeof buf, "%.1fM", samplesPerSec / 1e6);
  else if (samplesPerSec >= 1e3)
    std::snprintf(buf, sizeof buf, "%.1fk", samplesPerSec / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0f", samplesPerSec);
  return buf;
}

/// How a metric is shown in the epoch line ("accuracy" as "acc").
std::string shortName(const std::string &m) {
  return m == "accuracy" ? "acc" : m;
}
} // namespace

namespace nnc_rt {

void Trainer::gather(const std::vector<const nnc_tensor *> &fields,
                     const std::vector<nnc_tensor *> &args, const int64_t *rows,
                     int64_t n) {
  for (size_t a = 0; a < fields.size(); ++a) {
    if (!fields[a])
      continue;
    nnc::copyRows(*fields[a], rows, n, *args[a]);
    args[a]->dims[0] = n;
  }
}

int Trainer::evaluate(Totals &t, const nnc::View &view) {
  std::vector<nnc_tensor *> args;
  std::vector<const nnc_tensor *> fields;
  if (bind(eval, args, fields, valid))
    return -1;
  std::vector<nnc_tensor> results;
  std::vector<int> metricIndex;
  bindResults(eval, results, metricIndex);
  bool keep = collect && predIndex >= 0;
  valOut.clear();
  valLabels.clear();
  const nnc_tensor *label = nullptr;
  for (const auto &f : valid.table().fields)
    if (f.first == "label" && f.second.dtype == NNC_I64 && f.second.rank == 1)
      label = &f.second;
  std::vector<int64_t> rows(cfg.batch);
  int rc = 0;
  // Data-parallel: each rank evaluates every size-th batch and the sums
  // are added up, unless the whole set's predictions are needed.
  bool shard = dist::active() && !collect;
  int64_t b = -1;
  for (int64_t at = 0; at < valid.count && rc == 0; at += cfg.batch) {
    if (shard && ++b % dist::size() != dist::rank())
      continue;
    int64_t n = std::min<int64_t>(cfg.batch, valid.count - at);
    for (int64_t i = 0; i < n; ++i)
      rows[i] = at + i;
    gather(fields, args, rows.data(), n);
    for (size_t a = 0; a < fields.size(); ++a)
      if (fields[a])
        nnc::viewBatch(*args[a], view);
    rc = nnc_model_call(eval, args.data(), results.data());
    t.add(results, metricIndex, metricPerBatch, n);
    if (rc || !keep)
      continue;
    const nnc_tensor &p = results[predIndex];
    valShape.assign(p.dims + 1, p.dims + p.rank);
    const float *v = static_cast<const float *>(p.data);
    valOut.insert(valOut.end(), v, v + nnc_tensor_numel(&p));
    if (label)
      valLabels.insert(valLabels.end(),
                       static_cast<const int64_t *>(label->data) + at,
                       static_cast<const int64_t *>(label->data) + at + n);
  }
  if (predIndex >= 0)
    predT = results[predIndex]; // its buffer serves the next pass
  if (weightIndex >= 0)
    weightT = results[weightIndex];
  if (rc == 0 && keep)
    scoreSet(t);
  if (rc == 0 && dist::active())
    shareTotals(t, shard);
  else if (rc != 0)
    dist::abortJob(nnc_last_error()); // the others wait in shareTotals
  return rc;
}

void Trainer::reduceStep(int64_t n, int64_t total) {
  // The step's loss and batch-mean metrics are means over this rank's n
  // samples; metric sums are sums: all become the global batch's.
  std::vector<double> v{*static_cast<float *>(stepResults[0].data) * double(n)};
  for (size_t k = 0; k < metricNames.size(); ++k)
    if (stepMetricIndex[k] >= 0)
      v.push_back(*static_cast<float *>(stepResults[stepMetricIndex[k]].data) *
                  (metricPerBatch[k] ? double(n) : 1.0));
  // Ctrl-C reaches every rank, not always in the same step: all stop
  // after the step whose sum first carries it (a flag raised later on
  // one rank waits for the next step's sum).
  v.push_back(interrupted ? 1.0 : 0.0);
  dist::sum(v.data(), int64_t(v.size()), "the step's loss");
  stopAgreed = v.back() > 0;
  *static_cast<float *>(stepResults[0].data) = float(v[0] / double(total));
  size_t i = 1;
  for (size_t k = 0; k < metricNames.size(); ++k)
    if (stepMetricIndex[k] >= 0)
      *static_cast<float *>(stepResults[stepMetricIndex[k]].data) =
          float(metricPerBatch[k] ? v[i++] / double(total) : v[i++]);
}

void Trainer::progressLine(int64_t epoch, int64_t batch, int64_t batches,
                           const Totals &t, double seconds) {
  const int width = 24;
  int filled = int(double(width) * double(batch) / double(batches));
  std::string bar(size_t(filled), '=');
  if (filled < width)
    bar += '>' + std::string(size_t(width - filled - 1), ' ');
  std::fprintf(stderr, "\r  epoch %lld/%lld [%s] %lld/%lld  loss %.4f",
               (long long)epoch + 1, (long long)cfg.epochs, bar.c_str(),
               (long long)batch, (long long)batches, t.meanLoss());
  for (size_t k = 0; k < metricNames.size(); ++k)
    std::fprintf(stderr, "  %s %.4f", shortName(metricNames[k]).c_str(),
                 t.mean(k));
  if (!std::isnan(lr))
    std::fprintf(stderr, "  lr %.3g", lr);
  std::fprintf(stderr, "  %s samples/s\x1b[K",
               rate(double(t.samples) / std::max(seconds, 1e-9)).c_str());
  std::fflush(stderr);
}

void Trainer::writeMetrics(const char *json) {
  if (!metrics)
    return;
  std::string line = std::string(json) + "\n";
  ssize_t wrote = ::write(fileno(metrics), line.data(), line.size());
  if (wrote == ssize_t(line.size()) || metricsFailed)
    return;
  metricsFailed = true;
  std::fprintf(stderr,
               "nnc: warning: cannot write metrics to '%s': %s (training "
               "goes on; the file lacks this and later records)\n",
               cfg.metrics_out,
               wrote < 0 ? std::strerror(errno) : "the disk is full");
}

int Trainer::run() {
  int rc = runLoop();
  if (cfg.state && ready && toState())
    return -1;
  return rc;
}

int Trainer::runLoop() {
  live = dist::rank() == 0 &&
         (cfg.progress > 0 || (cfg.progress < 0 && isatty(2)));
  if (setUp())
    return -1;
  ready = true;
  if ((cfg.resume && resume()) || (cfg.state && fromState()) || checkWritable())
    return -1;
  epochsDone = epoch0;
  if (cfg.init_only) { // `nnc init`: the checkpoint before any step
    if (saveCheckpoint(0))
      return -1;
    std::printf("initial parameters of '%s' (seed %llu) written to %s\n",
                step->name, (unsigned long long)cfg.seed, cfg.checkpoint);
    return 0;
  }
  if (bind(step, stepArgs, stepFields, train))
    return -1;
  // Results: loss, metrics, then updates written over what they replace.
  bindResults(step, stepResults, stepMetricIndex);
  if (epoch0 >= cfg.epochs) {
    std::printf("nothing to train: '%s' is at epoch %lld of %lld (raise "
                "--epochs to go on)\n",
                cfg.resume, (long long)epoch0, (long long)cfg.epochs);
    return 0;
  }
  // Data-parallel: every rank draws the same global batches of N*batch
  // samples (the same shuffle) and trains on its slice of each.
  int64_t ranks = dist::size(), global = cfg.batch * ranks;
  if (ranks > 1 && checkSameData())
    return -1;
  if (train.count < ranks)
    return nnc_set_error("the training set has %lld samples, fewer than the "
                         "%lld ranks of the job",
                         (long long)train.count, (long long)ranks);
  if (nnc_batcher_init(&batcher, train.count, global, cfg.shuffle, cfg.seed))
    return -1;
  batcher.epoch = epoch0 - 1; // each epoch's order depends on (seed, epoch)
  batches = (train.count + global - 1) / global;
  if (train.count % global != 0 && train.count % global < ranks) {
    --batches; // a last batch smaller than the job is skipped
    std::printf("note: the last batch of each epoch (%lld samples) is "
                "smaller than the %lld ranks and is skipped\n",
                (long long)(train.count % global), (long long)ranks);
  }
  if (cfg.max_steps > 0) // as many epochs as the steps need
    cfg.epochs = epoch0 + (cfg.max_steps + batches - 1) / batches;
  totalSteps = batches * cfg.epochs;
  InterruptGuard guard;
  double runStart = nnc_now();
  lastVal = Totals(metricNames.size());
  // The results alias the persistent tensors (same sizes, so
  // nnc_model_call writes into them): nothing to copy back.
  for (int64_t epoch = epoch0; epoch < cfg.epochs; ++epoch) {
    double epochStart = nnc_now();
    Totals t(metricNames.size());
    // `resample by`: this epoch's samples are drawn by the weights the
    // model gives them now (with the scheduled hyper-parameters of the
    // epoch's first step, also after --resume).
    if (cfg.resample) {
      setStepInputs(epoch);
      if (computeSampleWeights())
        return -1;
      batcher.weights = sampleWeights.data();
    }
    if (int rc = trainEpoch(epoch, epochStart, t))
      return rc;
    bool stop = false;
    // An epoch cut short by `max_steps` is not done: the next run of the
    // same state starts it again.
    epochsDone = stepLimitReached ? epoch : epoch + 1;
    if (endEpoch(epoch, epochStart, t, stop))
      return -1;
    if (stop || stepLimitReached)
      break;
  }
  nnc_batcher_free(&batcher);
  if (dist::active() && checkReplicas())
    return -1;
  finalReport(nnc_now() - runStart);
  return 0;
}

int Trainer::trainEpoch(int64_t epoch, double epochStart, Totals &t) {
  double lastDraw = 0;
  int64_t n, total, batch = 0;
  const int64_t ranks = dist::size();
  std::vector<bool> inputs(stepFields.size());
  for (size_t a = 0; a < stepFields.size(); ++a)
    inputs[a] = stepFields[a] != nullptr;
  BatchLoader::Options opts;
  opts.firstStep = globalStep;
  opts.ranks = ranks;
  opts.rank = dist::rank();
  opts.capacity = cfg.batch;
  opts.ahead = BatchLoader::wantAhead();
  BatchLoader loader(
      batcher, stepArgs, std::move(inputs),
      [&](const std::vector<nnc_tensor *> &into, const int64_t *rows,
          int64_t rowCount, int64_t stepIndex) {
        gather(stepFields, into, rows, rowCount);
        for (size_t a = 0; a < stepFields.size(); ++a)
          if (stepFields[a])
            nnc::augmentBatch(train.table(), *into[a],
                              cfg.seed ^ train.table().saltOf(stepFields[a]),
                              uint64_t(stepIndex * ranks + opts.rank));
      },
      opts);
  int more;
  while ((more = loader.next(n, total)) > 0) {
    if (ranks > 1) {
      dist::setShare(double(n) / double(total));
      dist::setProgress(globalStep, cfg.checkpoint, wroteCheckpoint);
    }
    setStepInputs(epoch);
    if (nnc_model_call(step, stepArgs.data(), stepResults.data()))
      return -1;
    if (ranks > 1)
      reduceStep(n, total);
    n = total;
    ++globalStep;
    ++batch;
    float loss = *static_cast<float *>(stepResults[0].data);
    if (!std::isfinite(loss))
      return lossNotFinite(loss, epoch, batch);
    t.add(stepResults, stepMetricIndex, metricPerBatch, n);
    double now = nnc_now();
    if (live && (now - lastDraw > 0.1 || batch == batches)) {
      progressLine(epoch, batch, batches, t, now - epochStart);
      lastDraw = now;
    } else if (!live && cfg.log_every > 0 && globalStep % cfg.log_every == 0) {
      std::printf("  step %lld  loss %.4f\n", (long long)globalStep,
                  t.meanLoss());
      std::fflush(stdout);
    }
    if (ranks > 1 ? stopAgreed : bool(interrupted)) {
      loader.stop(); // it draws from the batcher stopInterrupted frees
      return stopInterrupted(epoch);
    }
    if (cfg.max_steps > 0 && ++stepsThisRun >= cfg.max_steps) {
      stepLimitReached = true;
      break;
    }
  }
  return more < 0 ? -1 : 0;
}

void Trainer::setStepInputs(int64_t epoch) {
  *static_cast<float *>(stepT.data) = float(globalStep + 1);
  // Dropout masks and random ops draw from the step's own stream.
  // (each rank of a data-parallel job its own).
  *static_cast<int64_t *>(streamT.data) = nnc_step_stream(
      cfg.seed + 0x9E3779B97F4A7C15ull * uint64_t(dist::rank()), globalStep);
  lr = cfg.lr;
  for (int32_t s = 0; s < cfg.num_schedules; ++s) {
    auto it = hparams.find(cfg.schedules[s].target);
    if (it == hparams.end())
      continue;
    float value = float(
        nnc_schedule_value(&cfg.schedules[s], globalStep, epoch, totalSteps));
    *static_cast<float *>(it->second.data) = value;
    if (auto p = plateauScale.find(cfg.schedules[s].target);
        p != plateauScale.end())
      *static_cast<float *>(it->second.data) = value *= float(p->second);
    if (std::strcmp(cfg.schedules[s].target, "lr") == 0)
      lr = value;
  }
}

int Trainer::lossNotFinite(float loss, int64_t epoch, int64_t batch) {
  if (live)
    std::fprintf(stderr, "\r\x1b[K");
  std::string kept = cfg.checkpoint && wroteCheckpoint
                         ? std::string("the last checkpoint '") +
                               cfg.checkpoint + "' is intact"
                         : std::string("no checkpoint was written");
  nnc_set_error("the loss is %s at step %lld (epoch %lld, batch %lld); "
                "training stopped and %s (a smaller learning rate or "
                "gradient clipping may help)",
                std::isnan(loss) ? "NaN" : "infinite", (long long)globalStep,
                (long long)epoch + 1, (long long)batch, kept.c_str());
  return -1;
}

int Trainer::stopInterrupted(int64_t epoch) {
  if (live)
    std::fprintf(stderr, "\r\x1b[K");
  nnc_batcher_free(&batcher);
  epochsDone = epoch;
  if (dist::rank() != 0) // every rank stops here; rank 0 saves and says so
    return 130;
  if (!cfg.checkpoint) {
    std::fprintf(stderr, "interrupted at step %lld; %s\n",
                 (long long)globalStep,
                 cfg.state ? "the weights reached are kept"
                           : "no checkpoint file is set, nothing saved");
    return 130;
  }
  if (saveCheckpoint(epoch))
    return -1;
  std::fprintf(stderr,
               "interrupted at step %lld (epoch %lld): saved '%s'; "
               "--resume %s restarts epoch %lld\n",
               (long long)globalStep, (long long)epoch + 1, cfg.checkpoint,
               cfg.checkpoint, (long long)epoch + 1);
  return 130;
}

int Trainer::endEpoch(int64_t epoch, double epochStart, const Totals &t,
                      bool &stop) {
  double trainSeconds = nnc_now() - epochStart;
  if (live)
    std::fprintf(stderr, "\r\x1b[K");
  if (dist::active())
    syncState(cfg.sync_batch_norm != 0);
  // Validation every N epochs and after the last.
  Totals v(metricNames.size(), setMetricNames.size());
  bool doVal = valid.loaded &&
               ((epoch + 1) % std::max<int64_t>(cfg.validate_every, 1) == 0 ||
                epoch + 1 == cfg.epochs);
  if (doVal && evaluate(v))
    return -1;
  double seconds = nnc_now() - epochStart;
  double sps = double(t.samples) / std::max(trainSeconds, 1e-9);
  printEpoch(epoch, t, v, doVal, sps, seconds);
  writeEpochMetrics(epoch, t, v, doVal, sps, seconds);
  if (doVal) {
    lastVal = v;
    validated = true;
    if (afterValidation(epoch, v, stop))
      return -1;
  }
  return saveCheckpoint(epoch + 1);
}

void Trainer::printEpoch(int64_t epoch, const Totals &t, const Totals &v,
                         bool doVal, double sps, double seconds) {
  std::printf("epoch %lld/%lld  loss %.4f", (long long)epoch + 1,
              (long long)cfg.epochs, t.meanLoss());
  for (size_t k = 0; k < metricNames.size(); ++k)
    std::printf("  %s %.4f", shortName(metricNames[k]).c_str(), t.mean(k));
  if (doVal) {
    std::printf("  val_loss %.4f", v.meanLoss());
    for (size_t k = 0; k < metricNames.size(); ++k)
      std::printf("  val_%s %.4f", shortName(metricNames[k]).c_str(),
                  v.mean(k));
    printSetMetrics(v);
  }
  if (!std::isnan(lr))
    std::printf("  lr %.3g", lr);
  std::printf("  %s samples/s  %.1f s\n", rate(sps).c_str(), seconds);
  if (doVal && !std::isfinite(v.meanLoss()))
    std::printf("  (val_loss is not a number: the model's outputs overflow "
                "on the validation data; the metrics file records null)\n");
  std::fflush(stdout);
}

void Trainer::writeEpochMetrics(int64_t epoch, const Totals &t, const Totals &v,
                                bool doVal, double sps, double seconds) {
  // Any number of metrics (no fixed buffer); a value that is not a
  // finite number (a NaN loss) is JSON's null, never `nan`.
  std::string json = "{\"epoch\": " + std::to_string(epoch + 1);
  if (fold)
    json += ", \"fold\": " + std::to_string(fold);
  auto add = [&](const std::string &key, double value, bool present) {
    nnc::rt::addJsonField(json, key, present ? value : NAN);
  };
  add("loss", t.meanLoss(), true);
  // accuracy and val_accuracy always appear (null without the metric).
  bool accuracy = hasAccuracy();
  if (!accuracy)
    add("accuracy", 0, false);
  for (size_t k = 0; k < metricNames.size(); ++k)
    add(metricNames[k].c_str(), t.mean(k), true);
  add("val_loss", v.meanLoss(), doVal);
  if (!accuracy)
    add("val_accuracy", 0, false);
  for (size_t k = 0; k < metricNames.size(); ++k)
    add(("val_" + metricNames[k]).c_str(), v.mean(k), doVal);
  addSetMetrics(json, v, doVal);
  if (cfg.resample)
    add("resample_ess", resampleEss, true);
  add("lr", lr, !std::isnan(lr));
  add("samples_per_sec", sps, true);
  add("seconds", seconds, true);
  json += "}";
  writeMetrics(json.c_str());
}

bool Trainer::hasAccuracy() const {
  return std::find(metricNames.begin(), metricNames.end(), "accuracy") !=
         metricNames.end();
}

double Trainer::accuracyOf(const Totals &t) const {
  for (size_t k = 0; k < metricNames.size(); ++k)
    if (metricNames[k] == "accuracy")
      return t.mean(k);
  return -1.0;
}

void Trainer::finalReport(double total) {
  bool isTest = cfg.validate_source &&
                std::strstr(cfg.validate_source, ":test") != nullptr;
  std::string json = "{\"final\": true";
  if (fold)
    json += ", \"fold\": " + std::to_string(fold);
  auto add = [&](const char *key, double v) {
    nnc::rt::addJsonField(json, key, v);
  };
  if (validated && isTest && hasAccuracy()) {
    std::printf("test accuracy %.4f  (test loss %.4f, %lld samples)\n",
                accuracyOf(lastVal), lastVal.meanLoss(),
                (long long)lastVal.samples);
    add("test_accuracy", accuracyOf(lastVal));
    add("test_loss", lastVal.meanLoss());
    double withTta = NAN;
    if (ttaViews.size() > 1 && ttaAccuracy(withTta) == 0) {
      std::printf("test accuracy with test-time augmentation %.4f  (the "
                  "mean over %zu views: %s)\n",
                  withTta, ttaViews.size(), cfg.tta);
      add("test_accuracy_tta", withTta);
    } else if (ttaViews.size() > 1) {
      std::printf("(the final test accuracy with test-time augmentation is "
                  "for classifiers with an output [B, classes]; nnc predict "
                  "--tta averages this model's views)\n");
    }
  }
  if (validated && wantConfusion && !lastConfusion.empty()) {
    int64_t c = int64_t(std::sqrt(double(lastConfusion.size())) + 0.5);
    if (!fold) // cross-validation prints the out-of-fold one
      nnc::rt::printConfusion(stdout, lastConfusion, c);
    json += ", \"val_confusion\": " + nnc::rt::confusionJson(lastConfusion, c);
  }
  if (validated && cfg.checkpoint && std::isfinite(bestVal))
    std::printf("best %s %.4f at epoch %lld: %s\n", monitor.c_str(),
                monitorHigher ? -bestVal : bestVal, (long long)bestEpoch,
                bestPath().c_str());
  if (validated)
    json += ", \"best_epoch\": " + std::to_string(bestEpoch);
  json += ", \"steps\": " + std::to_string(globalStep);
  add("seconds", total);
  // The process's peak resident memory (Linux's VmHWM, which unlike
  // getrusage's maximum is not inherited from a parent at fork).
  if (double mb = peakResidentMB(); mb > 0)
    add("peak_rss_mb", mb);
  json += "}";
  writeMetrics(json.c_str());
  std::fflush(stdout);
  if (std::getenv("NNC_BUFFER_STATS")) {
    nnc_buffer_stats b = nnc_buffer_pool_stats();
    std::fprintf(stderr,
                 "nnc: buffers: %lld taken from the system (%.1f MB, of "
                 "which workspaces %.1f MB), %lld reused\n",
                 (long long)b.system_allocations, b.system_bytes / 1048576.0,
                 b.workspace_bytes / 1048576.0, (long long)b.reused);
  }
}

} // namespace nnc_rt

/// A step frees its intermediates and allocates the same sizes again in the
/// next step. glibc returns large blocks to the kernel (mmap/munmap, heap
/// trimming), so every step would page-fault and zero all of them again;
/// keeping freed memory in the heap makes later steps reuse it.
static void keepFreedMemory() {
#ifdef __GLIBC__
  // 32 MB is the largest mmap threshold glibc accepts.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

extern "C" int nnc_train(const nnc_model *train_step,
                         const nnc_model *eval_step,
                         const nnc_train_config *cfg) {
  if (cfg->init_only && !cfg->checkpoint)
    return nnc_set_error("initialisation needs a checkpoint file to write");
  if (!cfg->init_only && (cfg->batch <= 0 || cfg->epochs <= 0))
    return nnc_set_error("batch and epochs must be positive");
  keepFreedMemory();
  nnc::FlushDenormals mode;
  namespace dist = nnc_rt::dist;
  if (dist::start())
    return -1;
  if (dist::active() && cfg->folds > 1)
    return nnc_set_error("cross-validation does not run under MPI: run "
                         "--folds in one process");
  if (dist::active() && cfg->state)
    return nnc_set_error("training from in-memory state does not run "
                         "under MPI");
  if (cfg->folds > 1)
    return nnc_rt::runFolds(train_step, eval_step, *cfg);
  nnc_rt::Trainer t(train_step, eval_step, *cfg);
  int rc = t.run();
  // One rank's error would leave the others waiting: end the job.
  if (rc < 0)
    dist::abortJob(nnc_last_error());
  return rc;
}
