//===- TrainArgs.h - A training executable's command line -------*- C++ -*-===//
//
// Internal to the runtime: the parser behind nnc_train_main, separate from
// training so that the libFuzzer target test/fuzz/TrainArgsFuzzer.cpp can
// throw arbitrary argument vectors at it.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_RUNTIME_TRAINARGS_H
#define NNC_RUNTIME_TRAINARGS_H

#include "nnc/runtime.h"

#include <string>

namespace nnc::rt {

enum class TrainArgs { Train, Help, Invalid };

/// Applies argv[1..argc) (--epochs, --batch, --limit, --seed, --checkpoint,
/// --resume, --metrics-out, --folds, --oof, --no-progress) to `cfg`. Invalid:
/// `why` says what is wrong; `cfg` may be partly changed. Path options point
/// into argv.
TrainArgs parseTrainArgs(int argc, char **argv, nnc_train_config &cfg,
                         std::string &why);

} // namespace nnc::rt

#endif // NNC_RUNTIME_TRAINARGS_H
