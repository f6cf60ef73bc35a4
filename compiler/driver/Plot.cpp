//===- Plot.cpp - Training curves from a metrics file, as a PNG -----------===//
//
// `nnc plot metrics.jsonl -o curves.png`: the per-epoch records that
// `--metrics-out` writes, drawn as panels of loss, accuracy (and other
// metrics) and learning rate over epochs, training and validation in
// their own colours, with axes, ticks, titles and a legend. The picture
// is rasterised here (lines, rectangles, stb_easy_font's bitmap text) and
// written with stb_image_write, both compiled into this file only.
//
//===----------------------------------------------------------------------===//
#include "driver/Plot.h"
#include "support/Diagnostics.h"

#include "llvm/Support/MemoryBuffer.h"

#include <nlohmann/json.hpp>

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>
#include <stb/stb_easy_font.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace nnc;

namespace {

struct Rgb {
  uint8_t r, g, b;
};
constexpr Rgb kBlack{0, 0, 0}, kGrid{225, 225, 225}, kText{40, 40, 40};
constexpr Rgb kColors[] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},
                           {214, 39, 40},  {148, 103, 189}, {140, 86, 75}};

/// An RGB raster with the few drawing operations a chart needs.
class Canvas {
public:
  Canvas(int w, int h) : w(w), h(h), px(size_t(w) * h * 3, 255) {}
  void set(int x, int y, Rgb c) {
    if (x < 0 || y < 0 || x >= w || y >= h)
      return;
    uint8_t *p = &px[(size_t(y) * w + x) * 3];
    p[0] = c.r, p[1] = c.g, p[2] = c.b;
  }
  void rect(int x0, int y0, int x1, int y1, Rgb c) {
    for (int y = std::max(0, y0); y < std::min(h, y1); ++y)
      for (int x = std::max(0, x0); x < std::min(w, x1); ++x)
        set(x, y, c);
  }
  /// A line `thick` pixels wide (a square pen moved along it).
  void line(double x0, double y0, double x1, double y1, Rgb c, int thick) {
    int steps = int(std::max(std::fabs(x1 - x0), std::fabs(y1 - y0))) + 1;
    for (int i = 0; i <= steps; ++i) {
      double t = double(i) / steps;
      int x = int(std::lround(x0 + (x1 - x0) * t));
      int y = int(std::lround(y0 + (y1 - y0) * t));
      rect(x - thick / 2, y - thick / 2, x - thick / 2 + thick,
           y - thick / 2 + thick, c);
    }
  }
  /// Text with its top-left corner at (x, y), `scale` pixels per font
  /// pixel.
  void text(double x, double y, const std::string &s, Rgb c, int scale) {
    static char buf[200000];
    std::string copy = s;
    int quads = stb_easy_font_print(0, 0, copy.data(), nullptr, buf,
                                    int(sizeof buf));
    for (int q = 0; q < quads; ++q) {
      const float *v0 = reinterpret_cast<const float *>(buf + q * 64);
      const float *v2 = reinterpret_cast<const float *>(buf + q * 64 + 32);
      rect(int(x + v0[0] * scale), int(y + v0[1] * scale),
           int(x + v2[0] * scale), int(y + v2[1] * scale), c);
    }
  }
  static int textWidth(const std::string &s, int scale) {
    std::string copy = s;
    return stb_easy_font_width(copy.data()) * scale;
  }
  bool write(const std::string &path) const {
    return stbi_write_png(path.c_str(), w, h, 3, px.data(), w * 3) != 0;
  }
  const int w, h;

private:
  std::vector<uint8_t> px;
};

/// Round tick values covering [lo, hi], about `n` of them.
std::vector<double> ticks(double lo, double hi, int n) {
  double span = hi - lo, raw = span / n;
  double mag = std::pow(10, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  std::vector<double> out;
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9;
       t += step)
    out.push_back(std::fabs(t) < step * 1e-9 ? 0 : t);
  return out;
}

std::string label(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

using Series = std::vector<std::pair<double, double>>; // (epoch, value)

/// One chart: a title and named series drawn in a box of the canvas, with
/// room for `legendRows` legend lines under it (the same in every panel,
/// so that their axes line up).
void drawPanel(Canvas &c, int x0, int y0, int pw, int ph, int legendRows,
               const std::string &title,
               const std::vector<std::pair<std::string, Series>> &series) {
  const int left = 100, right = 20, top = 40, s = 2;
  const int bottom = 60 + 20 * legendRows;
  int ax0 = x0 + left, ax1 = x0 + pw - right, ay0 = y0 + top,
      ay1 = y0 + ph - bottom;
  double xlo = 1e300, xhi = -1e300, ylo = 1e300, yhi = -1e300;
  for (const auto &[name, pts] : series)
    for (auto [x, y] : pts) {
      xlo = std::min(xlo, x), xhi = std::max(xhi, x);
      ylo = std::min(ylo, y), yhi = std::max(yhi, y);
    }
  if (xhi <= xlo)
    xlo -= 0.5, xhi += 0.5;
  double pad = (yhi - ylo) * 0.06;
  if (pad <= 0)
    pad = std::max(std::fabs(yhi) * 0.05, 1e-6);
  ylo -= pad, yhi += pad;
  auto X = [&](double v) { return ax0 + (v - xlo) / (xhi - xlo) * (ax1 - ax0); };
  auto Y = [&](double v) { return ay1 - (v - ylo) / (yhi - ylo) * (ay1 - ay0); };
  c.text(ax0 + (ax1 - ax0 - Canvas::textWidth(title, s)) / 2.0, y0 + 12, title,
         kText, s);
  for (double t : ticks(ylo, yhi, 5)) {
    c.line(ax0, Y(t), ax1, Y(t), kGrid, 1);
    std::string l = label(t);
    c.text(ax0 - 8 - Canvas::textWidth(l, s), Y(t) - 6, l, kText, s);
  }
  std::vector<double> xt = ticks(xlo, xhi, std::min(6, int(xhi - xlo) + 1));
  for (double t : xt) {
    if (std::fabs(t - std::round(t)) > 1e-9) // epochs are whole numbers
      continue;
    c.line(X(t), ay1, X(t), ay1 + 5, kBlack, 1);
    std::string l = label(t);
    c.text(X(t) - Canvas::textWidth(l, s) / 2.0, ay1 + 10, l, kText, s);
  }
  c.text(ax0 + (ax1 - ax0 - Canvas::textWidth("epoch", s)) / 2.0, ay1 + 30,
         "epoch", kText, s);
  c.line(ax0, ay0, ax0, ay1, kBlack, 1);
  c.line(ax0, ay1, ax1, ay1, kBlack, 1);
  // The legend under the axis label, one entry per line.
  int legendY = ay1 + 56;
  for (size_t k = 0; k < series.size(); ++k) {
    Rgb col = kColors[k % std::size(kColors)];
    const Series &pts = series[k].second;
    for (size_t i = 0; i + 1 < pts.size(); ++i)
      c.line(X(pts[i].first), Y(pts[i].second), X(pts[i + 1].first),
             Y(pts[i + 1].second), col, 2);
    for (auto [x, y] : pts)
      c.rect(int(X(x)) - 3, int(Y(y)) - 3, int(X(x)) + 4, int(Y(y)) + 4, col);
    c.rect(ax0, legendY + 5, ax0 + 28, legendY + 8, col);
    c.text(ax0 + 36, legendY, series[k].first, kText, s);
    legendY += 20;
  }
}

/// The panels: loss; accuracy and the other metrics; the learning rate.
std::vector<std::pair<std::string, std::vector<std::pair<std::string, Series>>>>
panelsOf(const std::map<std::string, Series> &columns) {
  std::vector<std::pair<std::string, Series>> loss, metrics, lr;
  for (const auto &[key, pts] : columns) {
    if (key == "epoch" || key == "samples_per_sec" || key == "seconds" ||
        pts.empty())
      continue;
    std::string name = key.rfind("val_", 0) == 0 ? key.substr(4) : key;
    std::string shown = key.rfind("val_", 0) == 0 ? "validation " + name
                                                  : "training " + name;
    if (name == "loss")
      loss.push_back({shown, pts});
    else if (name == "lr")
      lr.push_back({"learning rate", pts});
    else
      metrics.push_back({shown, pts});
  }
  // Training before validation in each legend.
  for (auto *v : {&loss, &metrics}) {
    std::vector<std::pair<std::string, Series>> ordered;
    for (bool training : {true, false})
      for (auto &e : *v)
        if ((e.first.rfind("training", 0) == 0) == training)
          ordered.push_back(e);
    *v = std::move(ordered);
  }
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, Series>>>>
      out;
  if (!loss.empty())
    out.push_back({"loss", loss});
  bool onlyAccuracy = true;
  for (const auto &m : metrics)
    onlyAccuracy &= llvm::StringRef(m.first).ends_with(" accuracy");
  if (!metrics.empty())
    out.push_back({onlyAccuracy ? "accuracy" : "metrics", metrics});
  if (!lr.empty())
    out.push_back({"learning rate", lr});
  return out;
}

} // namespace

int nnc::plotMetrics(const std::string &input, const std::string &output,
                     DiagnosticEngine &diags) {
  auto buf = llvm::MemoryBuffer::getFile(input);
  if (!buf) {
    diags.error("cannot read '" + input + "': " + buf.getError().message());
    return 1;
  }
  // Sums and counts per key and epoch: a cross-validation's folds (records
  // with "fold") are drawn as their mean per epoch.
  std::map<std::string, std::map<double, std::pair<double, int>>> sums;
  std::set<double> epochSet;
  std::set<int64_t> folds;
  unsigned lineNo = 0;
  llvm::StringRef rest = (*buf)->getBuffer();
  while (!rest.empty()) {
    auto [line, tail] = rest.split('\n');
    rest = tail;
    ++lineNo;
    if (line.trim().empty())
      continue;
    nlohmann::json rec = nlohmann::json::parse(line.begin(), line.end(),
                                               nullptr, /*exceptions=*/false);
    if (rec.is_discarded() || !rec.is_object()) {
      diags.error(input + ":" + std::to_string(lineNo) +
                  ": not a JSON object (expected the lines that "
                  "--metrics-out writes)");
      return 1;
    }
    if (rec.contains("final") || !rec.contains("epoch") ||
        !rec["epoch"].is_number())
      continue;
    double epoch = rec["epoch"].get<double>();
    epochSet.insert(epoch);
    if (rec.contains("fold") && rec["fold"].is_number())
      folds.insert(rec["fold"].get<int64_t>());
    for (auto it = rec.begin(); it != rec.end(); ++it)
      if (it.value().is_number() && it.key() != "fold") {
        auto &[sum, n] = sums[it.key()][epoch];
        sum += it.value().get<double>();
        ++n;
      }
  }
  unsigned epochs = unsigned(epochSet.size());
  std::map<std::string, Series> columns;
  for (const auto &[key, perEpoch] : sums)
    for (const auto &[epoch, sn] : perEpoch)
      columns[key].push_back({epoch, sn.first / sn.second});
  if (!epochs) {
    diags.error("'" + input +
                "' has no epoch records (write one with nnc run FILE.nn "
                "--metrics-out " +
                input + ")");
    return 1;
  }
  auto panels = panelsOf(columns);
  size_t most = 0;
  for (const auto &p : panels)
    most = std::max(most, p.second.size());
  const int pw = 520, ph = 340 + 20 * int(most);
  Canvas canvas(pw * int(panels.size()), ph);
  for (size_t k = 0; k < panels.size(); ++k)
    drawPanel(canvas, int(k) * pw, 0, pw, ph, int(most), panels[k].first,
              panels[k].second);
  if (!canvas.write(output)) {
    diags.error("cannot write '" + output + "'");
    return 1;
  }
  std::string mean = folds.size() > 1 ? " (the mean over " +
                                            std::to_string(folds.size()) +
                                            " folds)"
                                      : "";
  std::printf("saved %s: %u epochs%s, %zu panels (%dx%d)\n", output.c_str(),
              epochs, mean.c_str(), panels.size(), canvas.w, canvas.h);
  return 0;
}
