//===- Images.cpp - stb_image and stb_image_write, private to the runtime -===//
//
// Debian's single-header stb libraries are compiled here with static
// linkage (STB_IMAGE_STATIC, STBIW_STATIC): the runtime exports none of
// their symbols and links no libstb, so an executable or an app that has
// its own stb does not clash with it.
//
//===----------------------------------------------------------------------===//
#include "Images.h"
#include "nnc/runtime.h"

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

#define STBIW_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

#include <cerrno>
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
