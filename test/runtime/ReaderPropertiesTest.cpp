//===- ReaderPropertiesTest.cpp - Every reader against damaged files -----===//
//
// Property tests of the runtime's file readers (NPY, IDX plain and gzip,
// safetensors, CSV): starting from a valid file, every truncation, every
// single-bit flip of the header (and a sample of the data) and headers
// that claim far more than the file holds must each give either a correct
// load or an error message, never a crash, a hang or an allocation the
// file cannot back (the sanitizer build, docs/testing.md, makes the
// latter fatal). The fuzzers (test/fuzz) explore further; these run in
// every build.
//
//===----------------------------------------------------------------------===//
#include "../fuzz/FuzzFile.h"
#include "nnc/runtime.h"

#include <zlib.h>

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>

namespace {
using Bytes = std::string;

/// The outcome of one read: loaded (how much) or an error.
struct Outcome {
  bool ok = false;
  uint64_t bytes = 0;    // of the tensors loaded
  uint64_t elements = 0; // of the tensors loaded
};

using Reader = std::function<Outcome(const Bytes &)>;

Outcome tensorOutcome(int rc, nnc_tensor &t) {
  if (rc != 0) {
    EXPECT_STRNE(nnc_last_error(), "") << "an error without a message";
    return {};
  }
  Outcome o{true, uint64_t(nnc_tensor_numel(&t)) * nnc_dtype_size(t.dtype),
            uint64_t(nnc_tensor_numel(&t))};
  nnc_tensor_free(&t);
  return o;
}

Outcome readNpy(const Bytes &b) {
  nnc_tensor t;
  int rc = nnc_npy_load(
      nnc::fuzz::asFile(reinterpret_cast<const uint8_t *>(b.data()), b.size())
          .c_str(),
      &t);
  return tensorOutcome(rc, t);
}

Outcome readIdx(const Bytes &b) {
  nnc_tensor t;
  int rc = nnc_idx_load(
      nnc::fuzz::asFile(reinterpret_cast<const uint8_t *>(b.data()), b.size())
          .c_str(),
      &t);
  // IDX widens i8 and i16 to i32: compare elements (a byte each at least)
  // with the file's size rather than bytes.
  Outcome o = tensorOutcome(rc, t);
  o.bytes = o.elements;
  return o;
}

Outcome readSafetensors(const Bytes &b) {
  nnc_named_tensors st;
  if (nnc_safetensors_parse(b.data(), b.size(), "p.safetensors", &st) != 0) {
    EXPECT_STRNE(nnc_last_error(), "");
    return {};
  }
  Outcome o{true, 0, 0};
  for (int64_t k = 0; k < st.count; ++k)
    o.bytes += uint64_t(nnc_tensor_numel(&st.tensors[k])) *
               nnc_dtype_size(st.tensors[k].dtype);
  nnc_named_free(&st);
  return o;
}

Outcome readCsv(const Bytes &b) {
  nnc_tensor x, y;
  int rc = nnc_csv_load(
      nnc::fuzz::asFile(reinterpret_cast<const uint8_t *>(b.data()), b.size())
          .c_str(),
      2, "label", &x, &y);
  if (rc == 0)
    nnc_tensor_free(&y);
  return tensorOutcome(rc, x);
}

Bytes le(uint64_t v, int n) {
  Bytes s;
  for (int i = 0; i < n; ++i)
    s += char((v >> (8 * i)) & 0xff);
  return s;
}
Bytes be32(uint32_t v) {
  return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}

Bytes validNpy() {
  Bytes h = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }";
  h += Bytes(63 - (10 + h.size()) % 64, ' ') + "\n";
  Bytes data;
  for (int i = 0; i < 6; ++i)
    data += le(0x3f800000u + i, 4);
  return Bytes("\x93NUMPY\x01\x00", 8) + le(h.size(), 2) + h + data;
}

Bytes validIdx() {
  Bytes b("\0\0\x08\x03", 4);
  b += be32(4) + be32(3) + be32(2);
  for (int i = 0; i < 24; ++i)
    b += char(i * 10);
  return b;
}

Bytes gzipped(const Bytes &raw) {
  std::string path = "/tmp/nnc-readerprop-XXXXXX";
  int fd = mkstemp(&path[0]);
  close(fd);
  gzFile g = gzopen(path.c_str(), "wb");
  gzwrite(g, raw.data(), unsigned(raw.size()));
  gzclose(g);
  FILE *f = std::fopen(path.c_str(), "rb");
  Bytes out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;)
    out.append(buf, n);
  std::fclose(f);
  std::remove(path.c_str());
  return out;
}

Bytes validSafetensors() {
  Bytes h = "{\"__metadata__\":{\"train.epoch\":\"2\"},"
            "\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
            "\"b\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[16,24]}}";
  return le(h.size(), 8) + h + Bytes(24, '\x01');
}

Bytes validCsv() { return "a,b,label\n1,2,0\n3.5,-4,1\n0.25,1e3,2\n"; }

/// Checks one damaged file: a load or an error, and a load holds no more
/// than the file (unless the format is compressed).
void expectSane(const Reader &read, const Bytes &b, bool compressed,
                const std::string &what) {
  SCOPED_TRACE(what);
  Outcome o = read(b);
  if (o.ok && !compressed) {
    EXPECT_LE(o.bytes, b.size()) << "loaded more data than the file holds";
  }
}

void checkProperties(const Reader &read, const Bytes &valid, bool compressed,
                     bool truncationFails) {
  ASSERT_TRUE(read(valid).ok) << nnc_last_error();
  for (size_t n = 0; n < valid.size(); ++n) {
    Bytes cut = valid.substr(0, n);
    Outcome o = read(cut);
    if (truncationFails)
      EXPECT_FALSE(o.ok) << "a file cut to " << n << " bytes loaded";
    else
      expectSane(read, cut, compressed, "cut to " + std::to_string(n));
  }
  for (size_t byte = 0; byte < valid.size(); ++byte)
    for (int bit = 0; bit < 8; ++bit) {
      if (byte >= 160 && (byte * 8 + bit) % 7 != 0)
        continue; // every bit of the header, a sample of the data
      Bytes flipped = valid;
      flipped[byte] = char(flipped[byte] ^ (1 << bit));
      expectSane(read, flipped, compressed,
                 "bit " + std::to_string(bit) + " of byte " +
                     std::to_string(byte));
    }
}
} // namespace

TEST(ReaderProperties, Npy) {
  checkProperties(readNpy, validNpy(), false, true);
  // Header lengths far beyond the file, in both header formats.
  Bytes v = validNpy();
  for (Bytes len : {le(0xFFFF, 2), le(0x7FFF, 2)}) {
    Bytes b = v.substr(0, 8) + len + v.substr(10);
    EXPECT_FALSE(readNpy(b).ok);
  }
  Bytes v2 = Bytes("\x93NUMPY\x02\x00", 8) + le(0xFFFFFFFFu, 4) + v.substr(10);
  EXPECT_FALSE(readNpy(v2).ok);
}

TEST(ReaderProperties, IdxPlain) {
  checkProperties(readIdx, validIdx(), false, true);
  // Dimensions that multiply to far more than the file (and past 2^64).
  Bytes b = Bytes("\0\0\x0e\x03", 4) + be32(0xFFFFFFFFu) + be32(0xFFFFFFFFu) +
            be32(0xFFFFFFFFu) + Bytes(64, '\0');
  EXPECT_FALSE(readIdx(b).ok);
  b = Bytes("\0\0\x08\x02", 4) + be32(1u << 20) + be32(1u << 10) +
      Bytes(64, '\0');
  EXPECT_FALSE(readIdx(b).ok);
  EXPECT_NE(std::string(nnc_last_error()).find("is truncated"),
            std::string::npos)
      << nnc_last_error();
}

TEST(ReaderProperties, IdxGzip) {
  // A gzip stream cut inside its trailer may still hold all the data, so
  // a cut file may load: then it must hold what the valid one does.
  Bytes gz = gzipped(validIdx());
  checkProperties(readIdx, gz, true, false);
  for (size_t n = 0; n + 8 < gz.size(); ++n)
    EXPECT_FALSE(readIdx(gz.substr(0, n)).ok) << "cut to " << n;
}

TEST(ReaderProperties, Safetensors) {
  checkProperties(readSafetensors, validSafetensors(), false, true);
  Bytes v = validSafetensors();
  for (uint64_t len : {~uint64_t(0), uint64_t(1) << 40, uint64_t(v.size())}) {
    Bytes b = le(len, 8) + v.substr(8);
    EXPECT_FALSE(readSafetensors(b).ok) << len;
  }
}

TEST(ReaderProperties, Csv) {
  // A CSV cut between rows is a valid, shorter CSV.
  checkProperties(readCsv, validCsv(), false, false);
}
