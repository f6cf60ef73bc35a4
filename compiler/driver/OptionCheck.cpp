//===- OptionCheck.cpp - Options given to the wrong subcommand ------------===//
//
// See OptionCheck.h.
//
//===----------------------------------------------------------------------===//
#include "driver/OptionCheck.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;
using llvm::StringRef;

namespace {
bool takes(cl::SubCommand &sub, StringRef name) {
  return cl::getRegisteredOptions(sub).count(name) != 0;
}
} // namespace

bool nnc::checkSubcommandOptions(int argc, char **argv) {
  if (argc < 2)
    return true;
  cl::SubCommand *sub = nullptr;
  llvm::SmallVector<cl::SubCommand *> others;
  for (cl::SubCommand *s : cl::getRegisteredSubcommands()) {
    if (s->getName().empty())
      continue;
    if (s->getName() == argv[1])
      sub = s;
    else
      others.push_back(s);
  }
  if (!sub)
    return true;
  llvm::sort(others, [](cl::SubCommand *a, cl::SubCommand *b) {
    return a->getName() < b->getName();
  });
  for (int i = 2; i < argc; ++i) {
    StringRef arg = argv[i];
    if (arg == "--")
      break;
    if (!arg.starts_with("-"))
      continue;
    StringRef name = arg.ltrim('-').split('=').first;
    if (name.empty() || takes(*sub, name))
      continue;
    std::string where;
    int count = 0;
    for (cl::SubCommand *s : others)
      if (takes(*s, name))
        where += (count++ ? ", nnc " : "nnc ") + s->getName().str();
    if (!count)
      continue; // unknown everywhere: llvm::cl's own message and guess
    llvm::errs() << "nnc: error: nnc " << sub->getName() << " has no option --"
                 << name << " (" << where << (count > 1 ? " take" : " takes")
                 << " it); see 'nnc " << sub->getName() << " --help'\n";
    return false;
  }
  return true;
}
