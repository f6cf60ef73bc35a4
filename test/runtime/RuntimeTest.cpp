//===- RuntimeTest.cpp - Unit tests of the C runtime ----------------------===//
#include "nnc/runtime.h"

#include <zlib.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {
/// A fresh temporary directory per test.
class TempDir {
public:
  TempDir() {
    char tmpl[] = "/tmp/nnc-rt-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string file(const char *name) const { return path + "/" + name; }
  std::string path;
};

/// Writes an IDX file of u8 data (gzip-compressed when gz).
void writeIdx(const std::string &path, const std::vector<uint32_t> &dims,
              const std::vector<uint8_t> &data, bool gz,
              size_t truncateTo = SIZE_MAX) {
  std::vector<uint8_t> bytes = {0, 0, 0x08, uint8_t(dims.size())};
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8)
      bytes.push_back(uint8_t(d >> s));
  bytes.insert(bytes.end(), data.begin(), data.end());
  if (truncateTo < bytes.size())
    bytes.resize(truncateTo);
  if (gz) {
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, bytes.data(), unsigned(bytes.size()));
    gzclose(f);
  } else {
    FILE *f = std::fopen(path.c_str(), "wb");
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
}
} // namespace

TEST(Philox, KnownAnswers) {
  // Known-answer vectors of the Random123 reference (kat_vectors).
  uint32_t out[4];
  const uint32_t c0[4] = {0, 0, 0, 0}, k0[2] = {0, 0};
  nnc_philox4x32_10(c0, k0, out);
  EXPECT_EQ(out[0], 0x6627e8d5u);
  EXPECT_EQ(out[1], 0xe169c58du);
  EXPECT_EQ(out[2], 0xbc57ac4cu);
  EXPECT_EQ(out[3], 0x9b00dbd8u);
  const uint32_t c1[4] = {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu};
  const uint32_t k1[2] = {0xffffffffu, 0xffffffffu};
  nnc_philox4x32_10(c1, k1, out);
  EXPECT_EQ(out[0], 0x408f276du);
  EXPECT_EQ(out[1], 0x41c83b0eu);
  EXPECT_EQ(out[2], 0xa20bc7c6u);
  EXPECT_EQ(out[3], 0x6d5451fdu);
  const uint32_t c2[4] = {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u};
  const uint32_t k2[2] = {0xa4093822u, 0x299f31d0u};
  nnc_philox4x32_10(c2, k2, out);
  EXPECT_EQ(out[0], 0xd16cfe09u);
  EXPECT_EQ(out[1], 0x94fdccebu);
  EXPECT_EQ(out[2], 0x5001e420u);
  EXPECT_EQ(out[3], 0x24126ea1u);
}

TEST(Random, StreamsArePositional) {
  // Element i depends only on (seed, offset, i): a sub-range drawn with
  // the matching offset gives the same numbers.
  std::vector<float> all(64), part(16);
  nnc_rng_uniform_f32(42, 0, all.data(), 64, 0.0f, 1.0f);
  nnc_rng_uniform_f32(42, 8, part.data(), 16, 0.0f, 1.0f);
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(part[i], all[32 + i]);
  std::vector<float> other(64);
  nnc_rng_uniform_f32(43, 0, other.data(), 64, 0.0f, 1.0f);
  EXPECT_NE(other, all);
}

TEST(Random, DistributionsHaveTheRightMoments) {
  const int n = 200000;
  std::vector<float> u(n), g(n), gu(n);
  nnc_rng_uniform_f32(1, 0, u.data(), n, -1.0f, 3.0f);
  nnc_rng_normal_f32(2, 0, g.data(), n, 0.5f, 2.0f);
  nnc_rng_gumbel_f32(3, 0, gu.data(), n);
  double su = 0, sg = 0, sg2 = 0, sgu = 0;
  for (int i = 0; i < n; ++i) {
    EXPECT_GE(u[i], -1.0f);
    EXPECT_LT(u[i], 3.0f);
    ASSERT_TRUE(std::isfinite(g[i]) && std::isfinite(gu[i]));
    su += u[i];
    sg += g[i];
    sg2 += double(g[i]) * g[i];
    sgu += gu[i];
  }
  EXPECT_NEAR(su / n, 1.0, 0.02);
  double mean = sg / n;
  EXPECT_NEAR(mean, 0.5, 0.02);
  EXPECT_NEAR(std::sqrt(sg2 / n - mean * mean), 2.0, 0.02);
  EXPECT_NEAR(sgu / n, 0.5772, 0.02); // Euler-Mascheroni
}

TEST(Random, BernoulliAndPermutation) {
  const int n = 100000;
  std::vector<float> p(n, 0.25f), out(n);
  nnc_rng_bernoulli_f32(7, 0, p.data(), out.data(), n);
  double s = 0;
  for (float v : out) {
    ASSERT_TRUE(v == 0.0f || v == 1.0f);
    s += v;
  }
  EXPECT_NEAR(s / n, 0.25, 0.01);
  std::vector<int64_t> perm(1000);
  nnc_rng_permutation(5, 0, perm.data(), 1000);
  std::vector<bool> seen(1000, false);
  for (int64_t v : perm) {
    ASSERT_GE(v, 0);
    ASSERT_LT(v, 1000);
    EXPECT_FALSE(seen[v]);
    seen[v] = true;
  }
  std::vector<int64_t> again(1000);
  nnc_rng_permutation(5, 0, again.data(), 1000);
  EXPECT_EQ(perm, again);
}

TEST(Memory, AlignedAndZeroed) {
  for (size_t bytes : {1u, 63u, 64u, 1000u}) {
    void *p = nnc_alloc(bytes);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % NNC_ALIGNMENT, 0u);
    nnc_free(p);
  }
  nnc_tensor t{};
  t.dtype = NNC_F32;
  t.rank = 2;
  t.dims[0] = 3;
  t.dims[1] = 5;
  ASSERT_EQ(nnc_tensor_alloc(&t), 0);
  EXPECT_EQ(nnc_tensor_numel(&t), 15);
  for (int i = 0; i < 15; ++i)
    EXPECT_EQ(static_cast<float *>(t.data)[i], 0.0f);
  nnc_tensor_free(&t);
  nnc_tensor bad{};
  bad.rank = 99;
  EXPECT_EQ(nnc_tensor_alloc(&bad), -1);
  EXPECT_STREQ(nnc_last_error(), "tensor rank 99 is out of range (0..8)");
}

TEST(Idx, LoadsPlainAndGzip) {
  TempDir dir;
  std::vector<uint8_t> data(2 * 3 * 4);
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = uint8_t(i * 10);
  for (bool gz : {false, true}) {
    std::string path = dir.file(gz ? "x.idx.gz" : "x.idx");
    writeIdx(path, {2, 3, 4}, data, gz);
    nnc_tensor t;
    ASSERT_EQ(nnc_idx_load(path.c_str(), &t), 0) << nnc_last_error();
    EXPECT_EQ(t.dtype, NNC_U8);
    EXPECT_EQ(t.rank, 3);
    EXPECT_EQ(t.dims[0], 2);
    EXPECT_EQ(t.dims[2], 4);
    EXPECT_EQ(static_cast<uint8_t *>(t.data)[23], 230);
    nnc_tensor_free(&t);
  }
}

TEST(Idx, ClearErrors) {
  TempDir dir;
  nnc_tensor t;
  std::string missing = dir.file("missing.gz");
  EXPECT_EQ(nnc_idx_load(missing.c_str(), &t), -1);
  EXPECT_EQ(std::string(nnc_last_error()),
            "cannot open '" + missing + "': No such file or directory");

  std::string truncated = dir.file("trunc.gz");
  writeIdx(truncated, {10, 28, 28}, std::vector<uint8_t>(7840), true, 500);
  EXPECT_EQ(nnc_idx_load(truncated.c_str(), &t), -1);
  EXPECT_EQ(std::string(nnc_last_error()),
            "'" + truncated +
                "' is truncated: the IDX data needs 7840 bytes, the file "
                "has only 484");

  std::string text = dir.file("notidx");
  FILE *f = std::fopen(text.c_str(), "w");
  std::fputs("hello world", f);
  std::fclose(f);
  EXPECT_EQ(nnc_idx_load(text.c_str(), &t), -1);
  EXPECT_EQ(std::string(nnc_last_error()),
            "'" + text +
                "' is not an IDX file (it starts with bytes 68 65, "
                "expected 00 00)");
  EXPECT_EQ(nnc_idx_load(dir.path.c_str(), &t), -1);
  EXPECT_EQ(std::string(nnc_last_error()),
            "'" + dir.path + "' is a directory, not an IDX file");
}

TEST(Dataset, ImagesAndLabelsAgree) {
  TempDir dir;
  std::string img = dir.file("img.gz"), lab = dir.file("lab.gz"),
              lab3 = dir.file("lab3.gz");
  writeIdx(img, {4, 2, 2},
           {0, 255, 51, 102, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}, true);
  writeIdx(lab, {4}, {3, 1, 9, 0}, true);
  writeIdx(lab3, {3}, {3, 1, 9}, true);
  nnc_dataset ds;
  ASSERT_EQ(nnc_dataset_load_idx(img.c_str(), lab.c_str(), &ds), 0)
      << nnc_last_error();
  EXPECT_EQ(ds.count, 4);
  EXPECT_EQ(ds.classes, 10);
  EXPECT_FLOAT_EQ(static_cast<float *>(ds.images.data)[1], 1.0f);
  EXPECT_FLOAT_EQ(static_cast<float *>(ds.images.data)[2], 0.2f);
  EXPECT_EQ(static_cast<int64_t *>(ds.labels.data)[2], 9);
  nnc_dataset_free(&ds);
  EXPECT_EQ(nnc_dataset_load_idx(img.c_str(), lab3.c_str(), &ds), -1);
  EXPECT_EQ(std::string(nnc_last_error()),
            "'" + img + "' has 4 images but '" + lab3 + "' has 3 labels");
}

TEST(Dataset, FashionMnistNotFoundSaysHowToGetIt) {
  TempDir dir;
  setenv("NNC_DATA_PATH", dir.path.c_str(), 1);
  nnc_dataset ds;
  if (access("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz",
             R_OK) == 0) {
    // The Debian package is installed: the test split loads from it.
    ASSERT_EQ(nnc_dataset_fashion_mnist("test", &ds), 0) << nnc_last_error();
    EXPECT_EQ(ds.count, 10000);
    EXPECT_EQ(ds.images.dims[1], 28);
    EXPECT_EQ(ds.classes, 10);
    nnc_dataset_free(&ds);
  }
  EXPECT_EQ(nnc_dataset_fashion_mnist("valid", &ds), -1);
  EXPECT_STREQ(
      nnc_last_error(),
      "Fashion-MNIST has splits \"train\" and \"test\", not \"valid\"");
  // A copy in NNC_DATA_PATH wins over the system folder.
  writeIdx(dir.file("t10k-images-idx3-ubyte.gz"), {2, 1, 1}, {0, 255}, true);
  writeIdx(dir.file("t10k-labels-idx1-ubyte.gz"), {2}, {1, 0}, true);
  ASSERT_EQ(nnc_dataset_fashion_mnist("test", &ds), 0) << nnc_last_error();
  EXPECT_EQ(ds.count, 2);
  nnc_dataset_free(&ds);
  unsetenv("NNC_DATA_PATH");
}

TEST(Dataset, PartialDataPathFolderIsAnError) {
  // A folder with the images but not the labels is the user's copy, half
  // there: an error naming what is missing, not the system copy instead.
  TempDir dir;
  setenv("NNC_DATA_PATH", dir.path.c_str(), 1);
  writeIdx(dir.file("t10k-images-idx3-ubyte.gz"), {2, 1, 1}, {0, 255}, true);
  nnc_dataset ds;
  EXPECT_EQ(nnc_dataset_fashion_mnist("test", &ds), -1);
  EXPECT_EQ(std::string(nnc_last_error()),
            "Fashion-MNIST (test): '" + dir.path +
                "' has t10k-images-idx3-ubyte.gz but no "
                "t10k-labels-idx1-ubyte[.gz]; add it, or take the folder out "
                "of NNC_DATA_PATH");
  unsetenv("NNC_DATA_PATH");
}

TEST(Print, FormatsLikePyTorch) {
  float v[] = {1.0f, -2.5f, 0.125f, 4.0f, 5.0f, 6.0f};
  int64_t dims[] = {2, 3};
  char buf[256];
  nnc_format_f32(buf, sizeof buf, v, 2, dims);
  EXPECT_STREQ(buf, "tensor([[1.0000, -2.5000, 0.1250],\n"
                    "        [4.0000, 5.0000, 6.0000]])");
  int64_t d1[] = {3};
  nnc_format_f32(buf, sizeof buf, v, 1, d1);
  EXPECT_STREQ(buf, "tensor([1.0000, -2.5000, 0.1250])");
  std::vector<float> big(2000, 1.0f);
  int64_t db[] = {2000};
  nnc_format_f32(buf, sizeof buf, big.data(), 1, db);
  EXPECT_STREQ(buf, "tensor([1.0000, 1.0000, 1.0000, ..., 1.0000, 1.0000, "
                    "1.0000])");
  double t0 = nnc_now();
  EXPECT_GE(nnc_now(), t0);
}

TEST(Safetensors, RoundTripAndAtomicWrite) {
  TempDir dir;
  std::string path = dir.file("w.safetensors");
  nnc_named_tensors ts{};
  nnc_tensor a{};
  a.dtype = NNC_F32;
  a.rank = 2;
  a.dims[0] = 2;
  a.dims[1] = 3;
  ASSERT_EQ(nnc_tensor_alloc(&a), 0);
  for (int i = 0; i < 6; ++i)
    static_cast<float *>(a.data)[i] = i * 0.5f;
  nnc_tensor b{};
  b.dtype = NNC_I64;
  b.rank = 1;
  b.dims[0] = 2;
  ASSERT_EQ(nnc_tensor_alloc(&b), 0);
  static_cast<int64_t *>(b.data)[1] = -7;
  nnc_named_append(&ts, "dense_1.w", a);
  nnc_named_append(&ts, "step", b);
  ASSERT_EQ(nnc_safetensors_save(path.c_str(), &ts), 0) << nnc_last_error();
  nnc_named_tensors back{};
  ASSERT_EQ(nnc_safetensors_load(path.c_str(), &back), 0) << nnc_last_error();
  ASSERT_EQ(back.count, 2);
  int64_t w = nnc_named_find(&back, "dense_1.w");
  ASSERT_GE(w, 0);
  EXPECT_EQ(back.tensors[w].dims[1], 3);
  EXPECT_EQ(static_cast<float *>(back.tensors[w].data)[5], 2.5f);
  int64_t s = nnc_named_find(&back, "step");
  EXPECT_EQ(static_cast<int64_t *>(back.tensors[s].data)[1], -7);
  EXPECT_EQ(nnc_named_find(&back, "nope"), -1);
  nnc_named_free(&back);
  // A write into a missing folder fails cleanly and leaves nothing behind.
  std::string bad = dir.file("missing/w.safetensors");
  EXPECT_EQ(nnc_safetensors_save(bad.c_str(), &ts), -1);
  EXPECT_EQ(std::string(nnc_last_error()),
            "cannot write '" + bad + "': No such file or directory");
  // A failed write (a folder in the way of the rename) keeps the old file.
  std::string blocked = dir.file("blocked");
  mkdir(blocked.c_str(), 0755);
  mkdir((blocked + "/x").c_str(), 0755);
  EXPECT_EQ(nnc_safetensors_save(blocked.c_str(), &ts), -1);
  ASSERT_EQ(nnc_safetensors_load(path.c_str(), &back), 0);
  nnc_named_free(&back);
  nnc_named_free(&ts);
}

TEST(Safetensors, RejectsCorruptFiles) {
  TempDir dir;
  std::string p = dir.file("bad.safetensors");
  FILE *f = std::fopen(p.c_str(), "wb");
  std::fputs("abc", f);
  std::fclose(f);
  nnc_named_tensors ts{};
  EXPECT_EQ(nnc_safetensors_load(p.c_str(), &ts), -1);
  EXPECT_EQ(std::string(nnc_last_error()),
            "'" + p +
                "' is not a safetensors file: it is shorter than the "
                "8-byte header length");
  // A header promising more data than the file has.
  std::string h =
      "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
  f = std::fopen(p.c_str(), "wb");
  uint64_t n = h.size();
  std::fwrite(&n, 8, 1, f);
  std::fputs(h.c_str(), f);
  std::fwrite("12345678", 1, 8, f);
  std::fclose(f);
  EXPECT_EQ(nnc_safetensors_load(p.c_str(), &ts), -1);
  EXPECT_EQ(std::string(nnc_last_error()),
            "'" + p +
                "': tensor 'w' needs 16 bytes at offsets [0, 16), which "
                "the file does not hold");
}

namespace {
nnc_tensor f32Tensor(std::initializer_list<int64_t> dims) {
  nnc_tensor t{};
  t.dtype = NNC_F32;
  for (int64_t d : dims)
    t.dims[t.rank++] = d;
  EXPECT_EQ(nnc_tensor_alloc(&t), 0);
  return t;
}
} // namespace

TEST(Init, PyTorchDefinitions) {
  // Glorot uniform on a dense [784, 256]: U(-a, a), a = sqrt(6 / 1040).
  nnc_tensor w = f32Tensor({784, 256});
  ASSERT_EQ(nnc_init_tensor(&w, "glorot_uniform", 1), 0);
  double a = std::sqrt(6.0 / 1040), maxAbs = 0, sum = 0;
  auto *p = static_cast<float *>(w.data);
  for (int64_t i = 0; i < 784 * 256; ++i) {
    maxAbs = std::max(maxAbs, double(std::fabs(p[i])));
    sum += p[i];
  }
  EXPECT_LE(maxAbs, a);
  EXPECT_GT(maxAbs, 0.99 * a);
  EXPECT_NEAR(sum / (784 * 256), 0.0, 0.001);
  // He normal on a conv [3, 3, 32, 64]: std = sqrt(2 / (3*3*32)).
  nnc_tensor c = f32Tensor({3, 3, 32, 64});
  ASSERT_EQ(nnc_init_tensor(&c, "he_normal", 2), 0);
  double s2 = 0;
  for (int64_t i = 0; i < 3 * 3 * 32 * 64; ++i)
    s2 += double(static_cast<float *>(c.data)[i]) *
          static_cast<float *>(c.data)[i];
  EXPECT_NEAR(std::sqrt(s2 / (3 * 3 * 32 * 64)), std::sqrt(2.0 / 288), 0.002);
  // Named and positional arguments; constants.
  nnc_tensor n = f32Tensor({1000});
  ASSERT_EQ(nnc_init_tensor(&n, "truncated_normal(std=0.5)", 3), 0);
  for (int i = 0; i < 1000; ++i)
    EXPECT_LE(std::fabs(static_cast<float *>(n.data)[i]), 1.0f);
  ASSERT_EQ(nnc_init_tensor(&n, "constant(arg0=2.5)", 3), 0);
  EXPECT_EQ(static_cast<float *>(n.data)[999], 2.5f);
  // Orthogonal: the columns of a [64, 16] matrix are orthonormal.
  nnc_tensor o = f32Tensor({64, 16});
  ASSERT_EQ(nnc_init_tensor(&o, "orthogonal", 4), 0);
  auto *q = static_cast<float *>(o.data);
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j) {
      double dot = 0;
      for (int r = 0; r < 64; ++r)
        dot += double(q[r * 16 + i]) * q[r * 16 + j];
      EXPECT_NEAR(dot, i == j ? 1.0 : 0.0, 1e-5);
    }
  EXPECT_EQ(nnc_init_tensor(&n, "glorot_unifrom", 1), -1);
  EXPECT_STREQ(nnc_last_error(), "unknown initializer 'glorot_unifrom'");
  for (nnc_tensor *t : {&w, &c, &n, &o})
    nnc_tensor_free(t);
}

TEST(Data, NpyFiles) {
  TempDir dir;
  std::string p = dir.file("x.npy");
  std::string header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  while ((10 + header.size() + 1) % 64)
    header += ' ';
  header += '\n';
  FILE *f = std::fopen(p.c_str(), "wb");
  std::fwrite("\x93NUMPY\x01\x00", 1, 8, f);
  uint16_t len = uint16_t(header.size());
  std::fwrite(&len, 2, 1, f);
  std::fwrite(header.data(), 1, header.size(), f);
  float data[6] = {1, 2, 3, 4, 5, 6};
  std::fwrite(data, 4, 6, f);
  std::fclose(f);
  nnc_tensor t;
  ASSERT_EQ(nnc_npy_load(p.c_str(), &t), 0) << nnc_last_error();
  EXPECT_EQ(t.rank, 2);
  EXPECT_EQ(t.dims[1], 3);
  EXPECT_EQ(static_cast<float *>(t.data)[5], 6.0f);
  nnc_tensor_free(&t);
  // Truncated data and a file that is not .npy.
  f = std::fopen(p.c_str(), "r+b");
  ftruncate(fileno(f), 10 + long(header.size()) + 8);
  std::fclose(f);
  EXPECT_EQ(nnc_npy_load(p.c_str(), &t), -1);
  EXPECT_EQ(std::string(nnc_last_error()),
            "'" + p +
                "' is truncated: its shape (2, 3) needs 24 bytes of data, the "
                "file has 8");
  std::string txt = dir.file("x.txt");
  f = std::fopen(txt.c_str(), "w");
  std::fputs("hello", f);
  std::fclose(f);
  EXPECT_EQ(nnc_npy_load(txt.c_str(), &t), -1);
  EXPECT_EQ(std::string(nnc_last_error()),
            "'" + txt + "' is not a .npy file (no \\x93NUMPY magic)");
}

TEST(Data, CsvFiles) {
  TempDir dir;
  std::string p = dir.file("d.csv");
  FILE *f = std::fopen(p.c_str(), "w");
  std::fputs("a,b,class\n1.5,2,0\n3,4e-1,2\n", f);
  std::fclose(f);
  nnc_tensor x, y;
  ASSERT_EQ(nnc_csv_load(p.c_str(), 2, "class", &x, &y), 0) << nnc_last_error();
  EXPECT_EQ(x.dims[0], 2);
  EXPECT_FLOAT_EQ(static_cast<float *>(x.data)[3], 0.4f);
  EXPECT_EQ(static_cast<int64_t *>(y.data)[1], 2);
  EXPECT_EQ(nnc_check_labels(&y, 3, "d.csv"), 0);
  EXPECT_EQ(nnc_check_labels(&y, 2, "d.csv"), -1);
  EXPECT_STREQ(nnc_last_error(), "d.csv: label 2 of sample 1 is outside the 2 "
                                 "classes 0..1 of the model");
  nnc_tensor_free(&x);
  nnc_tensor_free(&y);
  EXPECT_EQ(nnc_csv_load(p.c_str(), 3, "class", &x, &y), -1);
  EXPECT_EQ(std::string(nnc_last_error()),
            "'" + p + "' has 2 feature columns but the program declares 3");
  f = std::fopen(p.c_str(), "w");
  std::fputs("a,b,class\n1.5,oops,0\n", f);
  std::fclose(f);
  EXPECT_EQ(nnc_csv_load(p.c_str(), 2, "class", &x, &y), -1);
  EXPECT_EQ(std::string(nnc_last_error()),
            "'" + p + "' line 2, column 'b': 'oops' is not a number");
  // A NUL inside a cell ends no number early: "5\0000" is not 5.
  f = std::fopen(p.c_str(), "wb");
  std::fwrite("a,b,class\n1.5,5\0" "000,0\n", 1, 22, f);
  std::fclose(f);
  EXPECT_EQ(nnc_csv_load(p.c_str(), 2, "class", &x, &y), -1);
  EXPECT_NE(std::string(nnc_last_error())
                .find("line 2, column 'b': '5\\x00000' is not a number"),
            std::string::npos)
      << nnc_last_error();
}

TEST(Data, BatchesCoverEveryEpochOnceAndShuffleBySeed) {
  nnc_batcher b;
  ASSERT_EQ(nnc_batcher_init(&b, 10, 4, 1, 42), 0);
  std::vector<std::vector<int64_t>> epochs(2);
  for (int e = 0; e < 2; ++e) {
    const int64_t *idx;
    int64_t n;
    std::vector<int64_t> sizes;
    while (nnc_batcher_next(&b, &idx, &n)) {
      sizes.push_back(n);
      epochs[e].insert(epochs[e].end(), idx, idx + n);
    }
    EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4, 2})); // last batch kept
    std::vector<int64_t> sorted = epochs[e];
    std::sort(sorted.begin(), sorted.end());
    for (int64_t i = 0; i < 10; ++i)
      EXPECT_EQ(sorted[i], i);
  }
  EXPECT_NE(epochs[0], epochs[1]); // reshuffled each epoch
  nnc_batcher_free(&b);
  // The same seed gives the same order: a resumed run sees the same data.
  nnc_batcher c;
  ASSERT_EQ(nnc_batcher_init(&c, 10, 4, 1, 42), 0);
  const int64_t *idx;
  int64_t n;
  std::vector<int64_t> again;
  while (nnc_batcher_next(&c, &idx, &n))
    again.insert(again.end(), idx, idx + n);
  EXPECT_EQ(again, epochs[0]);
  nnc_batcher_free(&c);
  // Rows of a tensor by index.
  nnc_tensor src = f32Tensor({3, 2});
  for (int i = 0; i < 6; ++i)
    static_cast<float *>(src.data)[i] = float(i);
  int64_t pick[] = {2, 0};
  nnc_tensor dst;
  ASSERT_EQ(nnc_gather_rows(&src, pick, 2, &dst), 0);
  EXPECT_EQ(static_cast<float *>(dst.data)[0], 4.0f);
  EXPECT_EQ(static_cast<float *>(dst.data)[3], 1.0f);
  nnc_tensor_free(&dst);
  nnc_tensor_free(&src);
}

TEST(Train, ScheduleValues) {
  auto value = [](const char *kind, std::vector<const char *> names,
                  std::vector<double> values, int64_t step, int64_t epoch) {
    nnc_schedule s{"lr",         kind,         0.1, int32_t(names.size()),
                   names.data(), values.data()};
    return nnc_schedule_value(&s, step, epoch, /*total_steps=*/101);
  };
  EXPECT_DOUBLE_EQ(value("constant", {}, {}, 50, 3), 0.1);
  // step: x gamma every `every` epochs.
  EXPECT_DOUBLE_EQ(value("step", {"every", "gamma"}, {2, 0.5}, 0, 1), 0.1);
  EXPECT_DOUBLE_EQ(value("step", {"every", "gamma"}, {2, 0.5}, 0, 2), 0.05);
  EXPECT_DOUBLE_EQ(value("step", {"every", "gamma"}, {2, 0.5}, 0, 5), 0.025);
  // exponential: per epoch, or from start to end over the run.
  EXPECT_NEAR(value("exponential", {"gamma"}, {0.9}, 0, 2), 0.081, 1e-12);
  EXPECT_NEAR(value("exponential", {"start", "end"}, {10, 0.1}, 0, 0), 10,
              1e-12);
  EXPECT_NEAR(value("exponential", {"start", "end"}, {10, 0.1}, 50, 0), 1,
              1e-12);
  EXPECT_NEAR(value("exponential", {"start", "end"}, {10, 0.1}, 100, 0), 0.1,
              1e-12);
  // cosine from base to min over the run.
  EXPECT_NEAR(value("cosine", {}, {}, 0, 0), 0.1, 1e-12);
  EXPECT_NEAR(value("cosine", {}, {}, 50, 0), 0.05, 1e-12);
  EXPECT_NEAR(value("cosine", {}, {}, 100, 0), 0.0, 1e-12);
  EXPECT_NEAR(value("cosine", {"min"}, {0.01}, 100, 0), 0.01, 1e-12);
  // warmup: linear from base / steps up to base.
  EXPECT_NEAR(value("warmup", {"steps"}, {10}, 0, 0), 0.01, 1e-12);
  EXPECT_NEAR(value("warmup", {"steps"}, {10}, 4, 0), 0.05, 1e-12);
  EXPECT_NEAR(value("warmup", {"steps"}, {10}, 60, 0), 0.1, 1e-12);
  // linear from start (default base) to end (default 0).
  EXPECT_NEAR(value("linear", {}, {}, 50, 0), 0.05, 1e-12);
  EXPECT_NEAR(value("linear", {"start", "end"}, {1, 3}, 100, 0), 3, 1e-12);
}

TEST(Train, RejectsBadConfigurations) {
  nnc_model none{};
  nnc_train_config cfg{};
  cfg.batch = 0;
  cfg.epochs = 1;
  EXPECT_EQ(nnc_train(&none, &none, &cfg), -1);
  EXPECT_NE(std::string(nnc_last_error()).find("positive"), std::string::npos);
}

extern "C" void *_mlir_memref_to_llvm_alloc(size_t bytes);

namespace {
/// A stand-in for a compiled forward function, y = 2 x for x: f32[B, 3]:
/// like generated code, it returns a fresh pool buffer each call.
void doubleInvoke(void *, void *results, void **args) {
  const int64_t *x = static_cast<const int64_t *>(args[0]);
  const float *src;
  std::memcpy(&src, &x[1], sizeof src);
  int64_t rows = x[3], cols = x[4];
  auto *dst = static_cast<float *>(
      _mlir_memref_to_llvm_alloc(size_t(rows * cols) * sizeof(float)));
  for (int64_t i = 0; i < rows * cols; ++i)
    dst[i] = 2 * src[x[2] + i];
  int64_t *r = static_cast<int64_t *>(results);
  std::memcpy(&r[0], &dst, sizeof dst);
  std::memcpy(&r[1], &dst, sizeof dst);
  r[2] = 0;
  r[3] = rows;
  r[4] = cols;
  r[5] = cols;
  r[6] = 1;
}
} // namespace

TEST(Model, ForwardWritesIntoHeldResults) {
  nnc_model_arg x{"x",     NNC_ARG_INPUT,       NNC_F32, 2,
                  {-1, 3}, {"B", nullptr}, nullptr, nullptr};
  nnc_model_arg y{"y",     NNC_ARG_OUTPUT,      NNC_F32, 2,
                  {-1, 3}, {"B", nullptr}, nullptr, nullptr};
  nnc_model m{"Double", 1, &x, 1, &y, doubleInvoke, nullptr};
  nnc_tensor t{};
  t.dtype = NNC_F32;
  t.rank = 2;
  t.dims[0] = 2;
  t.dims[1] = 3;
  ASSERT_EQ(nnc_tensor_alloc(&t), 0);
  float *in = static_cast<float *>(t.data);
  for (int i = 0; i < 6; ++i)
    in[i] = float(i);
  nnc_named_tensors inputs{}, outputs{};
  ASSERT_EQ(nnc_named_append(&inputs, "x", t), 0);
  ASSERT_EQ(nnc_model_forward(&m, &inputs, &outputs), 0) << nnc_last_error();
  ASSERT_EQ(outputs.count, 1);
  EXPECT_STREQ(outputs.names[0], "y");
  void *held = outputs.tensors[0].data;
  EXPECT_EQ(static_cast<float *>(held)[5], 10.0f);
  // Again with new input values: the same result tensor and buffer, the
  // new values, nothing appended.
  for (int i = 0; i < 6; ++i)
    in[i] = float(10 + i);
  ASSERT_EQ(nnc_model_forward(&m, &inputs, &outputs), 0) << nnc_last_error();
  ASSERT_EQ(outputs.count, 1);
  EXPECT_EQ(outputs.tensors[0].data, held);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(static_cast<float *>(held)[i], 2.0f * float(10 + i));
  nnc_named_free(&inputs);
  nnc_named_free(&outputs);
}

TEST(ModelArgs, KindNamesRoundTrip) {
  for (int k = NNC_ARG_INPUT; k <= NNC_ARG_TEXT; ++k)
    EXPECT_EQ(nnc_arg_kind_parse(nnc_arg_kind_name(nnc_arg_kind(k))), k);
  EXPECT_STREQ(nnc_arg_kind_name(NNC_ARG_OPT_STATE), "opt_state");
  EXPECT_EQ(nnc_arg_kind_parse("parameter"), -1);
  EXPECT_EQ(nnc_arg_kind_parse(nullptr), -1);
}

TEST(Named, RemoveKeepsOrder) {
  nnc_named_tensors t{};
  for (const char *name : {"a", "b", "c"}) {
    nnc_tensor x = f32Tensor({2});
    ASSERT_EQ(nnc_named_append(&t, name, x), 0);
  }
  nnc_named_remove(&t, 1);
  ASSERT_EQ(t.count, 2);
  EXPECT_STREQ(t.names[0], "a");
  EXPECT_STREQ(t.names[1], "c");
  nnc_named_remove(&t, 5); // out of range: nothing
  EXPECT_EQ(t.count, 2);
  nnc_named_free(&t);
}

TEST(Model, ProgramEvalKeepsWhatItCreates) {
  // The REPL's use: a parameter missing from the session's values is
  // initialised once and kept there; a later call uses the kept value.
  nnc_model_arg args[2] = {
      {"x", NNC_ARG_INPUT, NNC_F32, 2, {-1, 3}, {"B", nullptr}, nullptr,
       nullptr},
      {"m.w", NNC_ARG_PARAM, NNC_F32, 1, {4}, {nullptr}, "constant(value=5)",
       nullptr}};
  nnc_model_arg y{"y",     NNC_ARG_OUTPUT,      NNC_F32, 2,
                  {-1, 3}, {"B", nullptr}, nullptr, nullptr};
  nnc_model m{"Double", 2, args, 1, &y, doubleInvoke, nullptr};
  nnc_named_tensors env{}, out{};
  EXPECT_EQ(nnc_program_eval(&m, 0, &env, &out), -1);
  EXPECT_NE(std::string(nnc_last_error()).find("no value for input 'x'"),
            std::string::npos);
  nnc_tensor x = f32Tensor({1, 3});
  static_cast<float *>(x.data)[2] = 4.0f;
  ASSERT_EQ(nnc_named_append(&env, "x", x), 0);
  ASSERT_EQ(nnc_program_eval(&m, 0, &env, &out), 0) << nnc_last_error();
  ASSERT_EQ(env.count, 2);
  int64_t w = nnc_named_find(&env, "m.w");
  ASSERT_GE(w, 0);
  EXPECT_EQ(static_cast<float *>(env.tensors[w].data)[3], 5.0f);
  EXPECT_EQ(static_cast<float *>(out.tensors[0].data)[2], 8.0f);
  static_cast<float *>(env.tensors[w].data)[3] = 7.0f;
  ASSERT_EQ(nnc_program_eval(&m, 0, &env, &out), 0) << nnc_last_error();
  EXPECT_EQ(env.count, 2);
  EXPECT_EQ(static_cast<float *>(env.tensors[w].data)[3], 7.0f);
  nnc_named_free(&env);
  nnc_named_free(&out);
}

TEST(Instance, ForwardLoadSaveAndErrors) {
  nnc_model_arg args[2] = {
      {"x", NNC_ARG_INPUT, NNC_F32, 2, {-1, 3}, {"B", nullptr}, nullptr,
       nullptr},
      {"w", NNC_ARG_PARAM, NNC_F32, 1, {4}, {nullptr}, "ones", nullptr}};
  nnc_model_arg y{"y",     NNC_ARG_OUTPUT,      NNC_F32, 2,
                  {-1, 3}, {"B", nullptr}, nullptr, nullptr};
  nnc_model m{"Double", 2, args, 1, &y, doubleInvoke, nullptr};
  nnc_instance *inst = nnc_instance_create(&m, 0);
  ASSERT_NE(inst, nullptr) << nnc_last_error();
  float x[6] = {1, 2, 3, 4, 5, 6}, out[6] = {};
  const void *in[] = {x};
  void *outs[] = {out};
  ASSERT_EQ(nnc_instance_forward(inst, 2, in, outs), 0) << nnc_last_error();
  EXPECT_EQ(out[5], 12.0f);
  EXPECT_EQ(nnc_instance_forward(inst, 0, in, outs), -1);
  EXPECT_NE(std::string(nnc_last_error()).find("batch"), std::string::npos);
  // Save, change, load back.
  std::string path = ::testing::TempDir() + "instance.safetensors";
  ASSERT_EQ(nnc_instance_save(inst, path.c_str()), 0) << nnc_last_error();
  const nnc_named_tensors *p = nnc_instance_params(inst);
  ASSERT_EQ(p->count, 1);
  static_cast<float *>(p->tensors[0].data)[0] = 9.0f;
  ASSERT_EQ(nnc_instance_load(inst, path.c_str()), 0) << nnc_last_error();
  EXPECT_EQ(static_cast<float *>(p->tensors[0].data)[0], 1.0f);
  // A missing file and a mismatched one are errors that change nothing.
  EXPECT_EQ(nnc_instance_load(inst, (path + ".missing").c_str()), -1);
  nnc_named_tensors other{};
  ASSERT_EQ(nnc_named_append(&other, "w", f32Tensor({5})), 0);
  std::string bad = ::testing::TempDir() + "instance-bad.safetensors";
  ASSERT_EQ(nnc_safetensors_save(bad.c_str(), &other), 0);
  nnc_named_free(&other);
  EXPECT_EQ(nnc_instance_load(inst, bad.c_str()), -1);
  EXPECT_NE(std::string(nnc_last_error()).find("'w' is f32[5], the model has f32[4] (it holds w)"),
            std::string::npos);
  EXPECT_EQ(static_cast<float *>(p->tensors[0].data)[0], 1.0f);
  nnc_instance_destroy(inst);
}
