//===- Sweep.cpp - `nnc sweep`: a grid of hyper-parameters ----------------===//
//
// Every point of the grid is one `nnc run FILE.nn --set NAME=VALUE ...`
// child process (its own checkpoint, metrics file and log in
// `<output>.runs/`), so that points run side by side with --jobs and a
// failing point cannot take the sweep down; the compile cache makes
// points with the same shapes compile once. The results are read back
// from each run's metrics file: the last validation (or, with folds, the
// cross-validation's mean over folds), averaged over --seeds runs.
//
//===----------------------------------------------------------------------===//
#include "driver/Sweep.h"
#include "support/Diagnostics.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

using namespace nnc;
namespace cl = llvm::cl;

cl::SubCommand &nnc::sweepCommand() {
  static cl::SubCommand cmd(
      "sweep", "Train at every point of a grid of hyper-parameters (nnc "
               "sweep FILE.nn --grid 'hidden=128,256' --grid 'lr=1e-3,3e-4' "
               "[--folds K] [--seeds N] [--jobs N] [-o sweep.csv])");
  return cmd;
}

static cl::list<std::string>
    gridOpt("grid",
            cl::desc("NAME=V1,V2,...: the values of one hyper-parameter of "
                     "the model or optimizer (as --set takes them); "
                     "repeatable, every combination is run"),
            cl::value_desc("NAME=V1,V2"), cl::sub(sweepCommand()));
static cl::opt<unsigned> jobsOpt("jobs", cl::desc("Runs at a time (default 1)"),
                                 cl::value_desc("N"), cl::init(1),
                                 cl::sub(sweepCommand()));
static cl::opt<unsigned>
    seedsOpt("seeds",
             cl::desc("Train each point with N seeds (--seed S, S+1, ...; "
                      "default S = 1): mean +- std over them"),
             cl::value_desc("N"), cl::init(1), cl::sub(sweepCommand()));
static cl::opt<std::string>
    monitorOpt("monitor",
               cl::desc("The metric that names the best point (default "
                        "val_accuracy when the runs have it, else val_loss)"),
               cl::value_desc("val_metric"), cl::sub(sweepCommand()));

namespace {

struct Grid {
  std::string name;
  std::vector<std::string> values;
};

/// One child run: its point (a value per grid), seed and files.
struct Run {
  std::vector<std::string> point;
  std::optional<uint64_t> seed;
  std::string base; ///< "<dir>/run<N>"
  llvm::sys::ProcessInfo process;
  std::chrono::steady_clock::time_point start;
  double seconds = 0;
  std::map<std::string, double> metrics; ///< val_* (folds: their mean)
  std::map<std::string, double> stds;    ///< folds: the std over folds
};

bool parseGrids(std::vector<Grid> &grids, DiagnosticEngine &diags) {
  for (const std::string &g : gridOpt) {
    size_t eq = g.find('=');
    Grid grid;
    grid.name = g.substr(0, eq);
    std::stringstream values(eq == std::string::npos ? "" : g.substr(eq + 1));
    for (std::string v; std::getline(values, v, ',');)
      if (!v.empty())
        grid.values.push_back(v);
    if (grid.name.empty() || grid.values.empty()) {
      diags.error("--grid '" + g +
                  "': expected NAME=V1,V2,... (e.g. --grid "
                  "'hidden=128,256')");
      return false;
    }
    for (const Grid &other : grids)
      if (other.name == grid.name) {
        diags.error("--grid names '" + grid.name + "' twice");
        return false;
      }
    grids.push_back(grid);
  }
  if (grids.empty()) {
    diags.error("nnc sweep needs at least one --grid NAME=V1,V2,...");
    return false;
  }
  return true;
}

std::string pointText(const std::vector<Grid> &grids, const Run &r) {
  std::string s;
  for (size_t k = 0; k < grids.size(); ++k)
    s += (k ? " " : "") + grids[k].name + "=" + r.point[k];
  if (r.seed && seedsOpt > 1)
    s += " seed=" + std::to_string(*r.seed);
  return s;
}

std::vector<std::string> childArgs(const char *self, const SweepOptions &o,
                                   const std::vector<Grid> &grids,
                                   const Run &r) {
  std::vector<std::string> a{self,
                             "run",
                             o.file,
                             "--no-progress",
                             "--metrics-out",
                             r.base + ".jsonl",
                             "--checkpoint",
                             r.base + ".safetensors"};
  for (const std::string &s : o.sets)
    a.insert(a.end(), {"--set", s});
  for (size_t k = 0; k < grids.size(); ++k)
    a.insert(a.end(), {"--set", grids[k].name + "=" + r.point[k]});
  for (const std::string &i : o.includes)
    a.push_back("-I" + i);
  auto add = [&](const char *flag, std::optional<int64_t> v) {
    if (v)
      a.insert(a.end(), {flag, std::to_string(*v)});
  };
  add("--epochs", o.epochs);
  add("--limit", o.limit);
  add("--folds", o.folds);
  if (r.seed)
    a.insert(a.end(), {"--seed", std::to_string(*r.seed)});
  a.insert(a.end(), {"--threads", std::to_string(o.threads)});
  if (!o.precision.empty())
    a.insert(a.end(), {"--precision", o.precision});
  return a;
}

/// The validation metrics of a finished run, from its metrics file.
bool readResults(Run &r, std::string &why) {
  std::ifstream in(r.base + ".jsonl");
  std::map<std::string, double> last;
  for (std::string line; std::getline(in, line);) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object())
      continue;
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string &key = it.key();
      if (!it->is_number())
        continue;
      double v = it->get<double>();
      llvm::StringRef k(key);
      if (j.contains("cv") && k.consume_back("_mean"))
        r.metrics[k.str()] = v;
      else if (j.contains("cv") && k.consume_back("_std"))
        r.stds[k.str()] = v;
      else if (j.contains("epoch") && !j.contains("fold") &&
               key.rfind("val_", 0) == 0)
        last[key] = v;
      else if (j.contains("final") && !j.contains("fold") &&
               key.rfind("test_", 0) == 0)
        last[key] = v;
    }
  }
  if (r.metrics.empty())
    r.metrics = last;
  if (r.metrics.empty())
    why = "its metrics file has no validation (add 'validate on DATA' to the "
          "train block, or --folds K)";
  return !r.metrics.empty();
}

std::string lastLines(const std::string &path, size_t n) {
  auto buf = llvm::MemoryBuffer::getFile(path);
  if (!buf)
    return "";
  llvm::StringRef text = (*buf)->getBuffer().rtrim();
  size_t at = text.size();
  for (size_t k = 0; k < n && at != llvm::StringRef::npos && at > 0; ++k)
    at = text.rfind('\n', at - 1);
  return text.substr(at == llvm::StringRef::npos ? 0 : at + 1).str();
}

/// The monitored metric is one the runs report (checked on the first
/// run that finishes, not after the whole sweep).
bool checkMonitor(const Run &r, DiagnosticEngine &diags) {
  std::string monitor = monitorOpt;
  if (monitor.empty() || r.metrics.count(monitor))
    return true;
  std::string known;
  for (auto &[m, v] : r.metrics)
    known += (known.empty() ? "" : ", ") + m;
  diags.error("--monitor " + monitor + ": the runs have no such metric (they "
              "have " + known + ")");
  return false;
}

/// Runs every child, --jobs at a time; false after the first failure.
bool runAll(const char *self, const SweepOptions &o,
            const std::vector<Grid> &grids, std::vector<Run> &runs,
            DiagnosticEngine &diags) {
  size_t next = 0, done = 0;
  std::vector<Run *> running;
  bool failed = false;
  while (done < runs.size() && !(failed && running.empty())) {
    while (!failed && next < runs.size() && running.size() < jobsOpt) {
      Run &r = runs[next++];
      // A sweep run again into the same folder starts its files afresh.
      for (const char *ext : {".log", ".jsonl", ".safetensors",
                              ".best.safetensors", ".oof.csv"})
        llvm::sys::fs::remove(r.base + ext);
      std::vector<std::string> args = childArgs(self, o, grids, r);
      std::vector<llvm::StringRef> refs(args.begin(), args.end());
      std::string log = r.base + ".log";
      std::optional<llvm::StringRef> redirects[] = {std::nullopt, log, log};
      std::string err;
      r.start = std::chrono::steady_clock::now();
      r.process = llvm::sys::ExecuteNoWait(self, refs, std::nullopt, redirects,
                                           0, &err);
      if (r.process.Pid == llvm::sys::ProcessInfo::InvalidPid) {
        diags.error("cannot start '" + std::string(self) + "': " + err);
        return false;
      }
      running.push_back(&r);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (size_t k = 0; k < running.size();) {
      Run &r = *running[k];
      llvm::sys::ProcessInfo st = llvm::sys::Wait(r.process, 0u);
      if (st.Pid == 0) { // still running
        ++k;
        continue;
      }
      running.erase(running.begin() + long(k));
      ++done;
      r.seconds = std::chrono::duration<double>(
                      std::chrono::steady_clock::now() - r.start)
                      .count();
      std::string why;
      if (st.ReturnCode != 0 || !readResults(r, why)) {
        if (why.empty())
          why = "it exited with code " + std::to_string(st.ReturnCode);
        diags.error("sweep point " + pointText(grids, r) + " failed: " + why +
                    "; its log, " + r.base + ".log, ends with:\n" +
                    lastLines(r.base + ".log", 6));
        failed = true;
        continue;
      }
      if (!checkMonitor(r, diags)) {
        failed = true;
        continue;
      }
      llvm::outs() << "[" << done << "/" << runs.size() << "] "
                   << llvm::sys::path::filename(r.base) << " "
                   << pointText(grids, r) << ":";
      for (auto &[m, v] : r.metrics)
        llvm::outs() << "  " << m << " " << llvm::format("%.4f", v);
      llvm::outs() << llvm::format("  (%.1f s)\n", r.seconds);
      llvm::outs().flush();
    }
  }
  return !failed;
}

bool higherIsBetter(const std::string &m) {
  llvm::StringRef s(m);
  return !(s.ends_with("loss") || s.ends_with("mse") || s.ends_with("mae"));
}

std::string cell(double v) {
  if (!std::isfinite(v))
    return "";
  char b[32];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

/// The CSV (one row per point: its values, mean and std of each metric,
/// seconds), the table on stdout and the best point.
bool summarize(const std::vector<Grid> &grids, const std::vector<Run> &runs,
               const std::string &output, DiagnosticEngine &diags) {
  std::vector<std::string> metrics;
  for (auto &[m, v] : runs.front().metrics)
    metrics.push_back(m);
  std::string monitor = monitorOpt;
  if (monitor.empty())
    monitor = runs.front().metrics.count("val_accuracy") ? "val_accuracy"
                                                         : "val_loss";
  if (!runs.front().metrics.count(monitor)) {
    std::string known;
    for (const std::string &m : metrics)
      known += (known.empty() ? "" : ", ") + m;
    diags.error("--monitor " + monitor +
                ": the runs have no such metric "
                "(they have " +
                known + ")");
    return false;
  }
  std::error_code ec;
  llvm::raw_fd_ostream csv(output, ec);
  if (ec) {
    diags.error("cannot write '" + output + "': " + ec.message());
    return false;
  }
  for (const Grid &g : grids)
    csv << g.name << ",";
  for (const std::string &m : metrics)
    csv << m << "_mean," << m << "_std,";
  csv << "runs,seconds\n";
  size_t per = seedsOpt, best = 0;
  double bestValue = NAN, bestStd = NAN;
  bool higher = higherIsBetter(monitor);
  for (size_t p = 0; p * per < runs.size(); ++p) {
    const Run &first = runs[p * per];
    for (const std::string &v : first.point)
      csv << v << ",";
    double seconds = 0;
    for (size_t k = 0; k < per; ++k)
      seconds += runs[p * per + k].seconds;
    llvm::outs() << (p ? "" : "\n");
    std::string line;
    for (size_t k = 0; k < grids.size(); ++k)
      line += (k ? " " : "") + grids[k].name + "=" + first.point[k];
    llvm::outs() << llvm::format("%-28s", line.c_str());
    for (const std::string &m : metrics) {
      double mean = 0, var = 0, sd = NAN;
      for (size_t k = 0; k < per; ++k)
        mean += runs[p * per + k].metrics.at(m) / double(per);
      for (size_t k = 0; k < per; ++k)
        var += std::pow(runs[p * per + k].metrics.at(m) - mean, 2);
      if (per > 1)
        sd = std::sqrt(var / double(per - 1));
      else if (first.stds.count(m))
        sd = first.stds.at(m);
      csv << cell(mean) << "," << cell(sd) << ",";
      llvm::outs() << "  " << m << " " << llvm::format("%.4f", mean);
      if (std::isfinite(sd))
        llvm::outs() << " ± " << llvm::format("%.4f", sd);
      if (m == monitor && (std::isnan(bestValue) ||
                           (higher ? mean > bestValue : mean < bestValue))) {
        bestValue = mean;
        bestStd = sd;
        best = p;
      }
    }
    csv << per << "," << cell(seconds) << "\n";
    llvm::outs() << "\n";
  }
  std::string bestText;
  for (size_t k = 0; k < grids.size(); ++k)
    bestText +=
        (k ? " " : "") + grids[k].name + "=" + runs[best * per].point[k];
  llvm::outs() << "best: " << bestText << " (" << monitor << " "
               << llvm::format("%.4f", bestValue);
  if (std::isfinite(bestStd))
    llvm::outs() << " ± " << llvm::format("%.4f", bestStd);
  llvm::outs() << "); results in " << output << "\n";
  return true;
}

} // namespace

int nnc::runSweep(const char *argv0, const SweepOptions &o,
                  DiagnosticEngine &diags) {
  std::vector<Grid> grids;
  if (!parseGrids(grids, diags))
    return 1;
  if (jobsOpt == 0 || seedsOpt == 0) {
    diags.error("--jobs and --seeds must be positive");
    return 1;
  }
  std::string self = llvm::sys::fs::getMainExecutable(argv0, (void *)&runSweep);
  std::string output = o.output.empty() ? "sweep.csv" : o.output;
  llvm::SmallString<256> dir(output);
  llvm::sys::path::replace_extension(dir, ".runs");
  if (std::error_code ec = llvm::sys::fs::create_directories(dir)) {
    diags.error("cannot create '" + dir.str().str() + "': " + ec.message());
    return 1;
  }
  // Every combination, the first grid outermost; each with its seeds.
  std::vector<std::vector<std::string>> points{{}};
  for (const Grid &g : grids) {
    std::vector<std::vector<std::string>> more;
    for (const auto &p : points)
      for (const std::string &v : g.values) {
        more.push_back(p);
        more.back().push_back(v);
      }
    points = std::move(more);
  }
  std::vector<Run> runs;
  for (const auto &p : points)
    for (unsigned s = 0; s < seedsOpt; ++s) {
      Run r;
      r.point = p;
      if (seedsOpt > 1 || o.seed)
        r.seed = o.seed.value_or(1) + s;
      r.base = (dir + "/run" + llvm::Twine(runs.size() + 1)).str();
      runs.push_back(r);
    }
  llvm::outs() << "sweep: " << points.size()
               << (points.size() == 1 ? " point" : " points")
               << (seedsOpt > 1 ? " x " + std::to_string(seedsOpt) + " seeds"
                                : std::string())
               << ", " << jobsOpt << " at a time; runs in " << dir << "/\n";
  if (!runAll(self.c_str(), o, grids, runs, diags))
    return 1;
  return summarize(grids, runs, output, diags) ? 0 : 1;
}
