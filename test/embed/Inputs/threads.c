/* threads.c: separate instances on separate threads, for threads.test.
 * Each of 4 threads creates its own instance (the same seed), takes 20
 * training steps on its own copy of the same batches and runs forward;
 * the outputs must equal those of the same work done first on the main
 * thread, bit for bit. */
#include "mlp.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

enum { kBatch = 16, kSteps = 20, kThreads = 4 };

struct work {
  float image[kBatch * MLP_IMAGE_SIZE];
  int64_t label[kBatch];
  float out[kBatch * MLP_OUTPUT_SIZE];
  int rc;
};

static void *run(void *arg) {
  struct work *w = arg;
  mlp *m = NULL;
  w->rc = mlp_create(&m, 7);
  for (int s = 0; s < kSteps && !w->rc; ++s) {
    w->image[s] += 0.01f; /* a slightly different batch each step */
    w->rc = mlp_train_step(m, kBatch, w->image, w->label, NULL);
  }
  if (!w->rc)
    w->rc = mlp_forward(m, kBatch, w->image, w->out);
  if (w->rc)
    fprintf(stderr, "threads: %s\n", mlp_error());
  mlp_destroy(m);
  return NULL;
}

static struct work reference, each[kThreads];

int main(void) {
  for (int i = 0; i < kBatch * MLP_IMAGE_SIZE; ++i)
    reference.image[i] = (float)((i * 37) % 101) / 101.0f;
  for (int i = 0; i < kBatch; ++i)
    reference.label[i] = (i * 3) % 10;
  for (int t = 0; t < kThreads; ++t)
    memcpy(&each[t], &reference, sizeof reference);
  run(&reference);
  pthread_t threads[kThreads];
  for (int t = 0; t < kThreads; ++t)
    pthread_create(&threads[t], NULL, run, &each[t]);
  int same = 0;
  for (int t = 0; t < kThreads; ++t) {
    pthread_join(threads[t], NULL);
    same += !each[t].rc &&
            !memcmp(each[t].out, reference.out, sizeof reference.out);
  }
  printf("rc %d, %d of %d threads equal the reference\n", reference.rc, same,
         kThreads);
  return same == kThreads ? 0 : 1;
}
