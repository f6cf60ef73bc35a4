//===- BatchLoader.cpp - The train loop's batches, gathered ahead ---------===//
//
// See BatchLoader.h. Ahead, one thread per epoch prepares batch k+1 while
// the caller runs step k; the two sets of input buffers trade places at
// each next(). The thread draws from the batcher and counts the steps in
// the same order the serial path does, so both give the same batches.
//
//===----------------------------------------------------------------------===//
#include "BatchLoader.h"

#include "DeviceMemory.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace nnc_rt {

bool BatchLoader::wantAhead() {
  // Never on a GPU that forbids the host managed memory while kernels run
  // (it would crash), whatever the environment says.
  if (nnc::deviceMemoryInUse() && !nnc::deviceOverlapsHost())
    return false;
  const char *forced = std::getenv("NNC_BATCHES_AHEAD");
  if (forced && *forced)
    return std::strcmp(forced, "0") != 0;
  return nnc::deviceOverlapsHost();
}

BatchLoader::BatchLoader(nnc_batcher &batcher,
                         const std::vector<nnc_tensor *> &args,
                         std::vector<bool> inputs, Prepare prepare,
                         Options opts)
    : batcher(batcher), args(args), inputs(std::move(inputs)),
      prepare(std::move(prepare)), opts(opts), step(opts.firstStep) {
  if (!opts.ahead)
    return;
  spare.assign(args.size(), nnc_tensor{});
  spareArgs = args;
  for (size_t a = 0; a < args.size(); ++a) {
    if (!this->inputs[a])
      continue;
    spare[a] = *args[a];
    spare[a].data = nullptr;
    spare[a].dims[0] = opts.capacity;
    if (nnc_tensor_alloc(&spare[a])) {
      // Out of memory for a second set: prepare each batch in the step's.
      for (nnc_tensor &t : spare)
        nnc_tensor_free(&t);
      spare.clear();
      this->opts.ahead = false;
      nnc_clear_error();
      return;
    }
    spareArgs[a] = &spare[a];
  }
  thread = std::thread([this] { work(); });
}

BatchLoader::~BatchLoader() {
  stop();
  for (nnc_tensor &t : spare)
    nnc_tensor_free(&t);
}

void BatchLoader::stop() {
  if (thread.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      quit = true;
    }
    changed.notify_all();
    thread.join();
  }
}

BatchLoader::Batch BatchLoader::draw(const std::vector<nnc_tensor *> &into) {
  while (true) {
    const int64_t *rows = nullptr;
    int64_t n = 0;
    Batch b;
    b.more = nnc_batcher_next(&batcher, &rows, &n);
    if (b.more <= 0) {
      if (b.more < 0)
        b.error = nnc_last_error();
      return b;
    }
    b.total = n;
    if (opts.ranks > 1) {
      if (n < opts.ranks)
        continue; // some rank would have no sample
      // This rank's slice; its gradient weighs its share of the batch.
      int64_t base = n / opts.ranks, extra = n % opts.ranks;
      rows += opts.rank * base + std::min(opts.rank, extra);
      n = base + (opts.rank < extra ? 1 : 0);
    }
    b.n = n;
    prepare(into, rows, n, step++);
    for (size_t a = 0; a < into.size(); ++a)
      if (inputs[a]) {
        const nnc_tensor &t = *into[a];
        nnc::devicePrefetch(t.data, size_t(nnc_tensor_numel(&t)) *
                                        nnc_dtype_size(t.dtype));
      }
    return b;
  }
}

void BatchLoader::work() {
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex);
      changed.wait(lock, [&] { return wanted || quit; });
      if (quit)
        return;
      wanted = false;
    }
    Batch b = draw(spareArgs);
    bool last = b.more <= 0;
    {
      std::lock_guard<std::mutex> lock(mutex);
      prepared = std::move(b);
      ready = true;
    }
    changed.notify_all();
    if (last)
      return;
  }
}

void BatchLoader::request() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    wanted = true;
  }
  changed.notify_all();
}

int BatchLoader::next(int64_t &n, int64_t &total) {
  n = total = 0;
  if (ended <= 0) { // the thread is gone: say the same again
    if (ended < 0)
      nnc_set_error("%s", endError.c_str());
    return ended;
  }
  Batch b;
  if (!opts.ahead) {
    b = draw(args);
  } else {
    if (!started) {
      started = true;
      request();
    }
    {
      std::unique_lock<std::mutex> lock(mutex);
      changed.wait(lock, [&] { return ready; });
      ready = false;
      b = std::move(prepared);
    }
    if (b.more > 0) {
      // The prepared buffers become the step's; the step's (done with)
      // are filled with the batch after.
      for (size_t a = 0; a < args.size(); ++a)
        if (inputs[a]) {
          std::swap(args[a]->data, spare[a].data);
          std::swap(args[a]->dims[0], spare[a].dims[0]);
        }
      request();
    }
  }
  if (b.more <= 0) {
    ended = b.more;
    endError = b.error;
  }
  if (b.more < 0)
    nnc_set_error("%s", b.error.c_str());
  n = b.n;
  total = b.total;
  return b.more;
}

} // namespace nnc_rt
