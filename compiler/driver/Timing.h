//===- Timing.h - Where compile time goes (--timing) ------------*- C++ -*-===//
//
// `--timing` prints, at exit, a tree of wall and user times per stage of
// compilation (front end, MLIRGen, autodiff, each pass, the compile cache,
// LLVM's optimiser, code generation). No MLIR header here.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_DRIVER_TIMING_H
#define NNC_DRIVER_TIMING_H

namespace mlir {
class PassManager;
}

namespace nnc {

/// Starts timing (--timing); the report goes to stderr when nnc exits.
void enableTiming();

/// Whether MLIR's own flag asked for it (--mlir-timing, hidden).
bool timingRequestedByMLIRFlags();

/// Times its lifetime as a stage (nested in the enclosing StageTimer)
/// while timing is on; does nothing otherwise.
class StageTimer {
public:
  explicit StageTimer(const char *name);
  ~StageTimer();
  StageTimer(const StageTimer &) = delete;
  StageTimer &operator=(const StageTimer &) = delete;

private:
  bool active = false;
};

/// Times each pass of `pm` inside the current stage, if timing is on.
void timePasses(mlir::PassManager &pm);

} // namespace nnc

#endif // NNC_DRIVER_TIMING_H
