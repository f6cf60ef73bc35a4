//===- OptionCheck.h - Options given to the wrong subcommand -----*- C++
//-*-===//
//
// llvm::cl rejects an option a subcommand lacks with "Unknown command line
// argument" and a guess among that subcommand's own options (`nnc check
// --target=cuda`: "did you mean '--set=cuda'?"). When another subcommand
// takes the option, nnc says that instead.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_DRIVER_OPTIONCHECK_H
#define NNC_DRIVER_OPTIONCHECK_H

namespace nnc {

/// False, after one error line on stderr, when argv names a subcommand and
/// gives it an option that only other subcommands take. True otherwise
/// (llvm::cl then reports anything else wrong).
bool checkSubcommandOptions(int argc, char **argv);

} // namespace nnc

#endif // NNC_DRIVER_OPTIONCHECK_H
