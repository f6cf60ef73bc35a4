/*===- CommPlugin.h - The MPI plugin's C interface -----------------*- C -*-===
 *
 * The runtime never links MPI: under an MPI launcher it loads the plugin
 * (runtime/mpi/MpiPlugin.cpp, libnnc_mpi.so, which links libmpi) with
 * dlopen and calls it through this table. Collectives work in place; the
 * runtime bounds every wait (a watchdog around blocking calls, a deadline
 * when it polls `test`), so a rank that died or cannot be reached ends the
 * job with a message instead of a hang.
 *
 *===----------------------------------------------------------------------===*/
#ifndef NNC_RUNTIME_COMMPLUGIN_H
#define NNC_RUNTIME_COMMPLUGIN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NNC_COMM_ABI 2

typedef struct nnc_comm_plugin {
  int abi; /* NNC_COMM_ABI */
  /* MPI_Init_thread; the rank and size of MPI_COMM_WORLD. Nonzero with a
   * message in `why` on failure. */
  int (*init)(int *rank, int *size, char *why, int why_len);
  /* The sum over ranks of n floats (f64: doubles), in place. */
  int (*allreduce_sum)(void *buf, int64_t n, int f64);
  /* Starts that sum; `test` says when it is done. */
  int (*iallreduce_sum)(void *buf, int64_t n, int f64, int *handle);
  /* Rank `root`'s `bytes` bytes on every rank. */
  int (*bcast)(void *buf, int64_t bytes, int root);
  /* Whether the operation is complete (its handle is then free). */
  int (*test)(int handle, int *done);
  /* Ends every rank of the job (MPI_Abort). */
  void (*abort_job)(int code);
  void (*finalize)(void);
} nnc_comm_plugin;

/* The plugin's one exported symbol. */
const nnc_comm_plugin *nnc_comm_plugin_get(void);

#ifdef __cplusplus
}
#endif

#endif /* NNC_RUNTIME_COMMPLUGIN_H */
