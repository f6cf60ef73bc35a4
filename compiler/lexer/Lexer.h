//===- Lexer.h - Lexer for the .nn language ---------------------*- C++ -*-===//
//
// Turns one source buffer into tokens on demand. Lexical errors (stray
// bytes, invalid UTF-8, unterminated strings or comments) are reported
// through the DiagnosticEngine and produce an Error token, so the parser can
// keep going and report more than one problem per file.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LEXER_LEXER_H
#define NNC_LEXER_LEXER_H

#include "lexer/Token.h"

namespace nnc {

class DiagnosticEngine;

/// Lexes a NUL-terminated buffer owned by the caller (an llvm::MemoryBuffer).
class Lexer {
public:
  Lexer(llvm::StringRef buffer, DiagnosticEngine &diags);

  /// Returns the next token; Eof forever once the end is reached.
  Token next();

private:
  Token make(TokenKind kind, const char *start);
  Token lexIdentifier(const char *start);
  Token lexNumber(const char *start);
  Token lexString(const char *start);
  Token lexOperator(const char *start);
  /// Skips spaces and comments; records whether a newline was crossed.
  void skipTrivia();
  /// Consumes one well-formed UTF-8 sequence at cur, or reports it.
  bool skipUtf8(bool report);

  const char *cur;
  const char *end;
  bool sawNewline = true;
  DiagnosticEngine &diags;
};

} // namespace nnc

#endif // NNC_LEXER_LEXER_H
