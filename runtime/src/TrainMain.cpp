//===- TrainMain.cpp - The command line of a built training executable ----===//
//
// `nnc build --train -o prog` links a main that hands its argv here:
// --epochs, --batch, --limit, --seed, --checkpoint, --resume,
// --metrics-out, --folds, --oof and --no-progress override the train block's
// settings before nnc_train runs (Train.cpp). Errors print the usage and exit
// 2, like the nnc driver's.
//
//===----------------------------------------------------------------------===//
#include "Numbers.h"
#include "TrainArgs.h"
#include "nnc/runtime.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string>

nnc::rt::TrainArgs nnc::rt::parseTrainArgs(int argc, char **argv,
                                           nnc_train_config &cfg,
                                           std::string &why) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--no-progress") {
      cfg.progress = 0;
      continue;
    }
    if (arg == "--sync-bn") {
      cfg.sync_batch_norm = 1;
      continue;
    }
    if (arg == "--help" || arg == "-h")
      return TrainArgs::Help;
    static const char *const valued[] = {
        "--epochs", "--batch",       "--limit", "--seed", "--checkpoint",
        "--resume", "--metrics-out", "--folds", "--oof"};
    if (std::find_if(std::begin(valued), std::end(valued), [&](const char *v) {
          return arg == v;
        }) == std::end(valued)) {
      why = "unknown option '" + arg + "'";
      return TrainArgs::Invalid;
    }
    if (i + 1 >= argc) {
      why = "'" + arg + "' needs a value";
      return TrainArgs::Invalid;
    }
    const char *value = argv[++i];
    int64_t n = 0;
    bool number = nnc::rt::parseInt(value, n, /*allowSign=*/false) && n > 0;
    if (arg == "--epochs" || arg == "--batch" || arg == "--limit") {
      if (!number) {
        why = arg + " takes a positive integer up to " +
              std::to_string(INT64_MAX) + ", not '" + value + "'";
        return TrainArgs::Invalid;
      }
      (arg == "--epochs"  ? cfg.epochs
       : arg == "--batch" ? cfg.batch
                          : cfg.limit) = n;
    } else if (arg == "--seed") {
      uint64_t seed = 0;
      if (!nnc::rt::parseUInt(value, seed)) {
        why = std::string("--seed takes an integer from 0 to ") +
              std::to_string(UINT64_MAX) + ", not '" + value + "'";
        return TrainArgs::Invalid;
      }
      cfg.seed = seed;
    } else if (arg == "--checkpoint") {
      cfg.checkpoint = value;
    } else if (arg == "--resume") {
      cfg.resume = value;
    } else if (arg == "--folds") {
      if (!number || n < 2 || n > 100) {
        why = std::string("--folds takes a number of folds from 2 to 100, "
                          "not '") +
              value + "'";
        return TrainArgs::Invalid;
      }
      cfg.folds = n;
    } else if (arg == "--oof") {
      cfg.oof_out = value;
    } else {
      cfg.metrics_out = value; // --metrics-out
    }
  }
  return TrainArgs::Train;
}

extern "C" int nnc_train_main(const nnc_model *train_step,
                              const nnc_model *eval_step, nnc_train_config *cfg,
                              int argc, char **argv) {
  // Data-parallel training: only rank 0 of an MPI job prints.
  if (nnc_mpi_launch_rank() != 0 && !std::freopen("/dev/null", "w", stdout))
    return 1;
  std::string why;
  nnc::rt::TrainArgs parsed = nnc::rt::parseTrainArgs(argc, argv, *cfg, why);
  if (parsed != nnc::rt::TrainArgs::Train) {
    bool help = parsed == nnc::rt::TrainArgs::Help;
    if (!help)
      std::fprintf(stderr, "%s: error: %s\n", argv[0], why.c_str());
    std::fprintf(help ? stdout : stderr,
                 "usage: %s [--epochs E] [--batch B] [--seed S] "
                 "[--checkpoint FILE] [--resume FILE] [--metrics-out FILE] "
                 "[--limit N] [--folds K] [--oof FILE] [--no-progress] "
                 "[--sync-bn]\n"
                 "Trains model %s as its train block says (epochs %lld, "
                 "batch %lld).\n"
                 "Under mpirun -np N it trains data-parallel: batch B per "
                 "rank, N*B per step (--sync-bn: average batch-norm "
                 "statistics over the ranks).\n",
                 argv[0], train_step->name, (long long)cfg->epochs,
                 (long long)cfg->batch);
    return help ? 0 : 1; // exit codes: docs/cli.md
  }
  int rc = nnc_train(train_step, eval_step, cfg);
  if (rc < 0) {
    std::fprintf(stderr, "%s: error: %s\n", argv[0], nnc_last_error());
    return 1;
  }
  return rc;
}
