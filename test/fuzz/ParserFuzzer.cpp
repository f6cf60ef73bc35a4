//===- ParserFuzzer.cpp - libFuzzer target for the lexer and parser -------===//
//
// Feeds arbitrary bytes to the lexer and parser (quiet diagnostics) and
// dumps the resulting AST, which walks every node that was built. Any
// crash, ASan report or timeout is a bug. Build and run: docs/testing.md.
//
//===----------------------------------------------------------------------===//
#include "ast/AST.h"
#include "parser/Parser.h"
#include "support/Diagnostics.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  llvm::SourceMgr sm;
  sm.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(text, "fuzz.nn"),
                        llvm::SMLoc());
  nnc::DiagnosticEngine diags(sm);
  diags.setQuiet(true);
  auto module =
      nnc::parseBuffer(sm.getMemoryBuffer(1)->getBuffer(), "fuzz.nn", diags);
  std::string dump;
  llvm::raw_string_ostream os(dump);
  nnc::dumpAST(*module, sm, os);
  return 0;
}
