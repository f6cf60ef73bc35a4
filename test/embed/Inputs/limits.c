/* limits.c: the library's error paths and resource queries, for
 * limits.test. Each line it prints is checked there. Built against a
 * library of examples/fashion_mnist/mlp.nn (with its train block) and
 * --threads 2. */
#include "mlp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void report(const char *what, int rc) {
  printf("%s: %d %s\n", what, rc, rc ? mlp_error() : "ok");
}

static void forward_all(mlp *m, const float *image, float *out, int threads) {
  report("set_threads", mlp_set_threads(m, threads));
  report("forward", mlp_forward(m, 8, image, out));
}

int main(void) {
  static float image[8 * MLP_IMAGE_SIZE], one[8 * MLP_OUTPUT_SIZE],
      two[8 * MLP_OUTPUT_SIZE];
  static int64_t label[8];
  mlp *m = NULL;
  for (int i = 0; i < 8 * MLP_IMAGE_SIZE; ++i)
    image[i] = (float)((i * 37) % 101) / 101.0f;
  report("create NULL", mlp_create(NULL, 0));
  report("create", mlp_create(&m, 0));
  printf("max threads %d\n", MLP_MAX_THREADS);
  printf("workspace 1: %lld\n", (long long)mlp_workspace_bytes(1));
  printf("workspace 64: %lld\n", (long long)mlp_workspace_bytes(64));
  printf("workspace 0: %lld\n", (long long)mlp_workspace_bytes(0));
  printf("workspace max+1: %lld\n",
         (long long)mlp_workspace_bytes((int64_t)MLP_MAX_BATCH + 1));
  printf("train workspace 64: %lld\n",
         (long long)mlp_train_workspace_bytes(64));
  /* The same outputs on one and on two threads. */
  forward_all(m, image, one, 1);
  forward_all(m, image, two, 2);
  double diff = 0;
  for (int i = 0; i < 8 * MLP_OUTPUT_SIZE; ++i)
    diff = fmax(diff, fabs((double)one[i] - two[i]));
  printf("threads 1 vs 2: max difference %g\n", diff);
  report("set_threads 0", mlp_set_threads(m, 0));
  report("set_threads 3", mlp_set_threads(m, 3));
  /* Bad arguments. */
  report("forward NULL model", mlp_forward(NULL, 8, image, one));
  report("forward NULL input", mlp_forward(m, 8, NULL, one));
  report("forward NULL output", mlp_forward(m, 8, image, NULL));
  report("forward batch 0", mlp_forward(m, 0, image, one));
  report("learning rate NaN", mlp_set_learning_rate(m, NAN));
  report("learning rate -1", mlp_set_learning_rate(m, -1));
  report("learning rate inf", mlp_set_learning_rate(m, INFINITY));
  report("load NULL", mlp_load(m, NULL));
  /* Memory the system cannot provide: an error, and the instance and the
   * process go on. */
  report("forward huge batch", mlp_forward(m, MLP_MAX_BATCH, image, one));
  report("train_step huge batch",
         mlp_train_step(m, MLP_MAX_BATCH, image, label, NULL));
  forward_all(m, image, two, 2);
  diff = 0;
  for (int i = 0; i < 8 * MLP_OUTPUT_SIZE; ++i)
    diff = fmax(diff, fabs((double)one[i] - two[i]));
  printf("after the failures: max difference %g\n", diff);
  double loss = -1;
  report("train_step", mlp_train_step(m, 8, image, label, &loss));
  printf("loss finite: %d\n", isfinite(loss));
  mlp_destroy(m);
  mlp_destroy(NULL);
  return 0;
}
