/* classify.c: an application that classifies the Fashion-MNIST test set
 * with a model compiled into a library by `nnc build --lib`, and trained
 * weights from `nnc run`; nothing else of nnc is needed to build or run it.
 *
 *   nnc build examples/fashion_mnist/mlp.nn --lib -o build/libmlp.a
 *   cc -std=c99 classify.c $(PKG_CONFIG_PATH=build pkg-config --cflags \
 *      --libs mlp) -o classify
 *   ./classify mlp.safetensors t10k-images-idx3-ubyte.gz \
 *      t10k-labels-idx1-ubyte.gz
 *
 * It reads the IDX files (gzip) with zlib, scales the pixels to [0, 1] as
 * nnc's data loader does, runs the model in batches of 256 and prints the
 * accuracy. WEIGHTS "-" uses the weights compiled into the library
 * (`nnc build --lib --weights mlp.safetensors`). */
#include "mlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Reads an IDX file's header (big-endian magic, then one size per axis)
 * and its bytes; returns the bytes (malloc'd) and the sizes, or NULL. */
static unsigned char *read_idx(const char *path, int rank, long *dims) {
  gzFile f = gzopen(path, "rb");
  unsigned char head[16];
  if (!f || gzread(f, head, 4 + 4 * rank) != 4 + 4 * rank ||
      head[2] != 0x08 || head[3] != rank) {
    fprintf(stderr, "classify: '%s' is not an IDX file of rank %d\n", path,
            rank);
    if (f)
      gzclose(f);
    return NULL;
  }
  long n = 1;
  for (int d = 0; d < rank; ++d) {
    const unsigned char *b = head + 4 + 4 * d;
    dims[d] = ((long)b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
    n *= dims[d];
  }
  unsigned char *bytes = malloc((size_t)n);
  if (!bytes || gzread(f, bytes, (unsigned)n) != (int)n) {
    fprintf(stderr, "classify: '%s' is truncated\n", path);
    free(bytes);
    bytes = NULL;
  }
  gzclose(f);
  return bytes;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s WEIGHTS.safetensors IMAGES.gz LABELS.gz\n",
            argv[0]);
    return 2;
  }
  mlp *model = NULL;
  if (mlp_create(&model, 0) != 0 ||
      (strcmp(argv[1], "-") != 0 && mlp_load(model, argv[1]) != 0)) {
    fprintf(stderr, "classify: %s\n", mlp_error());
    mlp_destroy(model);
    return 1;
  }
  long idims[3], ldims[1];
  unsigned char *pixels = read_idx(argv[2], 3, idims);
  unsigned char *labels = read_idx(argv[3], 1, ldims);
  if (!pixels || !labels || idims[0] != ldims[0] ||
      idims[1] * idims[2] != MLP_IMAGE_SIZE) {
    fprintf(stderr, "classify: unusable data\n");
    return 1;
  }
  enum { BATCH = 256 };
  float *image = malloc(sizeof(float) * BATCH * MLP_IMAGE_SIZE);
  float *logits = malloc(sizeof(float) * BATCH * MLP_OUTPUT_SIZE);
  long correct = 0, n = idims[0];
  for (long start = 0; start < n; start += BATCH) {
    long b = n - start < BATCH ? n - start : BATCH;
    /* Scaled as nnc's loader does, to the bit (what an int8 build's
       rounding sees). */
    for (long i = 0; i < b * MLP_IMAGE_SIZE; ++i)
      image[i] = pixels[start * MLP_IMAGE_SIZE + i] * (1.0f / 255);
    if (mlp_forward(model, b, image, logits) != 0) {
      fprintf(stderr, "classify: %s\n", mlp_error());
      return 1;
    }
    for (long i = 0; i < b; ++i) {
      int best = 0;
      for (int c = 1; c < MLP_OUTPUT_SIZE; ++c)
        if (logits[i * MLP_OUTPUT_SIZE + c] > logits[i * MLP_OUTPUT_SIZE + best])
          best = c;
      correct += best == labels[start + i];
    }
  }
  printf("accuracy %.4f (%ld of %ld)\n", (double)correct / (double)n, correct,
         n);
  free(image);
  free(logits);
  free(pixels);
  free(labels);
  mlp_destroy(model);
  return 0;
}
