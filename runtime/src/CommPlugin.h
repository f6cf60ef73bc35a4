/*===- CommPlugin.h - The MPI plugin's C interface -----------------*- C -*-===
 *
 * The runtime never links MPI: under an MPI launcher it loads the plugin
 * (runtime/mpi/MpiPlugin.cpp, libnnc_mpi.so, which links libmpi) with
 * dlopen and calls it through this table. Every collective is non-blocking
 * and in place; the runtime polls `test` with a deadline, so a rank that
 * died or cannot be reached ends the job with a message instead of a hang.
 *
 *===----------------------------------------------------------------------===*/
#ifndef NNC_RUNTIME_COMMPLUGIN_H
#define NNC_RUNTIME_COMMPLUGIN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NNC_COMM_ABI 1

typedef struct nnc_comm_plugin {
  int abi; /* NNC_COMM_ABI */
  /* MPI_Init_thread; the rank and size of MPI_COMM_WORLD. Nonzero with a
   * message in `why` on failure. */
  int (*init)(int *rank, int *size, char *why, int why_len);
  /* Starts the sum over ranks of n floats (f64: doubles) in place. */
  int (*iallreduce_sum)(void *buf, int64_t n, int f64, int *handle);
  /* Starts the broadcast of `bytes` bytes from rank `root`. */
  int (*ibcast)(void *buf, int64_t bytes, int root, int *handle);
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
