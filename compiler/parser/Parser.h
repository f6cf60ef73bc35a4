//===- Parser.h - Recursive-descent parser for .nn --------------*- C++ -*-===//
//
// Builds a Module AST from one buffer. On a syntax error the parser reports
// it, skips to the end of the statement (or the next declaration) and goes
// on, so one run shows several independent errors. Nesting depth is
// bounded so that pathological input (100k parentheses) gets an error, not
// a stack overflow.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_PARSER_PARSER_H
#define NNC_PARSER_PARSER_H

#include "ast/AST.h"
#include "lexer/Lexer.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/Twine.h"

#include <deque>

namespace nnc {

class Parser {
public:
  Parser(llvm::StringRef buffer, llvm::StringRef path, DiagnosticEngine &diags);

  /// Parses the whole buffer. Always returns a module; check the
  /// DiagnosticEngine for errors.
  std::unique_ptr<Module> parseModule();
  /// Parses the whole buffer as one expression (a command line's
  /// `--data fashion_mnist("test")`); null after a reported error.
  ExprPtr parseWholeExpr();
  /// Parses the whole buffer as the statements of a block without its
  /// braces (what `nnc repl` reads at its prompt). Check the
  /// DiagnosticEngine for errors.
  Block parseStatements();

  /// Deepest nesting of expressions and blocks accepted.
  static constexpr unsigned kMaxDepth = 256;

private:
  // Token stream.
  const Token &peek(unsigned ahead = 0);
  Token advance();
  bool consumeIf(TokenKind kind);
  bool expect(TokenKind kind, llvm::StringRef context);
  bool expectClosing(TokenKind kind, const Token &open);
  llvm::SMRange rangeFrom(llvm::SMLoc start) const;
  void errorAtToken(const llvm::Twine &msg);
  /// True (and reported once) if `extra` more levels exceed kMaxDepth.
  bool tooDeep(unsigned extra);
  /// Skips to the end of the current statement (balanced brackets).
  void syncStatement();
  /// Skips to the next top-level declaration keyword at a line start.
  void syncTopLevel();
  bool atStatementEnd();
  void endStatement();

  // Declarations.
  void parseUse(Module &m);
  std::unique_ptr<CallableDecl> parseCallable();
  bool parseParamList(std::vector<ParamDecl> &out, bool &anyTensor);
  std::unique_ptr<TrainDecl> parseTrain();
  bool parseTrainClause(TrainDecl &train);
  bool parseBlock(Block &out, llvm::StringRef what);
  /// `{ item* }` with error recovery; `item` returns false after a
  /// syntax error it reported.
  bool parseBraced(llvm::StringRef what, llvm::function_ref<bool()> item);

  // Statements.
  StmtPtr parseStatement();
  StmtPtr parseLet();
  StmtPtr parseVarDecl(Stmt::Kind kind);
  StmtPtr parseFor();
  StmtPtr parseRepeatStmt();

  // Expressions.
  ExprPtr parseExpr();
  ExprPtr parseBinary(unsigned minPrec);
  ExprPtr parseUnary();
  ExprPtr parsePower();
  ExprPtr parsePostfix(ExprPtr base);
  ExprPtr parsePrimary();
  ExprPtr parseIf();
  ExprPtr parseScan();
  ExprPtr parseRepeatExpr();
  bool parseArgs(std::vector<Arg> &args);
  bool parseIndexItems(std::vector<IndexItem> &items);
  std::optional<TypeExpr> parseType();
  std::optional<Ident> parseIdent(llvm::StringRef context);

  Lexer lexer;
  DiagnosticEngine &diags;
  std::string path;
  const char *bufferStart;
  std::deque<Token> lookahead;
  Token tok;           ///< current token
  llvm::SMLoc prevEnd; ///< end of the last consumed token
  unsigned depth = 0;
  bool depthReported = false;

  /// RAII nesting counter; reports once when the limit is hit.
  struct DepthGuard {
    Parser &p;
    bool ok;
    explicit DepthGuard(Parser &p);
    ~DepthGuard() { --p.depth; }
  };
};

/// Parses `buffer` into a module (convenience wrapper).
std::unique_ptr<Module> parseBuffer(llvm::StringRef buffer,
                                    llvm::StringRef path,
                                    DiagnosticEngine &diags);

} // namespace nnc

#endif // NNC_PARSER_PARSER_H
