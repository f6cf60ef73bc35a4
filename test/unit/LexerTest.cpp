//===- LexerTest.cpp - Unit tests of the lexer ----------------------------===//
#include "lexer/Lexer.h"
#include "support/Diagnostics.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <gtest/gtest.h>

using namespace nnc;

namespace {
struct Lexed {
  llvm::SourceMgr sm;
  DiagnosticEngine diags{sm};
  std::vector<Token> tokens;
  explicit Lexed(llvm::StringRef text) {
    sm.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(text, "t.nn"),
                          llvm::SMLoc());
    diags.setQuiet(true);
    diags.setMaxErrors(1000);
    Lexer lex(sm.getMemoryBuffer(1)->getBuffer(), diags);
    for (Token t = lex.next(); !t.is(TokenKind::Eof); t = lex.next())
      tokens.push_back(t);
  }
};
} // namespace

TEST(Lexer, KeywordsIdentifiersAndNumbers) {
  Lexed l("layer dense 1e-3 256 0.5 x_1");
  ASSERT_EQ(l.tokens.size(), 6u);
  EXPECT_EQ(l.tokens[0].kind, TokenKind::KwLayer);
  EXPECT_EQ(l.tokens[1].kind, TokenKind::Ident);
  EXPECT_EQ(l.tokens[2].kind, TokenKind::Float);
  EXPECT_EQ(l.tokens[3].kind, TokenKind::Int);
  EXPECT_EQ(l.tokens[4].kind, TokenKind::Float);
  EXPECT_EQ(l.tokens[5].text, "x_1");
  EXPECT_FALSE(l.diags.hadError());
}

TEST(Lexer, RangeIsNotADecimalPoint) {
  Lexed l("0..10");
  ASSERT_EQ(l.tokens.size(), 3u);
  EXPECT_EQ(l.tokens[0].kind, TokenKind::Int);
  EXPECT_EQ(l.tokens[1].kind, TokenKind::DotDot);
  EXPECT_EQ(l.tokens[2].kind, TokenKind::Int);
}

TEST(Lexer, LongestOperatorWins) {
  Lexed l("|> ... -> ** <= ==");
  std::vector<TokenKind> want = {TokenKind::Pipe,   TokenKind::Ellipsis,
                                 TokenKind::Arrow,  TokenKind::StarStar,
                                 TokenKind::LessEq, TokenKind::EqEq};
  ASSERT_EQ(l.tokens.size(), want.size());
  for (size_t k = 0; k < want.size(); ++k)
    EXPECT_EQ(l.tokens[k].kind, want[k]) << k;
}

TEST(Lexer, LineStartsAreMarked) {
  Lexed l("a\n  |> b # comment\nc");
  ASSERT_EQ(l.tokens.size(), 4u);
  EXPECT_TRUE(l.tokens[0].atLineStart);
  EXPECT_TRUE(l.tokens[1].atLineStart);
  EXPECT_FALSE(l.tokens[2].atLineStart);
  EXPECT_TRUE(l.tokens[3].atLineStart);
}

TEST(Lexer, ReportsBadInput) {
  Lexed l("\"abc\n$ \xff 12ab");
  EXPECT_EQ(l.diags.errorCount(), 4u);
}

TEST(Lexer, AcceptsUtf8InStringsAndComments) {
  Lexed l("\"h\xc3\xa9llo\" # caf\xc3\xa9\n");
  EXPECT_FALSE(l.diags.hadError());
  ASSERT_EQ(l.tokens.size(), 1u);
  EXPECT_EQ(l.tokens[0].kind, TokenKind::String);
}
