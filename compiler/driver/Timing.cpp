//===- Timing.cpp - Where compile time goes (--timing) --------------------===//
//
// MLIR's DefaultTimingManager, with one scope per StageTimer on a stack;
// pass managers nest their per-pass timers in the innermost stage. The
// manager prints its tree when it is destroyed, at exit.
//
//===----------------------------------------------------------------------===//
#include "driver/Timing.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"

#include <memory>
#include <vector>

using namespace nnc;

namespace {
struct Timers {
  mlir::DefaultTimingManager manager;
  std::vector<mlir::TimingScope> stack; ///< destroyed before the manager
  Timers() {
    manager.setEnabled(true);
    manager.setDisplayMode(mlir::DefaultTimingManager::DisplayMode::Tree);
    stack.push_back(manager.getRootScope());
  }
  ~Timers() {
    while (!stack.empty())
      stack.pop_back();
  }
};

std::unique_ptr<Timers> &timers() {
  static std::unique_ptr<Timers> t;
  return t;
}
} // namespace

bool nnc::timingRequestedByMLIRFlags() {
  mlir::DefaultTimingManager probe;
  mlir::applyDefaultTimingManagerCLOptions(probe);
  bool requested = probe.isEnabled();
  probe.setEnabled(false); // no report of its own
  return requested;
}

void nnc::enableTiming() {
  if (!timers())
    timers() = std::make_unique<Timers>();
}

StageTimer::StageTimer(const char *name) {
  auto &t = timers();
  if (!t)
    return;
  active = true;
  t->stack.push_back(t->stack.back().nest(name));
}

StageTimer::~StageTimer() {
  if (active && timers())
    timers()->stack.pop_back();
}

void nnc::timePasses(mlir::PassManager &pm) {
  if (auto &t = timers())
    pm.enableTiming(t->stack.back());
}
