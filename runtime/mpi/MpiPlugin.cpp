//===- MpiPlugin.cpp - The runtime's collectives over MPI
//------------------===//
//
// libnnc_mpi.so: the only code of nnc that includes mpi.h and links
// libmpi. The runtime loads it with dlopen when the process was started by
// an MPI launcher (runtime/src/Collectives.cpp), so single-process runs,
// executables and embedded libraries need no MPI installed. Written
// against the MPI standard, not one implementation.
//
//===----------------------------------------------------------------------===//
#include "../src/CommPlugin.h"

#include <mpi.h>

#include <climits>
#include <cstdio>
#include <vector>

namespace {
/// Requests in flight; a handle is an index (free slots are reused).
std::vector<MPI_Request> requests;

int slot(MPI_Request r, int *handle) {
  for (size_t i = 0; i < requests.size(); ++i)
    if (requests[i] == MPI_REQUEST_NULL) {
      requests[i] = r;
      *handle = int(i);
      return 0;
    }
  requests.push_back(r);
  *handle = int(requests.size() - 1);
  return 0;
}

int init(int *rank, int *size, char *why, int whyLen) {
  int provided = 0;
  int rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  if (rc != MPI_SUCCESS) {
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, text, &len);
    std::snprintf(why, size_t(whyLen), "MPI_Init_thread failed: %s", text);
    return 1;
  }
  // Errors come back as codes (a peer that vanished), not an abort
  // inside MPI, so the runtime can say what happened.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, rank);
  MPI_Comm_size(MPI_COMM_WORLD, size);
  return 0;
}

int iallreduceSum(void *buf, int64_t n, int f64, int *handle) {
  if (n > INT_MAX)
    return 1; // the runtime's buckets are far smaller
  MPI_Request r;
  if (MPI_Iallreduce(MPI_IN_PLACE, buf, int(n), f64 ? MPI_DOUBLE : MPI_FLOAT,
                     MPI_SUM, MPI_COMM_WORLD, &r) != MPI_SUCCESS)
    return 1;
  return slot(r, handle);
}

int allreduceSum(void *buf, int64_t n, int f64) {
  if (n > INT_MAX)
    return 1;
  return MPI_Allreduce(MPI_IN_PLACE, buf, int(n), f64 ? MPI_DOUBLE : MPI_FLOAT,
                       MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS;
}

int bcast(void *buf, int64_t bytes, int root) {
  if (bytes > INT_MAX)
    return 1;
  return MPI_Bcast(buf, int(bytes), MPI_BYTE, root, MPI_COMM_WORLD) !=
         MPI_SUCCESS;
}

int test(int handle, int *done) {
  if (handle < 0 || size_t(handle) >= requests.size())
    return 1;
  return MPI_Test(&requests[size_t(handle)], done, MPI_STATUS_IGNORE) !=
         MPI_SUCCESS;
}

void abortJob(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

void finalize() {
  int done = 0;
  MPI_Finalized(&done);
  if (!done)
    MPI_Finalize();
}

const nnc_comm_plugin table = {NNC_COMM_ABI, init, allreduceSum, iallreduceSum,
                               bcast,        test, abortJob,     finalize};
} // namespace

extern "C" __attribute__((visibility("default"))) const nnc_comm_plugin *
nnc_comm_plugin_get(void) {
  return &table;
}
