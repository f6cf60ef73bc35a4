//===- Token.h - Tokens of the .nn language ---------------------*- C++ -*-===//
//
// A token is a kind, the slice of the source buffer it covers and a flag
// saying whether it starts a line. The parser uses that flag to end
// statements at line breaks without a separate NEWLINE token.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LEXER_TOKEN_H
#define NNC_LEXER_TOKEN_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"

namespace nnc {

/// Every token kind. Keywords are reserved words; train-block clause names
/// (`batch`, `epochs`, ...) are contextual and lex as identifiers.
enum class TokenKind {
#define TOK(NAME, SPELLING) NAME,
#include "lexer/TokenKinds.def"
};

/// Human-readable spelling of a kind, for diagnostics and `--emit=tokens`.
llvm::StringRef tokenKindName(TokenKind kind);

/// One lexed token; `text` points into the source buffer.
struct Token {
  TokenKind kind = TokenKind::Eof;
  llvm::StringRef text;
  bool atLineStart = false;

  bool is(TokenKind k) const { return kind == k; }
  llvm::SMLoc loc() const { return llvm::SMLoc::getFromPointer(text.data()); }
  llvm::SMLoc endLoc() const {
    return llvm::SMLoc::getFromPointer(text.data() + text.size());
  }
};

} // namespace nnc

#endif // NNC_LEXER_TOKEN_H
