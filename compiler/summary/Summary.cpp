//===- Summary.cpp - Keras-style model summary from sema ------------------===//
//
// Counts come straight from the instance tree sema built. Per-sample
// figures use B = 1 for the batch dimension; other symbolic dimensions use
// `--dim NAME=VALUE` or 1, and the footer says which were assumed. Sema's
// counts saturate at INT64_MAX rather than wrap; so do the products here,
// and a saturated count prints as such.
//
//===----------------------------------------------------------------------===//
#include "summary/Summary.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace nnc;

std::string nnc::withCommas(int64_t v) {
  if (v == INT64_MAX)
    return "over 9.2e18";
  std::string digits = std::to_string(v < 0 ? -v : v), out;
  for (size_t k = 0; k < digits.size(); ++k) {
    if (k && (digits.size() - k) % 3 == 0)
      out += ',';
    out += digits[k];
  }
  return (v < 0 ? "-" : "") + out;
}

std::string nnc::humanBytes(int64_t bytes) {
  if (bytes == INT64_MAX)
    return "over 8 EB";
  const char *units[] = {"B", "KB", "MB", "GB", "TB"};
  double v = double(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  std::string s;
  llvm::raw_string_ostream os(s);
  if (u == 0)
    os << bytes << " B";
  else
    os << llvm::format("%.2f %s", v, units[u]);
  return s;
}

static std::string shapeString(const std::vector<TensorType> &outs) {
  if (outs.empty())
    return "-";
  std::string s;
  for (size_t k = 0; k < outs.size(); ++k) {
    if (k)
      s += ", ";
    s += "(";
    for (size_t d = 0; d < outs[k].dims.size(); ++d)
      s += (d ? ", " : "") + outs[k].dims[d].str();
    s += ")";
  }
  return s;
}

namespace {
struct Row {
  std::string name, shape;
  int64_t params, nonTrainable, flops, bytes;
};

void collect(const InstanceInfo &n, unsigned level, unsigned maxDepth,
             std::vector<Row> &rows) {
  for (const auto &c : n.children) {
    std::string label =
        std::string(2 * level, ' ') + c->name + " (" + c->kind + ")";
    if (c->calls > 1)
      label += " x" + std::to_string(c->calls);
    int64_t fixed = c->paramCount(false);
    rows.push_back({label, shapeString(c->outputs),
                    saturatingAdd(c->paramCount(true), fixed), fixed, c->flops,
                    c->activationBytes});
    if (level + 1 < maxDepth)
      collect(*c, level + 1, maxDepth, rows);
  }
}
} // namespace

void nnc::printSummary(const Program &program, const SummaryOptions &opts,
                       llvm::raw_ostream &os) {
  const InstanceInfo &m = *program.model;
  std::vector<Row> rows;
  collect(m, 0, std::max(1u, opts.depth), rows);
  const char *hdr[] = {"Layer (type)",  "Output shape", "Param #",
                       "Non-trainable", "FLOPs/sample", "Act. bytes/sample"};
  size_t w[6];
  for (int k = 0; k < 6; ++k)
    w[k] = llvm::StringRef(hdr[k]).size();
  for (const Row &r : rows) {
    w[0] = std::max(w[0], r.name.size());
    w[1] = std::max(w[1], r.shape.size());
    w[2] = std::max(w[2], withCommas(r.params).size());
    w[3] = std::max(w[3], withCommas(r.nonTrainable).size());
    w[4] = std::max(w[4], withCommas(r.flops).size());
    w[5] = std::max(w[5], withCommas(r.bytes).size());
  }
  size_t total = 0;
  for (size_t x : w)
    total += x + 2;
  os << "Model: " << m.name << "\n";
  os << std::string(total, '-') << "\n";
  os << llvm::left_justify(hdr[0], w[0] + 2)
     << llvm::left_justify(hdr[1], w[1] + 2);
  for (int k = 2; k < 6; ++k)
    os << llvm::right_justify(hdr[k], w[k] + 2);
  os << "\n" << std::string(total, '=') << "\n";
  for (const Row &r : rows) {
    os << llvm::left_justify(r.name, w[0] + 2)
       << llvm::left_justify(r.shape, w[1] + 2)
       << llvm::right_justify(withCommas(r.params), w[2] + 2)
       << llvm::right_justify(withCommas(r.nonTrainable), w[3] + 2)
       << llvm::right_justify(withCommas(r.flops), w[4] + 2)
       << llvm::right_justify(withCommas(r.bytes), w[5] + 2) << "\n";
  }
  os << std::string(total, '=') << "\n";
  int64_t trainable = m.paramCount(true), fixed = m.paramCount(false);
  int64_t all = saturatingAdd(trainable, fixed);
  os << "Total params: " << withCommas(all) << " ("
     << humanBytes(saturatingMul(all, 4)) << ")\n";
  os << "Trainable params: " << withCommas(trainable) << " ("
     << humanBytes(saturatingMul(trainable, 4)) << ")\n";
  os << "Non-trainable params: " << withCommas(fixed) << " ("
     << humanBytes(saturatingMul(fixed, 4)) << ")\n";
  os << "Output: " << shapeString(m.outputs) << "\n";
  os << "Forward FLOPs per sample: " << withCommas(m.flops) << "\n";
  os << "Activation bytes per sample: " << withCommas(m.activationBytes) << " ("
     << humanBytes(m.activationBytes) << ")\n";
  for (const TrainInfo &t : program.trains) {
    if (t.modelName != m.name || t.optimizer.empty())
      continue;
    int64_t bytes = saturatingMul(int64_t(t.optimizerStateSlots),
                                  saturatingMul(trainable, 4));
    os << "Optimizer state (" << t.optimizer << ", " << t.optimizerStateSlots
       << " slot" << (t.optimizerStateSlots == 1 ? "" : "s")
       << " per parameter): " << withCommas(bytes) << " bytes ("
       << humanBytes(bytes) << ")\n";
    os << "Training memory per step (params + grads + optimizer state): "
       << humanBytes(
              saturatingAdd(saturatingMul(2 + int64_t(t.optimizerStateSlots),
                                          saturatingMul(trainable, 4)),
                            saturatingMul(fixed, 4)))
       << "\n";
    break;
  }
  if (!program.dimValues.assumed.empty()) {
    os << "Note: taken as 1 for per-sample figures:";
    for (const std::string &s : program.dimValues.assumed)
      os << " " << s;
    os << " (set with --dim NAME=VALUE)\n";
  }
}
