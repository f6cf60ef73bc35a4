//===- Collectives.cpp - Data-parallel training across processes ----------===//
//
// See Collectives.h. The gradient exchange: the compiled train step hands
// over each gradient as soon as the backward pass has it
// (nnc_allreduce_start), in the same order on every rank. Gradients are
// copied, scaled by the rank's share of the global batch, into buckets of
// about 4 MB; a full bucket's allreduce starts at once and progresses
// while the backward pass goes on (each later hand-over polls it), so a
// step makes a few allreduce calls, not one per parameter.
// nnc_allreduce_wait sends the last bucket and waits for all;
// nnc_allreduce_result copies each sum back into its gradient's buffer,
// which the optimizer update then reads.
//
//===----------------------------------------------------------------------===//
#include "Collectives.h"
#include "CommPlugin.h"
#include "nnc/runtime.h"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <dlfcn.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

namespace {
const nnc_comm_plugin *plugin = nullptr;
int myRank = 0, worldSize = 1;
bool started = false;
double timeoutSeconds = 120;
double share = 1.0;

/// What the job-ending messages say, prepared outside signal handlers:
/// "nnc: rank R of N: " and what became of the checkpoint (rewritten only
/// when that changes); the handler writes the step's digits itself.
char rankPrefix[64] = "";
char keepNote[768] = "no checkpoint file was set\n";
int keepState = -1; ///< the (checkpoint, written) state keepNote describes
std::atomic<int64_t> currentStep{0};

int64_t envInt(const char *name) {
  const char *v = std::getenv(name);
  return v && *v ? std::strtoll(v, nullptr, 10) : -1;
}

void updateKeepNote(const char *checkpoint, bool written) {
  int state = !checkpoint ? 0 : written ? 1 : 2;
  if (state == keepState)
    return;
  keepState = state;
  if (state == 1)
    std::snprintf(keepNote, sizeof keepNote,
                  "the last checkpoint '%s' is intact\n", checkpoint);
  else
    std::snprintf(keepNote, sizeof keepNote, "%s\n",
                  state == 0 ? "no checkpoint file was set"
                             : "no checkpoint was written yet");
}

void writeText(const char *s) {
  ssize_t w = ::write(2, s, std::strlen(s));
  (void)w;
}

void onTerm(int) {
  // Only async-signal-safe calls: the step's digits by hand.
  char digits[24];
  int at = sizeof digits - 1;
  digits[at] = 0;
  int64_t step = currentStep.load();
  do
    digits[--at] = char('0' + step % 10);
  while ((step /= 10) > 0 && at > 0);
  writeText(rankPrefix);
  writeText("stopped by the MPI launcher near step ");
  writeText(digits + at);
  writeText(" (another rank ended: the launcher's message names it); ");
  writeText(keepNote);
  // The launcher forwards output through pipes: a moment for this line
  // before the SIGKILL that follows SIGTERM.
  struct timespec pause = {0, 500000000};
  nanosleep(&pause, nullptr);
  _exit(143);
}

/// MPI_Abort after a message: the launcher forwards a rank's output
/// through pipes that the abort tears down, so give it a moment.
[[noreturn]] void endJob() {
  std::fflush(stdout);
  std::fflush(stderr);
  usleep(1000000);
  plugin->abort_job(1);
  _exit(1);
}

void reportTimeout(const char *what) {
  std::fprintf(
      stderr,
      "%sno answer from the other ranks for %.0f s during %s at step %lld: "
      "a rank has died or cannot be reached (NNC_MPI_TIMEOUT sets the "
      "limit); ending the job. %s",
      rankPrefix, timeoutSeconds, what, (long long)currentStep.load(),
      keepNote);
}

[[noreturn]] void timedOut(const char *what) {
  reportTimeout(what);
  endJob();
}

/// Blocking collectives run under a watchdog: a thread that ends the
/// process when one has not returned by its deadline (the launcher then
/// ends the job). Arming and disarming are two atomic stores.
std::atomic<double> watchDeadline{0}; // 0: nothing watched
std::atomic<const char *> watchWhat{""};

void watchdog() {
  for (;;) {
    usleep(100000);
    double d = watchDeadline.load();
    if (d > 0 && nnc_now() > d) {
      reportTimeout(watchWhat.load());
      std::fflush(stderr);
      usleep(1000000); // the launcher forwards output through pipes
      _exit(1);
    }
  }
}

struct Watched {
  explicit Watched(const char *what) {
    watchWhat = what;
    watchDeadline = nnc_now() + timeoutSeconds;
  }
  ~Watched() { watchDeadline = 0; }
};

[[noreturn]] void failed(const char *what) {
  std::fprintf(stderr,
               "nnc: rank %d of %d: MPI failed during %s at step %lld; "
               "ending the job\n",
               myRank, worldSize, what, (long long)currentStep.load());
  endJob();
}

/// Polls `handle` until it completes, or until the deadline.
void waitFor(int handle, const char *what) {
  double deadline = nnc_now() + timeoutSeconds;
  for (int spins = 0;; ++spins) {
    int done = 0;
    if (plugin->test(handle, &done))
      failed(what);
    if (done)
      return;
    if (spins > 2000) {
      if (nnc_now() > deadline)
        timedOut(what);
      usleep(20);
    } else if (spins > 200) {
      sched_yield();
    }
  }
}

void *openPlugin(std::string &tried) {
  std::vector<std::string> paths;
  if (const char *p = std::getenv("NNC_MPI_PLUGIN"); p && *p) {
    if (void *h = dlopen(p, RTLD_NOW | RTLD_GLOBAL)) // that one, or none
      return h;
    tried += std::string("\n  NNC_MPI_PLUGIN: ") + dlerror();
    return nullptr;
  }
#ifdef NNC_MPI_PLUGIN_PATH
  paths.push_back(NNC_MPI_PLUGIN_PATH);
#endif
#ifdef NNC_MPI_PLUGIN_INSTALLED
  paths.push_back(NNC_MPI_PLUGIN_INSTALLED);
#endif
  paths.push_back("libnnc_mpi.so");
  for (const std::string &p : paths) {
    // Global: Open MPI's own components resolve libmpi's symbols.
    if (void *h = dlopen(p.c_str(), RTLD_NOW | RTLD_GLOBAL))
      return h;
    tried += std::string("\n  ") + dlerror();
  }
  return nullptr;
}

/// The gradient exchange of one step.
struct Bucket {
  std::unique_ptr<float[]> data;
  int64_t capacity = 0, used = 0;
  int handle = -1; ///< in flight
};
struct Place {
  size_t bucket;
  int64_t offset, n;
};
constexpr int64_t kBucketFloats = 1 << 20; // 4 MB
std::vector<Bucket> buckets;
std::vector<Place> places; ///< by gradient index
size_t current = 0;        ///< the bucket being filled
bool stepOpen = false;

void send(Bucket &b) {
  if (b.used == 0 || b.handle != -1) // empty, or already sent
    return;
  if (plugin->iallreduce_sum(b.data.get(), b.used, 0, &b.handle))
    failed("the gradient exchange");
}

/// Lets the buckets in flight progress (MPI moves mostly inside calls).
void poll() {
  for (Bucket &b : buckets)
    if (b.handle >= 0) {
      int done = 0;
      if (plugin->test(b.handle, &done))
        failed("the gradient exchange");
      if (done)
        b.handle = -2; // complete
    }
}

void beginStep() {
  for (Bucket &b : buckets) {
    b.used = 0;
    b.handle = -1;
  }
  current = 0;
  stepOpen = true;
}

/// A bucket with room for n more floats (a gradient larger than a bucket
/// gets one of its own).
Bucket &room(int64_t n) {
  if (current < buckets.size() &&
      buckets[current].used + n > buckets[current].capacity &&
      buckets[current].used > 0) {
    send(buckets[current]);
    ++current;
  }
  if (current == buckets.size())
    buckets.emplace_back();
  Bucket &b = buckets[current];
  int64_t need = std::max(kBucketFloats, b.used + n);
  if (b.capacity < need) { // only before it is sent
    std::unique_ptr<float[]> bigger(new float[size_t(need)]);
    std::copy(b.data.get(), b.data.get() + b.used, bigger.get());
    b.data = std::move(bigger);
    b.capacity = need;
  }
  return b;
}
} // namespace

namespace nnc_rt::dist {

int start() {
  if (started)
    return 0;
  int64_t launched = nnc_mpi_launch_size();
  if (launched <= 1) {
    started = true;
    return 0;
  }
  std::string tried;
  void *h = openPlugin(tried);
  if (!h)
    return nnc_set_error(
        "this process was started by an MPI launcher (%lld processes), but "
        "nnc's MPI plugin cannot be loaded (nnc was built without MPI, or "
        "libmpi is missing: install libopenmpi-dev and openmpi-bin, then "
        "rebuild nnc). Tried:%s",
        (long long)launched, tried.c_str());
  using Get = const nnc_comm_plugin *(*)();
  auto get = reinterpret_cast<Get>(dlsym(h, "nnc_comm_plugin_get"));
  plugin = get ? get() : nullptr;
  if (!plugin || plugin->abi != NNC_COMM_ABI)
    return nnc_set_error("nnc's MPI plugin is from another version of nnc");
  char why[512] = "";
  if (plugin->init(&myRank, &worldSize, why, sizeof why))
    return nnc_set_error("%s", why);
  if (worldSize != launched || myRank != nnc_mpi_launch_rank())
    return nnc_set_error(
        "the MPI launcher started %lld processes but MPI sees rank %d of "
        "%d: nnc's MPI plugin was built against another MPI than the "
        "launcher's (use the mpirun of the MPI nnc was built with)",
        (long long)launched, myRank, worldSize);
  if (const char *t = std::getenv("NNC_MPI_TIMEOUT")) {
    char *end = nullptr;
    long long s = std::strtoll(t, &end, 10);
    if (*t && *end == 0 && s > 0)
      timeoutSeconds = double(s);
    else if (myRank == 0)
      std::fprintf(stderr,
                   "nnc: warning: NNC_MPI_TIMEOUT='%s' is not a whole number "
                   "of seconds > 0; the limit stays %.0f s\n",
                   t, timeoutSeconds);
  }
  started = true;
  std::snprintf(rankPrefix, sizeof rankPrefix, "nnc: rank %d of %d: ", myRank,
                worldSize);
  struct sigaction sa{};
  sa.sa_handler = onTerm;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  std::thread(watchdog).detach();
  std::atexit([] { plugin->finalize(); });
  return 0;
}

bool active() { return plugin && worldSize > 1; }
int rank() { return myRank; }
int size() { return worldSize; }

void sum(double *values, int64_t n, const char *what) {
  if (!active() || n == 0)
    return;
  Watched w(what);
  if (plugin->allreduce_sum(values, n, 1))
    failed(what);
}

void broadcast(void *data, int64_t bytes, const char *what) {
  if (!active() || bytes == 0)
    return;
  Watched w(what);
  if (plugin->bcast(data, bytes, 0))
    failed(what);
}

void setShare(double s) { share = s; }

void setProgress(int64_t step, const char *checkpoint, bool written) {
  currentStep = step;
  if (active())
    updateKeepNote(checkpoint, written);
}

void abortJob(const char *message) {
  if (!active())
    return;
  std::fprintf(stderr, "nnc: error (rank %d of %d): %s\n", myRank, worldSize,
               message);
  endJob();
}

} // namespace nnc_rt::dist

extern "C" {

int32_t nnc_mpi_launch_size(void) {
  int64_t n = envInt("OMPI_COMM_WORLD_SIZE");
  if (n < 0)
    n = envInt("PMI_SIZE");
  return n > 0 && n < INT32_MAX ? int32_t(n) : 1;
}

int32_t nnc_mpi_launch_rank(void) {
  int64_t r = envInt("OMPI_COMM_WORLD_RANK");
  if (r < 0)
    r = envInt("PMI_RANK");
  return r > 0 && r < INT32_MAX ? int32_t(r) : 0;
}

void nnc_allreduce_start(int64_t index, int64_t address, int64_t n) {
  if (!nnc_rt::dist::active())
    return;
  if (!stepOpen)
    beginStep();
  poll();
  Bucket &b = room(n);
  const float *g = reinterpret_cast<const float *>(address);
  float s = float(share);
  float *out = b.data.get() + b.used;
  for (int64_t i = 0; i < n; ++i)
    out[i] = g[i] * s;
  if (size_t(index) >= places.size())
    places.resize(size_t(index) + 1);
  places[size_t(index)] = {current, b.used, n};
  b.used += n;
  if (b.used >= kBucketFloats) {
    send(b);
    ++current;
  }
}

void nnc_allreduce_wait(void) {
  if (!nnc_rt::dist::active())
    return;
  // Buckets sent during the backward pass are polled to the end; the rest
  // (for a small model, everything) go through the blocking allreduce,
  // which MPI implements faster than the non-blocking one.
  for (Bucket &b : buckets) {
    if (b.handle >= 0) {
      waitFor(b.handle, "the gradient exchange");
    } else if (b.handle == -1 && b.used > 0) {
      Watched w("the gradient exchange");
      if (plugin->allreduce_sum(b.data.get(), b.used, 0))
        failed("the gradient exchange");
    }
  }
  stepOpen = false;
}

void nnc_allreduce_result(int64_t index, int64_t address, int64_t n) {
  if (!nnc_rt::dist::active())
    return;
  if (index < 0 || size_t(index) >= places.size() ||
      places[size_t(index)].n != n)
    nnc_rt::dist::abortJob("the gradient exchange lost its layout");
  const Place &p = places[size_t(index)];
  std::memcpy(reinterpret_cast<float *>(address),
              buckets[p.bucket].data.get() + p.offset, size_t(n) * 4);
}
}
