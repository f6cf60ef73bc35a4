// train.cpp: an application that trains the Fashion-MNIST MLP in its own
// loop through a library built by `nnc build --lib`, evaluates it and
// saves a checkpoint that `nnc run --resume` and `nnc predict` accept.
//
//   nnc build examples/fashion_mnist/mlp.nn --lib -o build/libmlp.a
//   c++ -std=c++17 train.cpp $(PKG_CONFIG_PATH=build pkg-config --cflags \
//       --libs mlp) -o train
//   ./train out.safetensors SAMPLES EPOCHS train-images.gz train-labels.gz \
//       t10k-images.gz t10k-labels.gz
//
// The batches are the first SAMPLES images in order, MLP_BATCH at a time,
// and the evaluation reads the first SAMPLES test images: the loop of
// `nnc run --limit SAMPLES` for a train block without `shuffle`.
#include "mlp.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>
#include <zlib.h>

namespace {
/// The bytes of an IDX file (gzip) of `rank` axes, and its sizes.
bool readIdx(const char *path, int rank, std::vector<long> &dims,
             std::vector<unsigned char> &bytes) {
  gzFile f = gzopen(path, "rb");
  unsigned char head[16];
  if (!f || gzread(f, head, 4 + 4 * rank) != 4 + 4 * rank || head[3] != rank) {
    std::fprintf(stderr, "train: '%s' is not an IDX file of rank %d\n", path,
                 rank);
    if (f)
      gzclose(f);
    return false;
  }
  long n = 1;
  dims.clear();
  for (int d = 0; d < rank; ++d) {
    const unsigned char *b = head + 4 + 4 * d;
    dims.push_back((long(b[0]) << 24) | (b[1] << 16) | (b[2] << 8) | b[3]);
    n *= dims.back();
  }
  bytes.resize(size_t(n));
  bool ok = gzread(f, bytes.data(), unsigned(n)) == int(n);
  gzclose(f);
  return ok;
}

/// Images scaled to [0, 1] and labels as int64, as nnc's loader gives them.
struct Data {
  std::vector<float> images;
  std::vector<int64_t> labels;
  long count = 0;
  bool load(const char *imagePath, const char *labelPath, long limit) {
    std::vector<long> idims, ldims;
    std::vector<unsigned char> px, lb;
    if (!readIdx(imagePath, 3, idims, px) || !readIdx(labelPath, 1, ldims, lb))
      return false;
    count = limit > 0 && limit < idims[0] ? limit : idims[0];
    images.resize(size_t(count) * MLP_IMAGE_SIZE);
    for (size_t i = 0; i < images.size(); ++i)
      images[i] = float(px[i]) / 255.0f;
    labels.assign(lb.begin(), lb.begin() + count);
    return true;
  }
};

int fail(mlp *model) {
  std::fprintf(stderr, "train: %s\n", mlp_error());
  mlp_destroy(model);
  return 1;
}
} // namespace

int main(int argc, char **argv) {
  if (argc != 8) {
    std::fprintf(stderr,
                 "usage: %s OUT.safetensors SAMPLES EPOCHS TRAIN-IMAGES "
                 "TRAIN-LABELS TEST-IMAGES TEST-LABELS\n",
                 argv[0]);
    return 2;
  }
  long samples = std::atol(argv[2]), epochs = std::atol(argv[3]);
  Data train, test;
  if (!train.load(argv[4], argv[5], samples) ||
      !test.load(argv[6], argv[7], samples))
    return 1;
  mlp *model = nullptr;
  if (mlp_create(&model, 0) != 0) // the train block's seed
    return fail(model);
  for (long epoch = 0; epoch < epochs; ++epoch) {
    double lossSum = 0;
    for (long at = 0; at < train.count; at += MLP_BATCH) {
      long n = train.count - at < MLP_BATCH ? train.count - at : MLP_BATCH;
      double loss = 0;
      if (mlp_train_step(model, n, &train.images[size_t(at) * MLP_IMAGE_SIZE],
                         &train.labels[size_t(at)], &loss) != 0)
        return fail(model);
      lossSum += loss * double(n);
    }
    double testLoss = 0, correct = 0;
    for (long at = 0; at < test.count; at += MLP_BATCH) {
      long n = test.count - at < MLP_BATCH ? test.count - at : MLP_BATCH;
      double loss = 0, metrics[MLP_NUM_METRICS];
      if (mlp_eval_step(model, n, &test.images[size_t(at) * MLP_IMAGE_SIZE],
                        &test.labels[size_t(at)], &loss, metrics) != 0)
        return fail(model);
      testLoss += loss * double(n);
      correct += metrics[0]; // accuracy: samples right in the batch
    }
    std::printf("epoch %ld/%ld  loss %.4f  val_loss %.4f  val_acc %.4f\n",
                epoch + 1, epochs, lossSum / double(train.count),
                testLoss / double(test.count), correct / double(test.count));
  }
  mlp_set_epoch(model, epochs);
  if (mlp_save(model, argv[1]) != 0)
    return fail(model);
  mlp_destroy(model);
  return 0;
}
