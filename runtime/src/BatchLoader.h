//===- BatchLoader.h - The train loop's batches, gathered ahead -*- C++ -*-===//
//
// Each training batch is drawn from the batcher, sliced for this rank of a
// data-parallel job, gathered into the train step's input buffers and
// augmented. On a GPU the host has nothing to do while a step runs, so
// there a thread of the loader's own prepares the next batch into a spare
// set of input buffers during the step and moves it to the GPU (one
// prefetch instead of the kernels' page faults); next() swaps it in. The
// batches, and so the numbers, are the same either way.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_RUNTIME_BATCHLOADER_H
#define NNC_RUNTIME_BATCHLOADER_H

#include "nnc/runtime.h"

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace nnc_rt {

class BatchLoader {
public:
  /// Fills the data inputs of `args` with `n` rows and augments them as
  /// global step `step`'s batch.
  using Prepare =
      std::function<void(const std::vector<nnc_tensor *> &args,
                         const int64_t *rows, int64_t n, int64_t step)>;
  struct Options {
    int64_t firstStep = 0; ///< the global step of the first batch
    int64_t ranks = 1, rank = 0;
    int64_t capacity = 0; ///< rows the input buffers hold
    /// Prepare the next batch on a thread during the step.
    bool ahead = false;
  };
  /// `inputs[a]`: args[a] is a data input (gathered per batch).
  BatchLoader(nnc_batcher &batcher, const std::vector<nnc_tensor *> &args,
              std::vector<bool> inputs, Prepare prepare, Options opts);
  ~BatchLoader();
  BatchLoader(const BatchLoader &) = delete;
  BatchLoader &operator=(const BatchLoader &) = delete;

  /// The next batch, in the step's arguments: 1 with `n` (this rank's
  /// samples) and `total` (the global batch's), 0 at the epoch's end, -1
  /// on an error (nnc_last_error says why); after 0 or -1, the same again.
  int next(int64_t &n, int64_t &total);
  /// Lets the thread finish the batch it prepares, and ends it (before
  /// the batcher goes away). next() must not be called after.
  void stop();

  /// Whether batches are prepared ahead here: with a GPU that lets the
  /// host write memory while kernels run, or when NNC_BATCHES_AHEAD=1
  /// asks for it (tests follow that path on the CPU); never on a GPU that
  /// does not.
  static bool wantAhead();

private:
  struct Batch {
    int more = 0;
    int64_t n = 0, total = 0;
    std::string error;
  };
  /// Draws, slices and prepares one batch into `into`.
  Batch draw(const std::vector<nnc_tensor *> &into);
  void work();
  void request();

  nnc_batcher &batcher;
  std::vector<nnc_tensor *> args;
  std::vector<bool> inputs;
  Prepare prepare;
  Options opts;
  int64_t step;

  // Ahead: the spare buffers the thread fills, and its hand-over.
  std::vector<nnc_tensor> spare;
  std::vector<nnc_tensor *> spareArgs;
  std::thread thread;
  std::mutex mutex;
  std::condition_variable changed;
  bool started = false, wanted = false, ready = false, quit = false;
  /// The epoch's end (0) or an error (-1) once reached; 1 before.
  int ended = 1;
  std::string endError;
  Batch prepared;
};

} // namespace nnc_rt

#endif // NNC_RUNTIME_BATCHLOADER_H
