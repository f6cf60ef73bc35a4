//===- TrainArgsFuzzer.cpp - libFuzzer target for executables' options ---===//
//
// A training executable (`nnc build --train -o prog`) parses its command
// line with nnc::rt::parseTrainArgs. The input is split at NUL bytes into
// an argument vector; the parser must accept it or say why, and what it
// accepts must be in range (positive epochs, batch and limit). Seeds:
// test/fuzz/corpus/train-args; docs/testing.md.
//
//===----------------------------------------------------------------------===//
#include "../../runtime/src/TrainArgs.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::vector<std::string> words{"prog"};
  std::string word;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      words.push_back(word);
      word.clear();
    } else {
      word += char(data[i]);
    }
  }
  if (!word.empty())
    words.push_back(word);
  std::vector<char *> argv;
  for (std::string &w : words)
    argv.push_back(&w[0]);
  argv.push_back(nullptr);
  nnc_train_config cfg{};
  cfg.epochs = 1;
  cfg.batch = 1;
  std::string why;
  auto parsed =
      nnc::rt::parseTrainArgs(int(words.size()), argv.data(), cfg, why);
  if (parsed == nnc::rt::TrainArgs::Invalid ? why.empty()
                                            : (cfg.epochs <= 0 ||
                                               cfg.batch <= 0 || cfg.limit < 0))
    std::abort();
  return 0;
}
