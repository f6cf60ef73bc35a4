//===- Lexer.cpp - Lexer for the .nn language -----------------------------===//
//
// Hand-written, one pass over the buffer. Comments start with `#` and run
// to the end of the line. Identifiers are ASCII; UTF-8 is accepted inside
// strings and comments only, and invalid UTF-8 anywhere is an error.
//
//===----------------------------------------------------------------------===//
#include "lexer/Lexer.h"
#include "support/Diagnostics.h"

#include "llvm/ADT/StringSwitch.h"

using namespace nnc;

llvm::StringRef nnc::tokenKindName(TokenKind kind) {
  switch (kind) {
#define TOK(NAME, SPELLING)                                                    \
  case TokenKind::NAME:                                                        \
    return SPELLING;
#include "lexer/TokenKinds.def"
  }
  return "token";
}

Lexer::Lexer(llvm::StringRef buffer, DiagnosticEngine &diags)
    : cur(buffer.begin()), end(buffer.end()), diags(diags) {}

static bool isIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static bool isDigit(char c) { return c >= '0' && c <= '9'; }
static bool isIdentChar(char c) { return isIdentStart(c) || isDigit(c); }

Token Lexer::make(TokenKind kind, const char *start) {
  Token t;
  t.kind = kind;
  t.text = llvm::StringRef(start, cur - start);
  t.atLineStart = sawNewline;
  sawNewline = false;
  return t;
}

bool Lexer::skipUtf8(bool report) {
  auto byte = static_cast<unsigned char>(*cur);
  unsigned len = byte >= 0xF0 && byte <= 0xF4   ? 4
                 : byte >= 0xE0 && byte <= 0xEF ? 3
                 : byte >= 0xC2 && byte <= 0xDF ? 2
                                                : 0;
  bool ok = len != 0 && cur + len <= end;
  for (unsigned i = 1; ok && i < len; ++i)
    ok = (static_cast<unsigned char>(cur[i]) & 0xC0) == 0x80;
  if (!ok) {
    if (report)
      diags.error(llvm::SMLoc::getFromPointer(cur),
                  "invalid UTF-8 byte sequence in source file");
    ++cur;
    return false;
  }
  cur += len;
  return true;
}

void Lexer::skipTrivia() {
  while (cur < end) {
    char c = *cur;
    if (c == '\n') {
      sawNewline = true;
      ++cur;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      ++cur;
    } else if (c == '#') {
      while (cur < end && *cur != '\n') {
        if (static_cast<unsigned char>(*cur) >= 0x80)
          skipUtf8(/*report=*/true);
        else
          ++cur;
      }
    } else {
      return;
    }
  }
}

Token Lexer::next() {
  skipTrivia();
  const char *start = cur;
  if (cur >= end)
    return make(TokenKind::Eof, start);
  char c = *cur;
  if (isIdentStart(c))
    return lexIdentifier(start);
  if (isDigit(c) || (c == '.' && cur + 1 < end && isDigit(cur[1])))
    return lexNumber(start);
  if (c == '"')
    return lexString(start);
  return lexOperator(start);
}

Token Lexer::lexIdentifier(const char *start) {
  while (cur < end && isIdentChar(*cur))
    ++cur;
  llvm::StringRef word(start, cur - start);
  TokenKind kind = llvm::StringSwitch<TokenKind>(word)
#define KEYWORD(NAME, WORD) .Case(WORD, TokenKind::NAME)
#include "lexer/TokenKinds.def"
                       .Default(TokenKind::Ident);
  return make(kind, start);
}

Token Lexer::lexNumber(const char *start) {
  bool isFloat = false;
  auto digits = [&] {
    while (cur < end && (isDigit(*cur) || *cur == '_'))
      ++cur;
  };
  digits();
  // `0..10` is a range: a '.' followed by '.' is not a decimal point.
  if (cur < end && *cur == '.' && !(cur + 1 < end && cur[1] == '.')) {
    isFloat = true;
    ++cur;
    digits();
  }
  if (cur < end && (*cur == 'e' || *cur == 'E')) {
    const char *save = cur++;
    if (cur < end && (*cur == '+' || *cur == '-'))
      ++cur;
    if (cur < end && isDigit(*cur)) {
      isFloat = true;
      digits();
    } else {
      cur = save;
    }
  }
  if (cur < end && isIdentStart(*cur)) {
    while (cur < end && isIdentChar(*cur))
      ++cur;
    diags.error(llvm::SMLoc::getFromPointer(start),
                "invalid number '" + llvm::StringRef(start, cur - start) + "'");
    return make(TokenKind::Error, start);
  }
  return make(isFloat ? TokenKind::Float : TokenKind::Int, start);
}

Token Lexer::lexString(const char *start) {
  ++cur; // opening quote
  while (cur < end && *cur != '"' && *cur != '\n') {
    if (*cur == '\\' && cur + 1 < end && cur[1] != '\n') {
      cur += 2;
    } else if (static_cast<unsigned char>(*cur) >= 0x80) {
      skipUtf8(/*report=*/true);
    } else {
      ++cur;
    }
  }
  if (cur >= end || *cur != '"') {
    diags.error(llvm::SMLoc::getFromPointer(start),
                "unterminated string literal; expected a closing '\"' "
                "before the end of the line");
    return make(TokenKind::Error, start);
  }
  ++cur;
  return make(TokenKind::String, start);
}

Token Lexer::lexOperator(const char *start) {
  struct Op {
    const char *text;
    TokenKind kind;
  };
  static const Op ops[] = {
      {"...", TokenKind::Ellipsis}, {"..", TokenKind::DotDot},
      {"->", TokenKind::Arrow},     {"|>", TokenKind::Pipe},
      {"**", TokenKind::StarStar},  {"==", TokenKind::EqEq},
      {"!=", TokenKind::NotEq},     {"<=", TokenKind::LessEq},
      {">=", TokenKind::GreaterEq}, {"&&", TokenKind::AndAnd},
      {"||", TokenKind::OrOr},      {"(", TokenKind::LParen},
      {")", TokenKind::RParen},     {"[", TokenKind::LBracket},
      {"]", TokenKind::RBracket},   {"{", TokenKind::LBrace},
      {"}", TokenKind::RBrace},     {",", TokenKind::Comma},
      {":", TokenKind::Colon},      {";", TokenKind::Semi},
      {".", TokenKind::Dot},        {"=", TokenKind::Assign},
      {"+", TokenKind::Plus},       {"-", TokenKind::Minus},
      {"*", TokenKind::Star},       {"/", TokenKind::Slash},
      {"%", TokenKind::Percent},    {"@", TokenKind::At},
      {"<", TokenKind::Less},       {">", TokenKind::Greater},
      {"!", TokenKind::Bang}};
  llvm::StringRef rest(cur, end - cur);
  for (const Op &op : ops) {
    if (rest.starts_with(op.text)) {
      cur += llvm::StringRef(op.text).size();
      return make(op.kind, start);
    }
  }
  auto byte = static_cast<unsigned char>(*cur);
  if (byte >= 0x80) {
    if (skipUtf8(/*report=*/true))
      diags.error(llvm::SMLoc::getFromPointer(start),
                  "unexpected non-ASCII character; identifiers and operators "
                  "are ASCII (text is allowed in strings and comments)");
    return make(TokenKind::Error, start);
  }
  ++cur;
  if (byte < 0x20 || byte == 0x7F)
    diags.error(llvm::SMLoc::getFromPointer(start),
                llvm::Twine("unexpected control byte 0x") +
                    llvm::Twine::utohexstr(byte) + " in source file");
  else
    diags.error(llvm::SMLoc::getFromPointer(start),
                "unexpected character '" + llvm::StringRef(start, 1) + "'");
  return make(TokenKind::Error, start);
}
