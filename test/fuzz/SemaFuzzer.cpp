//===- SemaFuzzer.cpp - libFuzzer target for the whole front end ----------===//
//
// Runs the complete check (parse, module loading with the real stdlib,
// elaboration, train blocks) on arbitrary input. The input is written to a
// per-process temporary file because sema loads programs by path.
//
//===----------------------------------------------------------------------===//
#include "sema/Sema.h"
#include "support/Diagnostics.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <unistd.h>

static std::string tempPath() {
  return "/tmp/nnc-sema-fuzz-" + std::to_string(getpid()) + ".nn";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static std::vector<std::string> paths =
      nnc::defaultSearchPaths("nnc-sema-fuzzer", (void *)&tempPath);
  std::string path = tempPath();
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    if (ec)
      return 0;
    os.write(reinterpret_cast<const char *>(data), size);
  }
  llvm::SourceMgr sm;
  nnc::DiagnosticEngine diags(sm);
  diags.setQuiet(true);
  nnc::SemaOptions opts;
  opts.searchPaths = paths;
  (void)nnc::checkFile(path, opts, sm, diags);
  return 0;
}
