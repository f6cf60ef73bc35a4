//===- Collectives.h - Data-parallel training across processes -*- C++ -*-===//
//
// What the trainer needs from the other ranks of an MPI job: who it is,
// sums of a few numbers, a broadcast, and the gradient exchange the
// compiled train step calls (nnc_allreduce_*). Outside MPI (no launcher in
// the environment) rank 0 of 1 and every call returns at once; under MPI
// the plugin (CommPlugin.h) is loaded on first use. Every wait has a
// deadline (NNC_MPI_TIMEOUT seconds, default 120): a rank that died or
// cannot be reached ends the job with a message naming the step, and the
// last checkpoint, written atomically by rank 0, stays intact.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_RUNTIME_COLLECTIVES_H
#define NNC_RUNTIME_COLLECTIVES_H

#include <cstdint>

namespace nnc_rt::dist {

/// Joins the MPI job when the process was started by an MPI launcher with
/// more than one process (loads the plugin, MPI_Init). Idempotent; -1
/// (error set) when it cannot.
int start();
/// After start(): whether there are other ranks.
bool active();
int rank();
int size();

/// Sums `n` doubles over the ranks, in place (`what`: for the message of a
/// timeout). No-op outside MPI.
void sum(double *values, int64_t n, const char *what);
/// Rank 0's `bytes` bytes at `data` on every rank.
void broadcast(void *data, int64_t bytes, const char *what);

/// The next steps' share of this rank in the global batch: its gradients
/// are multiplied by it before the sum.
void setShare(double share);
/// The step number and checkpoint shown if the job ends abnormally (a
/// timeout, or SIGTERM from the launcher after another rank died). Called
/// every step: it stores the step and rewrites the message only when the
/// checkpoint's state changes.
void setProgress(int64_t step, const char *checkpoint, bool written);

/// Ends the whole job after an error on this rank (MPI_Abort), after
/// printing `message`. Returns only outside MPI.
void abortJob(const char *message);

} // namespace nnc_rt::dist

#endif // NNC_RUNTIME_COLLECTIVES_H
