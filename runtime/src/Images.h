//===- Images.h - Decoding and writing pictures (runtime-internal) --------===//
//
// PNG/JPEG decoding for image-folder data sets and PNG writing for
// save_image, through Debian's stb headers compiled into the runtime
// (Images.cpp), so that neither executables nor apps need libstb.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_RUNTIME_IMAGES_H
#define NNC_RUNTIME_IMAGES_H

#include "nnc/runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nnc {

/// A decoded picture: `channels` interleaved bytes per pixel, row-major.
struct Picture {
  int width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;
};

/// Decodes a PNG or JPEG file with `channels` channels (1, 3 or 4);
/// false with the decoder's reason in `error`.
bool readPicture(const std::string &path, int channels, Picture &out,
                 std::string &error);
/// Writes a PNG (1, 3 or 4 channels); 0, or -1 with the error set.
int writePng(const std::string &path, const Picture &picture);

/// save_image: a float tensor [H, W], [H, W, C] (C = 1, 3 or 4) or a batch
/// [N, H, W(, C)] as a PNG, a batch as a grid of `columns` (0: square)
/// with 2-pixel gaps. Values are clipped to [0, 1], or with `normalize`
/// mapped from the tensor's min..max. `options`: "normalize=N,columns=K".
/// Prints what it wrote on stdout.
int saveImage(const nnc_tensor &t, const char *path, const char *options);

} // namespace nnc

#endif // NNC_RUNTIME_IMAGES_H
