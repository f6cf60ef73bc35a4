//===- Images.cpp - stb_image and stb_image_write, private to the runtime -===//
//
// Debian's single-header stb libraries are compiled here with static
// linkage (STB_IMAGE_STATIC, STB_IMAGE_WRITE_STATIC): the runtime exports none of
// their symbols and links no libstb, so an executable or an app that has
// its own stb does not clash with it.
//
//===----------------------------------------------------------------------===//
#include "Images.h"
#include "nnc/runtime.h"

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

bool nnc::readPicture(const std::string &path, int channels, Picture &out,
                      std::string &error) {
  int w = 0, h = 0, c = 0;
  unsigned char *data = stbi_load(path.c_str(), &w, &h, &c, channels);
  if (!data) {
    error = stbi_failure_reason();
    return false;
  }
  out.width = w;
  out.height = h;
  out.channels = channels;
  out.pixels.assign(data, data + size_t(w) * size_t(h) * size_t(channels));
  stbi_image_free(data);
  return true;
}

int nnc::writePng(const std::string &path, const Picture &p) {
  errno = 0;
  if (!stbi_write_png(path.c_str(), p.width, p.height, p.channels,
                      p.pixels.data(), p.width * p.channels))
    return nnc_set_error("cannot write '%s'%s%s", path.c_str(),
                         errno ? ": " : "", errno ? std::strerror(errno) : "");
  return 0;
}

int nnc::saveImage(const nnc_tensor &t, const char *path, const char *options) {
  int normalize = 0, columns = 0, scale = 1;
  if (options)
    std::sscanf(options, "normalize=%d,columns=%d,scale=%d", &normalize,
                &columns, &scale);
  scale = std::clamp(scale, 1, 16);
  // [N, H, W, C] with N = 1 for one image; C = 1 for gray.
  int64_t n = 1, h, w, c = 1;
  if (t.rank == 2) {
    h = t.dims[0], w = t.dims[1];
  } else if (t.rank == 3 && (t.dims[2] == 1 || t.dims[2] == 3 ||
                             t.dims[2] == 4)) {
    h = t.dims[0], w = t.dims[1], c = t.dims[2];
  } else if (t.rank == 3) {
    n = t.dims[0], h = t.dims[1], w = t.dims[2];
  } else if (t.rank == 4) {
    n = t.dims[0], h = t.dims[1], w = t.dims[2], c = t.dims[3];
  } else {
    return nnc_set_error("save_image of a rank-%d tensor", int(t.rank));
  }
  if (n < 1 || h < 1 || w < 1)
    return nnc_set_error("save_image of an empty tensor to '%s'", path);
  int64_t count = n * h * w * c;
  std::vector<double> v(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i)
    v[i] = t.dtype == NNC_F64 ? static_cast<const double *>(t.data)[i]
                              : static_cast<const float *>(t.data)[i];
  double lo = 0, hi = 1;
  if (normalize) {
    lo = *std::min_element(v.begin(), v.end());
    hi = *std::max_element(v.begin(), v.end());
    if (hi <= lo)
      hi = lo + 1;
  }
  int64_t cols = columns > 0 ? columns : int64_t(std::ceil(std::sqrt(n)));
  cols = std::min(cols, n);
  int64_t rows = (n + cols - 1) / cols, gap = n > 1 ? 2 : 0;
  int64_t sh = h * scale, sw = w * scale; // an image's size in the picture
  Picture p;
  p.channels = int(c);
  p.width = int(cols * sw + (cols - 1) * gap);
  p.height = int(rows * sh + (rows - 1) * gap);
  // The gaps are mid-gray; alpha, if any, opaque.
  p.pixels.assign(size_t(p.width) * size_t(p.height) * size_t(c), 128);
  for (int64_t k = 0; k < n; ++k) {
    int64_t y0 = (k / cols) * (sh + gap), x0 = (k % cols) * (sw + gap);
    for (int64_t y = 0; y < sh; ++y)
      for (int64_t x = 0; x < sw; ++x)
        for (int64_t ch = 0; ch < c; ++ch) {
          double u = (v[((k * h + y / scale) * w + x / scale) * c + ch] - lo) /
                     (hi - lo);
          u = std::isnan(u) ? 0 : std::clamp(u, 0.0, 1.0);
          p.pixels[((y0 + y) * p.width + x0 + x) * c + ch] =
              uint8_t(std::lround(u * 255));
        }
  }
  if (writePng(path, p))
    return -1;
  std::string scaled = scale > 1 ? ", each pixel " + std::to_string(scale) +
                                       "x" + std::to_string(scale)
                                 : "";
  if (n > 1)
    std::printf("saved %s: %lld images %lldx%lld in a %lldx%lld grid%s\n",
                path, (long long)n, (long long)h, (long long)w,
                (long long)rows, (long long)cols, scaled.c_str());
  else
    std::printf("saved %s: %lldx%lld%s\n", path, (long long)h, (long long)w,
                scaled.c_str());
  return 0;
}
