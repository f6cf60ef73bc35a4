//===- ParserExpr.cpp - Expressions and types of .nn ----------------------===//
//
// Precedence climbing over binary operators, from loosest to tightest:
//   |>   ||   &&   == != < <= > >=   + -   * / % @   unary - !   **
// then postfix call / index / member. A line break ends an expression
// unless the next line starts with a binary operator other than '-' (so a
// pipeline can be written one stage per line with a leading `|>`); calls
// and subscripts must start on the line of their callee.
//
//===----------------------------------------------------------------------===//
#include "parser/Parser.h"
#include "support/Diagnostics.h"

#include "llvm/ADT/StringExtras.h"

#include <cmath>

using namespace nnc;

namespace {
struct OpInfo {
  unsigned prec;
  bool isPipe;
  BinOp op;
};

/// Binary operator info for a token, or prec 0 if it is not one.
OpInfo binaryInfo(TokenKind k) {
  switch (k) {
  case TokenKind::Pipe:
    return {1, true, BinOp::Add};
  case TokenKind::OrOr:
    return {2, false, BinOp::Or};
  case TokenKind::AndAnd:
    return {3, false, BinOp::And};
  case TokenKind::EqEq:
    return {4, false, BinOp::Eq};
  case TokenKind::NotEq:
    return {4, false, BinOp::Ne};
  case TokenKind::Less:
    return {4, false, BinOp::Lt};
  case TokenKind::LessEq:
    return {4, false, BinOp::Le};
  case TokenKind::Greater:
    return {4, false, BinOp::Gt};
  case TokenKind::GreaterEq:
    return {4, false, BinOp::Ge};
  case TokenKind::Plus:
    return {5, false, BinOp::Add};
  case TokenKind::Minus:
    return {5, false, BinOp::Sub};
  case TokenKind::Star:
    return {6, false, BinOp::Mul};
  case TokenKind::Slash:
    return {6, false, BinOp::Div};
  case TokenKind::Percent:
    return {6, false, BinOp::Mod};
  case TokenKind::At:
    return {6, false, BinOp::MatMul};
  default:
    return {0, false, BinOp::Add};
  }
}
} // namespace

llvm::StringRef nnc::binOpSpelling(BinOp op) {
  static const char *names[] = {"+",  "-", "*",  "/", "%",  "@",  "**", "==",
                                "!=", "<", "<=", ">", ">=", "&&", "||"};
  return names[static_cast<int>(op)];
}

ExprPtr Parser::parseExpr() { return parseBinary(1); }

ExprPtr Parser::parseWholeExpr() {
  ExprPtr e = parseExpr();
  if (e && !peek().is(TokenKind::Eof)) {
    errorAtToken("expected the end of the expression");
    return nullptr;
  }
  return e;
}

ExprPtr Parser::parseBinary(unsigned minPrec) {
  DepthGuard guard(*this);
  if (!guard.ok)
    return nullptr;
  ExprPtr lhs = parseUnary();
  if (!lhs)
    return nullptr;
  unsigned chain = 0;
  while (true) {
    OpInfo info = binaryInfo(tok.kind);
    if (info.prec == 0 || info.prec < minPrec)
      break;
    if (tok.atLineStart && tok.is(TokenKind::Minus))
      break; // `-x` on a new line starts a new statement
    // A left-leaning chain nests as deeply as brackets do.
    if (tooDeep(++chain))
      return nullptr;
    Token opTok = advance();
    ExprPtr rhs = parseBinary(info.prec + 1);
    if (!rhs)
      return nullptr;
    llvm::SMRange r{lhs->getLoc(), prevEnd};
    if (info.isPipe) {
      lhs = std::make_unique<PipeExpr>(std::move(lhs), std::move(rhs), r);
    } else {
      auto b = std::make_unique<BinaryExpr>(info.op, std::move(lhs),
                                            std::move(rhs), r);
      b->opLoc = opTok.loc();
      lhs = std::move(b);
    }
  }
  return lhs;
}

ExprPtr Parser::parseUnary() {
  if (tok.is(TokenKind::Minus) || tok.is(TokenKind::Bang)) {
    DepthGuard guard(*this);
    if (!guard.ok)
      return nullptr;
    Token op = advance();
    ExprPtr operand = parseUnary();
    if (!operand)
      return nullptr;
    return std::make_unique<UnaryExpr>(op.text[0], std::move(operand),
                                       rangeFrom(op.loc()));
  }
  return parsePower();
}

ExprPtr Parser::parsePower() {
  ExprPtr base = parsePrimary();
  if (!base)
    return nullptr;
  base = parsePostfix(std::move(base));
  if (!base || !tok.is(TokenKind::StarStar))
    return base;
  DepthGuard guard(*this);
  if (!guard.ok)
    return nullptr;
  Token op = advance();
  ExprPtr exp = parseUnary(); // right-associative
  if (!exp)
    return nullptr;
  auto b = std::make_unique<BinaryExpr>(BinOp::Pow, std::move(base),
                                        std::move(exp), llvm::SMRange{});
  b->opLoc = op.loc();
  llvm::SMRange r{b->lhs->getLoc(), prevEnd};
  auto out = std::make_unique<BinaryExpr>(BinOp::Pow, std::move(b->lhs),
                                          std::move(b->rhs), r);
  out->opLoc = op.loc();
  return out;
}

ExprPtr Parser::parsePostfix(ExprPtr base) {
  unsigned chain = 0;
  while (base) {
    if (tok.is(TokenKind::LParen) && !tok.atLineStart) {
      if (tooDeep(++chain))
        return nullptr;
      std::vector<Arg> args;
      if (!parseArgs(args))
        return nullptr;
      llvm::SMRange r{base->getLoc(), prevEnd};
      base = std::make_unique<CallExpr>(std::move(base), std::move(args), r);
    } else if (tok.is(TokenKind::LBracket) && !tok.atLineStart) {
      if (tooDeep(++chain))
        return nullptr;
      std::vector<IndexItem> items;
      if (!parseIndexItems(items))
        return nullptr;
      llvm::SMRange r{base->getLoc(), prevEnd};
      base = std::make_unique<IndexExpr>(std::move(base), std::move(items), r);
    } else if (tok.is(TokenKind::Dot)) {
      if (tooDeep(++chain))
        return nullptr;
      advance();
      auto member = parseIdent("a member name after '.'");
      if (!member)
        return nullptr;
      llvm::SMRange r{base->getLoc(), prevEnd};
      base = std::make_unique<MemberExpr>(std::move(base), *member, r);
    } else {
      break;
    }
  }
  return base;
}

bool Parser::parseArgs(std::vector<Arg> &args) {
  DepthGuard guard(*this);
  if (!guard.ok)
    return false;
  Token open = advance(); // (
  while (!tok.is(TokenKind::RParen)) {
    Arg a;
    if (tok.is(TokenKind::Ident) && peek(1).is(TokenKind::Colon)) {
      Token n = advance();
      advance(); // :
      a.name = Ident{n.text.str(), {n.loc(), n.endLoc()}};
    }
    a.value = parseExpr();
    if (!a.value)
      return false;
    args.push_back(std::move(a));
    if (!consumeIf(TokenKind::Comma))
      break;
  }
  return expectClosing(TokenKind::RParen, open);
}

bool Parser::parseIndexItems(std::vector<IndexItem> &items) {
  DepthGuard guard(*this);
  if (!guard.ok)
    return false;
  Token open = advance(); // [
  while (!tok.is(TokenKind::RBracket)) {
    IndexItem item;
    llvm::SMLoc start = tok.loc();
    if (consumeIf(TokenKind::Ellipsis)) {
      item.isEllipsis = true;
    } else {
      if (!tok.is(TokenKind::Colon)) {
        item.start = parseExpr();
        if (!item.start)
          return false;
      }
      if (consumeIf(TokenKind::Colon)) {
        item.isSlice = true;
        if (!tok.is(TokenKind::Colon) && !tok.is(TokenKind::Comma) &&
            !tok.is(TokenKind::RBracket)) {
          item.stop = parseExpr();
          if (!item.stop)
            return false;
        }
        if (consumeIf(TokenKind::Colon)) {
          item.stride = parseExpr();
          if (!item.stride)
            return false;
        }
      }
    }
    item.range = rangeFrom(start);
    items.push_back(std::move(item));
    if (!consumeIf(TokenKind::Comma))
      break;
  }
  return expectClosing(TokenKind::RBracket, open);
}

/// Decodes the escapes of a string literal token (quotes included).
static bool unescape(llvm::StringRef text, std::string &out, size_t &badAt) {
  llvm::StringRef body = text.drop_front().drop_back();
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    char e = body[++i];
    switch (e) {
    case 'n':
      out.push_back('\n');
      break;
    case 't':
      out.push_back('\t');
      break;
    case '\\':
      out.push_back('\\');
      break;
    case '"':
      out.push_back('"');
      break;
    default:
      badAt = i;
      return false;
    }
  }
  return true;
}

ExprPtr Parser::parsePrimary() {
  DepthGuard guard(*this);
  if (!guard.ok)
    return nullptr;
  Token t = tok;
  llvm::SMRange r{t.loc(), t.endLoc()};
  switch (t.kind) {
  case TokenKind::Int: {
    advance();
    std::string digits = t.text.str();
    llvm::erase(digits, '_');
    uint64_t v = 0;
    if (llvm::StringRef(digits).getAsInteger(10, v) || v > INT64_MAX) {
      diags.error(t.loc(),
                  "integer literal '" + t.text +
                      "' is too large "
                      "(the limit is 2^63-1)",
                  r);
      return nullptr;
    }
    return std::make_unique<IntExpr>(static_cast<int64_t>(v), r);
  }
  case TokenKind::Float: {
    advance();
    std::string digits = t.text.str();
    llvm::erase(digits, '_');
    double v = std::strtod(digits.c_str(), nullptr);
    if (!std::isfinite(v)) {
      diags.error(t.loc(),
                  "float literal '" + t.text +
                      "' is too large (the limit is about 1.8e308)",
                  r);
      return nullptr;
    }
    return std::make_unique<FloatExpr>(v, r);
  }
  case TokenKind::String: {
    advance();
    std::string s;
    size_t badAt = 0;
    if (!unescape(t.text, s, badAt)) {
      diags.error(llvm::SMLoc::getFromPointer(t.text.data() + badAt),
                  "unknown escape sequence in string (use \\n, \\t, \\\\ or "
                  "\\\")");
      return nullptr;
    }
    return std::make_unique<StringExpr>(std::move(s), r);
  }
  case TokenKind::KwTrue:
  case TokenKind::KwFalse:
    advance();
    return std::make_unique<BoolExpr>(t.is(TokenKind::KwTrue), r);
  case TokenKind::Ident:
  case TokenKind::KwStep:   // `step` is a name outside train blocks
  case TokenKind::KwOutput: // a model's unnamed result, in train blocks
    advance();
    return std::make_unique<NameExpr>(t.text.str(), r);
  case TokenKind::KwIf:
    return parseIf();
  case TokenKind::KwScan:
    return parseScan();
  case TokenKind::KwRepeat:
    return parseRepeatExpr();
  case TokenKind::LParen: {
    Token open = advance();
    std::vector<ExprPtr> elts;
    bool trailingComma = false;
    while (!tok.is(TokenKind::RParen)) {
      ExprPtr e = parseExpr();
      if (!e)
        return nullptr;
      elts.push_back(std::move(e));
      trailingComma = consumeIf(TokenKind::Comma);
      if (!trailingComma)
        break;
    }
    if (!expectClosing(TokenKind::RParen, open))
      return nullptr;
    if (elts.size() == 1 && !trailingComma)
      return std::move(elts[0]);
    if (elts.empty()) {
      diags.error(open.loc(), "empty parentheses '()' are not a value");
      return nullptr;
    }
    return std::make_unique<TupleExpr>(std::move(elts), rangeFrom(open.loc()));
  }
  case TokenKind::LBracket: {
    Token open = advance();
    std::vector<ExprPtr> elts;
    while (!tok.is(TokenKind::RBracket)) {
      ExprPtr e = parseExpr();
      if (!e)
        return nullptr;
      elts.push_back(std::move(e));
      if (!consumeIf(TokenKind::Comma))
        break;
    }
    if (!expectClosing(TokenKind::RBracket, open))
      return nullptr;
    return std::make_unique<ListExpr>(std::move(elts), rangeFrom(open.loc()));
  }
  case TokenKind::Error:
    advance();
    return nullptr;
  default:
    errorAtToken("expected an expression, found " +
                 (t.is(TokenKind::Eof)
                      ? std::string("end of file")
                      : "'" + t.text.substr(0, 40).str() + "'"));
    return nullptr;
  }
}

ExprPtr Parser::parseIf() {
  llvm::SMLoc start = advance().loc(); // if
  auto e = std::make_unique<IfExpr>(llvm::SMRange{});
  e->cond = parseExpr();
  if (!e->cond || !parseBlock(e->thenBlock, "the 'if' branch"))
    return nullptr;
  if (consumeIf(TokenKind::KwElse)) {
    e->hasElse = true;
    if (tok.is(TokenKind::KwIf)) {
      llvm::SMLoc nestedStart = tok.loc();
      ExprPtr nested = parseIf();
      if (!nested)
        return nullptr;
      std::unique_ptr<IfExpr> ie(llvm::cast<IfExpr>(nested.release()));
      e->elseBlock.push_back(
          std::make_unique<IfStmt>(std::move(ie), rangeFrom(nestedStart)));
    } else if (!parseBlock(e->elseBlock, "the 'else' branch")) {
      return nullptr;
    }
  }
  auto out = std::make_unique<IfExpr>(rangeFrom(start));
  out->cond = std::move(e->cond);
  out->thenBlock = std::move(e->thenBlock);
  out->elseBlock = std::move(e->elseBlock);
  out->hasElse = e->hasElse;
  return out;
}

ExprPtr Parser::parseScan() {
  llvm::SMLoc start = advance().loc(); // scan
  auto s = std::make_unique<ScanExpr>(llvm::SMRange{});
  auto var = parseIdent("the name of the per-step slice after 'scan'");
  if (!var || !expect(TokenKind::KwIn, "after the scan variable"))
    return nullptr;
  s->var = *var;
  s->sequence = parseExpr();
  if (!s->sequence)
    return nullptr;
  if (tok.is(TokenKind::Ident) && tok.text == "axis") {
    advance();
    s->axis = parseExpr();
    if (!s->axis)
      return nullptr;
  }
  if (consumeIf(TokenKind::KwCarry)) {
    Token open = tok;
    if (!expect(TokenKind::LParen, "after 'carry'"))
      return nullptr;
    do {
      CarryBinding c;
      auto n = parseIdent("a carried variable name");
      if (!n || !expect(TokenKind::Assign, "after the carried variable"))
        return nullptr;
      c.name = *n;
      c.init = parseExpr();
      if (!c.init)
        return nullptr;
      s->carries.push_back(std::move(c));
    } while (consumeIf(TokenKind::Comma));
    if (!expectClosing(TokenKind::RParen, open))
      return nullptr;
  }
  if (!parseBlock(s->body, "the scan body"))
    return nullptr;
  auto out = std::make_unique<ScanExpr>(rangeFrom(start));
  out->var = std::move(s->var);
  out->sequence = std::move(s->sequence);
  out->axis = std::move(s->axis);
  out->carries = std::move(s->carries);
  out->body = std::move(s->body);
  return out;
}

ExprPtr Parser::parseRepeatExpr() {
  llvm::SMLoc start = advance().loc(); // repeat
  ExprPtr count = parseExpr();
  if (!count)
    return nullptr;
  if (!tok.is(TokenKind::LBrace)) {
    errorAtToken("expected '{' after the repeat count");
    return nullptr;
  }
  Token open = advance();
  ExprPtr stages = parseExpr();
  if (!stages || !expectClosing(TokenKind::RBrace, open))
    return nullptr;
  return std::make_unique<RepeatExpr>(std::move(count), std::move(stages),
                                      rangeFrom(start));
}

std::optional<TypeExpr> Parser::parseType() {
  DepthGuard guard(*this);
  if (!guard.ok)
    return std::nullopt;
  TypeExpr t;
  llvm::SMLoc start = tok.loc();
  if (tok.is(TokenKind::LParen)) {
    Token open = advance();
    do {
      auto e = parseType();
      if (!e)
        return std::nullopt;
      t.elements.push_back(std::move(*e));
    } while (consumeIf(TokenKind::Comma));
    if (!expectClosing(TokenKind::RParen, open))
      return std::nullopt;
    t.range = rangeFrom(start);
    return t;
  }
  auto name = parseIdent("a type (f32, f64, i32, i64, bool, int, float, "
                         "string)");
  if (!name)
    return std::nullopt;
  t.name = *name;
  if (tok.is(TokenKind::LBracket) && !tok.atLineStart) {
    Token open = advance();
    t.hasShape = true;
    while (!tok.is(TokenKind::RBracket)) {
      DimExpr d;
      llvm::SMLoc dstart = tok.loc();
      if (!consumeIf(TokenKind::Ellipsis)) {
        d.expr = parseExpr();
        if (!d.expr)
          return std::nullopt;
      }
      d.range = rangeFrom(dstart);
      t.dims.push_back(std::move(d));
      if (!consumeIf(TokenKind::Comma))
        break;
    }
    if (!expectClosing(TokenKind::RBracket, open))
      return std::nullopt;
  }
  t.range = rangeFrom(start);
  return t;
}
