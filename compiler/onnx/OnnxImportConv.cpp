//===- OnnxImportConv.cpp - Conv and pooling from ONNX --------------------===//
//
// ONNX's Conv, ConvTranspose, MaxPool and AveragePool work on NCHW images
// (and on 1-D [N, C, L] ones); nnc's `conv`, `conv_transpose`, `maxpool`
// and `avgpool` on NHWC images, with strides, dilations, windows and
// paddings per axis. A 2-D op is written between two transposes; a 1-D one
// on an image one pixel high ([N, 1, L, C]: a 1 x k filter or window).
// Pooling padding over half a window (which nnc, as PyTorch, refuses) is
// written out: a concatenation of zeros (for a maximum, the lowest float).
//
//===----------------------------------------------------------------------===//
#include "onnx/OnnxImporter.h"

using namespace nnc;
using namespace nnc::onnx_import;

namespace nnc {
namespace onnx_import {

/// Size `k` of `v` as source text: a number or an input's symbol ("" if
/// unknown).
std::string Importer::dimText(const std::string &v, size_t k) {
  auto it = shapes.find(v);
  if (it == shapes.end() || !it->second.known || k >= it->second.dims.size())
    return "";
  const Shape &s = it->second;
  if (s.dims[k] >= 0)
    return std::to_string(s.dims[k]);
  return inputSymbols.count(s.sym[k]) ? s.sym[k] : "";
}

namespace {
std::string pairText(int64_t h, int64_t w) {
  return h == w ? std::to_string(h)
                : "[" + std::to_string(h) + ", " + std::to_string(w) + "]";
}
std::string padText(const Window &w) {
  if (w.top == w.bottom && w.left == w.right)
    return pairText(w.top, w.left);
  return "[" + std::to_string(w.top) + ", " + std::to_string(w.bottom) + ", " +
         std::to_string(w.left) + ", " + std::to_string(w.right) + "]";
}
} // namespace

/// ONNX's kernel, strides, dilations and pads as nnc's 2-D window (a 1-D
/// op's height is 1, unpadded); auto_pad SAME_* computed from the input.
bool Importer::windowOf(const onnx::NodeProto &n, std::vector<int64_t> kernel,
                        Window &w) {
  int r = rank(inp(n, 0));
  size_t sp = size_t(r - 2);
  auto ints = [&](const char *name, int64_t dflt, size_t count) {
    std::vector<int64_t> v = intsAttr(n, name);
    return v.empty() ? std::vector<int64_t>(count, dflt) : v;
  };
  std::vector<int64_t> strides = ints("strides", 1, sp),
                       dil = ints("dilations", 1, sp),
                       pads = ints("pads", 0, 2 * sp);
  if (kernel.size() != sp || strides.size() != sp || dil.size() != sp ||
      pads.size() != 2 * sp)
    return fail(n, "attributes that do not match the image's rank");
  std::string autoPad = attr(n, "auto_pad") ? attr(n, "auto_pad")->s() : "";
  if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    for (size_t k = 0; k < sp; ++k) { // TensorFlow's "same"
      int64_t in = dimOf(inp(n, 0), int64_t(2 + k));
      if (in < 0)
        return fail(n, "auto_pad of an image of unknown size is not "
                       "supported");
      int64_t outSize = (in + strides[k] - 1) / strides[k];
      int64_t total = std::max<int64_t>(
          0, (outSize - 1) * strides[k] + dil[k] * (kernel[k] - 1) + 1 - in);
      int64_t small = total / 2, big = total - small;
      pads[k] = autoPad == "SAME_UPPER" ? small : big;
      pads[k + sp] = autoPad == "SAME_UPPER" ? big : small;
    }
  } else if (autoPad == "VALID") {
    pads.assign(2 * sp, 0);
  } else if (!autoPad.empty() && autoPad != "NOTSET") {
    return fail(n, "auto_pad " + autoPad + " is not supported");
  }
  if (sp == 1) {
    kernel.insert(kernel.begin(), 1);
    strides.insert(strides.begin(), 1);
    dil.insert(dil.begin(), 1);
    pads = {0, pads[0], 0, pads[1]};
  }
  w = {kernel[0], kernel[1], strides[0], strides[1], dil[0],
       dil[1],    pads[0],   pads[2],    pads[1],    pads[3]};
  return true;
}

bool Importer::convLike(const onnx::NodeProto &n, std::string &out) {
  const std::string &op = n.op_type();
  bool conv = op == "Conv", maxPool = op == "MaxPool";
  int r = rank(inp(n, 0));
  if (r != 3 && r != 4)
    return fail(n, "images other than 1-D and 2-D (rank 3 and 4) are not "
                   "supported");
  bool oneD = r == 3;
  std::vector<int64_t> kernel = intsAttr(n, "kernel_shape");
  if (conv) {
    std::vector<int64_t> fd = filterDims(n);
    if (fd.size() != size_t(r))
      return fail(n, "a filter of unknown size or not of the image's rank "
                     "is not supported");
    kernel.assign(fd.begin() + 2, fd.end());
  }
  Window w;
  if (!windowOf(n, kernel, w))
    return false;
  if (!conv) {
    if (w.dh != 1 || w.dw != 1)
      return fail(n, "dilated pooling is not supported");
    if (intAttr(n, "ceil_mode", 0))
      return fail(n, "ceil_mode is not supported");
    if (!maxPool && (w.top || w.bottom || w.left || w.right) &&
        !intAttr(n, "count_include_pad", 0))
      return fail(n, "padded average pooling that leaves the padding out "
                     "(count_include_pad 0) is not supported");
  }
  std::string x;
  if (!imageNHWC(n, oneD, x) || (!conv && !padPooled(n, oneD, w, x)))
    return false;
  std::string y;
  if (conv) {
    std::string wp;
    if (!filterKKCF(n, /*outFirst=*/true, wp))
      return false;
    y = "conv(" + x + ", " + wp + ", stride: " + pairText(w.sh, w.sw) +
        ", padding: " + padText(w) + ", dilation: " + pairText(w.dh, w.dw) +
        ", groups: " + std::to_string(intAttr(n, "group", 1)) + ")";
    if (n.input_size() > 2 && !inp(n, 2).empty())
      y += " + " + value(n, 2);
  } else {
    y = std::string(maxPool ? "maxpool(" : "avgpool(") + x + ", " +
        pairText(w.kh, w.kw) + ", stride: " + pairText(w.sh, w.sw) +
        ", padding: " + padText(w) + ")";
  }
  return imageBack(n, oneD, y, out);
}

/// The op's input as an NHWC image: a 1-D [N, C, L] one as [N, 1, L, C].
bool Importer::imageNHWC(const onnx::NodeProto &n, bool oneD, std::string &x) {
  x = value(n, 0);
  if (!oneD) {
    x = "transpose(" + x + ", [0, 2, 3, 1])";
    return !failed;
  }
  std::string nb = dimText(inp(n, 0), 0), c = dimText(inp(n, 0), 1),
              l = dimText(inp(n, 0), 2);
  if (nb.empty() || c.empty() || l.empty())
    return fail(n, "a 1-D image of unknown size is not supported");
  x = let(n, "reshape(transpose(" + x + ", [0, 2, 1]), [" + nb + ", 1, " + l +
                 ", " + c + "])");
  return !failed;
}

/// An NHWC result `y` back in ONNX's layout, as the node's result.
bool Importer::imageBack(const onnx::NodeProto &n, bool oneD,
                         const std::string &y, std::string &out) {
  if (!oneD) {
    out = "transpose(" + y + ", [0, 3, 1, 2])";
    return !failed;
  }
  std::string nb = dimText(n.output(0), 0), f = dimText(n.output(0), 1),
              l = dimText(n.output(0), 2);
  if (nb.empty() || f.empty() || l.empty())
    return fail(n, "a result whose shape ONNX's shape inference cannot tell "
                   "is not supported");
  out = "transpose(reshape(" + y + ", [" + nb + ", " + l + ", " + f +
        "]), [0, 2, 1])";
  return !failed;
}

/// Pooling padding over half the window, written out (nnc's pooling, as
/// PyTorch's, pads at most half a window); leaves `w` unpadded then.
bool Importer::padPooled(const onnx::NodeProto &n, bool oneD, Window &w,
                         std::string &x) {
  if (2 * std::max(w.top, w.bottom) <= w.kh &&
      2 * std::max(w.left, w.right) <= w.kw)
    return true;
  std::string nb = dimText(inp(n, 0), 0), c = dimText(inp(n, 0), 1);
  int64_t h = oneD ? 1 : dimOf(inp(n, 0), 2),
          wd = dimOf(inp(n, 0), oneD ? 2 : 3);
  if (nb.empty() || c.empty() || h < 0 || wd < 0)
    return fail(n, "padding an image of unknown size is not supported");
  // A maximum ignores the lowest float; an average counts the zeros.
  std::string fill =
      n.op_type() == "MaxPool" ? ", " + num(-3.4028234663852886e38) : "";
  auto block = [&](int64_t rows, int64_t cols) {
    std::string shape = "[" + nb + ", " + std::to_string(rows) + ", " +
                        std::to_string(cols) + ", " + c + "]";
    return fill.empty() ? "zeros(" + shape + ")"
                        : "full(" + shape + fill + ")";
  };
  if (w.top || w.bottom) {
    std::string parts = (w.top ? block(w.top, wd) + ", " : "") + x +
                        (w.bottom ? ", " + block(w.bottom, wd) : "");
    x = let(n, "concat([" + parts + "], axis: 1)");
    h += w.top + w.bottom;
  }
  if (w.left || w.right) {
    std::string parts = (w.left ? block(h, w.left) + ", " : "") + x +
                        (w.right ? ", " + block(h, w.right) : "");
    x = let(n, "concat([" + parts + "], axis: 2)");
  }
  w.top = w.bottom = w.left = w.right = 0;
  return !failed;
}

/// The filter's (input 1's) sizes: an initializer's, else the ones shape
/// inference found; empty if any is unknown.
std::vector<int64_t> Importer::filterDims(const onnx::NodeProto &n) {
  if (auto c = consts.find(inp(n, 1)); c != consts.end())
    return c->second.dims;
  auto it = shapes.find(inp(n, 1));
  if (it == shapes.end() || !it->second.known ||
      llvm::is_contained(it->second.dims, -1))
    return {};
  return it->second.dims;
}

/// Conv's ([F, C, ...]) or ConvTranspose's ([C, F, ...]) filter as nnc's
/// [KH, KW, C, F]: an initializer rearranged into a parameter, any other
/// value transposed in the source; a 1-D one is 1 pixel high.
bool Importer::filterKKCF(const onnx::NodeProto &n, bool outFirst,
                          std::string &w) {
  auto it = consts.find(inp(n, 1));
  if (it != consts.end() && it->second.type == onnx::TensorProto::FLOAT) {
    Const filter = it->second;
    if (filter.dims.size() == 3)
      filter.dims.insert(filter.dims.begin() + 2, 1);
    if (filter.dims.size() != 4)
      return fail(n, "a filter of rank other than 3 and 4 is not supported");
    w = param(inp(n, 1), toKKCF(filter, outFirst));
    return true;
  }
  w = value(n, 1);
  if (rank(inp(n, 1)) == 3) {
    std::string a = dimText(inp(n, 1), 0), b = dimText(inp(n, 1), 1),
                k = dimText(inp(n, 1), 2);
    w = "reshape(" + w + ", [" + a + ", " + b + ", 1, " + k + "])";
  }
  w = "transpose(" + w + (outFirst ? ", [2, 3, 1, 0])" : ", [2, 3, 0, 1])");
  return !failed;
}

/// ConvTranspose (one group, no dilation): nnc's
/// conv_transpose without padding gives the whole output, (in - 1) *
/// stride + k per axis; the pads (or output_shape) cut it to ONNX's, and
/// output_padding past its end adds zeros before the bias.
bool Importer::convTranspose(const onnx::NodeProto &n, std::string &e) {
  int r = rank(inp(n, 0));
  if (r != 3 && r != 4)
    return fail(n, "transposed convolutions of images other than 1-D and "
                   "2-D are not supported");
  bool oneD = r == 3;
  size_t sp = size_t(r - 2);
  std::vector<int64_t> fd = filterDims(n);
  if (fd.size() != size_t(r))
    return fail(n, "a filter of unknown size is not supported");
  std::vector<int64_t> kernel(fd.begin() + 2, fd.end());
  auto ints = [&](const char *name, int64_t dflt, size_t count) {
    std::vector<int64_t> v = intsAttr(n, name);
    return v.empty() ? std::vector<int64_t>(count, dflt) : v;
  };
  std::vector<int64_t> strides = ints("strides", 1, sp),
                       pads = ints("pads", 0, 2 * sp),
                       extra = ints("output_padding", 0, sp),
                       shape = intsAttr(n, "output_shape");
  if (intAttr(n, "group", 1) != 1 ||
      llvm::any_of(ints("dilations", 1, sp), [](int64_t d) { return d != 1; }))
    return fail(n, "groups and dilations are not supported");
  if (strides.size() != sp || pads.size() != 2 * sp || extra.size() != sp ||
      (!shape.empty() && shape.size() < sp) || kernel.size() != sp)
    return fail(n, "attributes that do not match the image's rank");
  std::string autoPad = attr(n, "auto_pad") ? attr(n, "auto_pad")->s() : "";
  std::vector<int64_t> in, full;
  for (size_t k = 0; k < sp; ++k) {
    in.push_back(dimOf(inp(n, 0), int64_t(2 + k)));
    if (in.back() < 0)
      return fail(n, "an image of unknown size is not supported");
    full.push_back((in[k] - 1) * strides[k] + kernel[k]);
    bool same = autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER";
    if (!shape.empty() || same) { // ONNX's rule for the pads
      int64_t want = shape.empty() ? in[k] * strides[k] : shape[shape.size() - sp + k];
      int64_t total = full[k] + extra[k] - want, half = total / 2;
      bool upper = autoPad != "SAME_LOWER";
      pads[k] = upper ? half : total - half;
      pads[k + sp] = total - pads[k];
    }
  }
  std::string w;
  if (!filterKKCF(n, /*outFirst=*/false, w))
    return false;
  std::string x = value(n, 0), nb = dimText(inp(n, 0), 0);
  if (nb.empty())
    return fail(n, "an image of unknown size is not supported");
  x = oneD ? "reshape(transpose(" + x + ", [0, 2, 1]), [" + nb + ", 1, " +
                 std::to_string(in[0]) + ", " + dimText(inp(n, 0), 1) + "])"
           : "transpose(" + x + ", [0, 2, 3, 1])";
  std::string y = let(n, "conv_transpose(" + x + ", " + w + ", stride: " +
                             pairText(oneD ? 1 : strides[0], strides[sp - 1]) +
                             ", padding: 0)");
  std::string f = std::to_string(fd[1]);
  std::vector<int64_t> now = {oneD ? 1 : full[0], full[sp - 1]};
  for (size_t k = 0; k < sp; ++k) {
    int64_t axis = oneD ? 2 : int64_t(1 + k);
    int64_t from = pads[k], to = full[k] - pads[k + sp] + extra[k];
    if (from < 0 || to <= from)
      return fail(n, "pads that leave nothing or pad the output are not "
                     "supported");
    int64_t keep = std::min(to, full[k]);
    y = let(n, sliceExpr(y, 4, axis, from, keep));
    now[size_t(axis - 1)] = keep - from;
    if (to > full[k]) { // output_padding past the end: zeros
      std::vector<int64_t> dims = {now[0], now[1]};
      dims[size_t(axis - 1)] = to - full[k];
      y = let(n, "concat([" + y + ", zeros([" + nb + ", " +
                     std::to_string(dims[0]) + ", " + std::to_string(dims[1]) +
                     ", " + f + "])], axis: " + std::to_string(axis) + ")");
      now[size_t(axis - 1)] = to - from;
    }
  }
  if (n.input_size() > 2 && !n.input(2).empty())
    y = "(" + y + " + " + value(n, 2) + ")";
  e = oneD ? "transpose(reshape(" + y + ", [" + nb + ", " +
                 std::to_string(now[1]) + ", " + f + "]), [0, 2, 1])"
           : "transpose(" + y + ", [0, 3, 1, 2])";
  return !failed;
}

} // namespace onnx_import
} // namespace nnc
