//===- Plot.h - Training curves as a PNG (nnc plot) -------------*- C++ -*-===//
#ifndef NNC_DRIVER_PLOT_H
#define NNC_DRIVER_PLOT_H

#include <string>

namespace nnc {
class DiagnosticEngine;

/// Draws the epoch records of a `--metrics-out` file (loss, metrics and
/// learning rate over epochs) into a PNG. Returns the exit code.
int plotMetrics(const std::string &input, const std::string &output,
                DiagnosticEngine &diags);

} // namespace nnc

#endif // NNC_DRIVER_PLOT_H
