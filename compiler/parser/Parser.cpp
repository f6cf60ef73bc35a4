//===- Parser.cpp - Declarations and statements of .nn --------------------===//
//
// The top of the recursive-descent parser: the token stream helpers, error
// recovery, declarations (`use`, `layer`, `model`, `fn`, `optimizer`,
// `train`, `main`, top-level `let`) and statements. Expressions live in
// ParserExpr.cpp.
//
//===----------------------------------------------------------------------===//
#include "parser/Parser.h"
#include "support/Diagnostics.h"

using namespace nnc;

Parser::Parser(llvm::StringRef buffer, llvm::StringRef path,
               DiagnosticEngine &diags)
    : lexer(buffer, diags), diags(diags), path(path.str()),
      bufferStart(buffer.data()) {
  tok = lexer.next();
  prevEnd = tok.loc();
}

Parser::DepthGuard::DepthGuard(Parser &p) : p(p) {
  ++p.depth;
  ok = !p.tooDeep(0);
}

bool Parser::tooDeep(unsigned extra) {
  if (depth + extra <= kMaxDepth)
    return false;
  if (!depthReported) {
    depthReported = true;
    diags.error(tok.loc(), llvm::Twine("nesting is too deep (more than ") +
                               llvm::Twine(kMaxDepth) +
                               " levels of brackets, blocks or operators)");
  }
  return true;
}

const Token &Parser::peek(unsigned ahead) {
  if (ahead == 0)
    return tok;
  while (lookahead.size() < ahead)
    lookahead.push_back(lexer.next());
  return lookahead[ahead - 1];
}

Token Parser::advance() {
  Token prev = tok;
  prevEnd = prev.endLoc();
  if (!lookahead.empty()) {
    tok = lookahead.front();
    lookahead.pop_front();
  } else if (!tok.is(TokenKind::Eof)) {
    tok = lexer.next();
  }
  return prev;
}

bool Parser::consumeIf(TokenKind kind) {
  if (!tok.is(kind))
    return false;
  advance();
  return true;
}

void Parser::errorAtToken(const llvm::Twine &msg) {
  if (tok.is(TokenKind::Error))
    return;                   // the lexer already explained this token
  if (tok.is(TokenKind::Eof)) // point just after the last token
    return diags.error(prevEnd, msg);
  diags.error(tok.loc(), msg, {tok.loc(), tok.endLoc()});
}

static std::string describe(const Token &t) {
  switch (t.kind) {
  case TokenKind::Eof:
    return "end of file";
  case TokenKind::Ident:
  case TokenKind::Int:
  case TokenKind::Float:
  case TokenKind::String:
    return "'" + t.text.substr(0, 40).str() + "'";
  default:
    return "'" + tokenKindName(t.kind).str() + "'";
  }
}

bool Parser::expect(TokenKind kind, llvm::StringRef context) {
  if (consumeIf(kind))
    return true;
  errorAtToken("expected '" + tokenKindName(kind) + "' " + context +
               ", found " + describe(tok));
  return false;
}

bool Parser::expectClosing(TokenKind kind, const Token &open) {
  if (consumeIf(kind))
    return true;
  if (!tok.is(TokenKind::Error)) {
    diags.error(tok.loc(), "expected '" + tokenKindName(kind) +
                               "' to close the '" + open.text + "', found " +
                               describe(tok));
    diags.note(open.loc(), "the '" + open.text + "' opened here");
  }
  return false;
}

llvm::SMRange Parser::rangeFrom(llvm::SMLoc start) const {
  return {start, prevEnd};
}

std::optional<Ident> Parser::parseIdent(llvm::StringRef context) {
  if (!tok.is(TokenKind::Ident)) {
    if (tok.kind >= TokenKind::KwUse && tok.kind <= TokenKind::KwOn)
      errorAtToken("expected " + context + ", found the keyword '" + tok.text +
                   "' (keywords cannot be used as names)");
    else
      errorAtToken("expected " + context + ", found " + describe(tok));
    return std::nullopt;
  }
  Token t = advance();
  return Ident{t.text.str(), {t.loc(), t.endLoc()}};
}

void Parser::syncStatement() {
  int nest = 0;
  while (!tok.is(TokenKind::Eof)) {
    if (nest == 0 && (tok.is(TokenKind::Semi))) {
      advance();
      return;
    }
    if (nest == 0 && tok.is(TokenKind::RBrace))
      return;
    if (tok.is(TokenKind::LParen) || tok.is(TokenKind::LBracket) ||
        tok.is(TokenKind::LBrace))
      ++nest;
    else if (tok.is(TokenKind::RParen) || tok.is(TokenKind::RBracket) ||
             tok.is(TokenKind::RBrace))
      nest = nest > 0 ? nest - 1 : 0;
    advance();
    if (nest == 0 && tok.atLineStart)
      return;
  }
}

static bool isTopLevelKeyword(TokenKind k) {
  switch (k) {
  case TokenKind::KwUse:
  case TokenKind::KwModel:
  case TokenKind::KwLayer:
  case TokenKind::KwFn:
  case TokenKind::KwOptimizer:
  case TokenKind::KwTrain:
  case TokenKind::KwMain:
    return true;
  default:
    return false;
  }
}

/// A token in the first column (top-level `let` is only recognised there,
/// so recovery does not stop at a `let` inside a broken body).
static bool inFirstColumn(const Token &t, const char *bufferStart) {
  return t.text.data() == bufferStart || t.text.data()[-1] == '\n';
}

void Parser::syncTopLevel() {
  advance();
  while (!tok.is(TokenKind::Eof) &&
         !(tok.atLineStart && isTopLevelKeyword(tok.kind)) &&
         !(tok.is(TokenKind::KwLet) && inFirstColumn(tok, bufferStart)))
    advance();
}

bool Parser::atStatementEnd() {
  return tok.atLineStart || tok.is(TokenKind::Semi) ||
         tok.is(TokenKind::RBrace) || tok.is(TokenKind::Eof);
}

void Parser::endStatement() {
  if (consumeIf(TokenKind::Semi) || atStatementEnd())
    return;
  errorAtToken("expected a new line or ';' after the statement, found " +
               describe(tok));
  syncStatement();
}

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

std::unique_ptr<Module> Parser::parseModule() {
  auto m = std::make_unique<Module>();
  m->path = path;
  while (!tok.is(TokenKind::Eof) && !diags.tooMany()) {
    unsigned errorsBefore = diags.errorCount();
    const char *at = tok.text.data();
    switch (tok.kind) {
    case TokenKind::KwUse:
      parseUse(*m);
      break;
    case TokenKind::KwModel:
    case TokenKind::KwLayer:
    case TokenKind::KwFn:
    case TokenKind::KwOptimizer:
      if (auto c = parseCallable())
        m->callables.push_back(std::move(c));
      break;
    case TokenKind::KwTrain:
      if (auto t = parseTrain())
        m->trains.push_back(std::move(t));
      break;
    case TokenKind::KwMain: {
      llvm::SMLoc start = advance().loc();
      Block b;
      if (m->mainBlock) {
        diags.error(start, "a file has at most one 'main' block");
      }
      if (parseBlock(b, "the main block"))
        m->mainBlock = std::move(b);
      m->mainRange = rangeFrom(start);
      break;
    }
    case TokenKind::KwLet: {
      llvm::SMLoc start = advance().loc();
      auto name = parseIdent("a constant name after 'let'");
      if (name && expect(TokenKind::Assign, "after the constant name")) {
        if (ExprPtr v = parseExpr()) {
          m->consts.push_back({*name, std::move(v), rangeFrom(start)});
          endStatement();
        }
      }
      break;
    }
    default:
      errorAtToken("expected a declaration (use, model, layer, fn, "
                   "optimizer, train, main or let), found " +
                   describe(tok));
      syncTopLevel();
      continue;
    }
    // After an error, skip to the next declaration unless the broken one
    // ended cleanly at a line break.
    if (diags.errorCount() != errorsBefore && !tok.atLineStart &&
        !tok.is(TokenKind::Eof))
      syncTopLevel();
    if (tok.text.data() == at) // always make progress
      advance();
  }
  return m;
}

void Parser::parseUse(Module &m) {
  advance(); // use
  do {
    UseDecl use;
    llvm::SMLoc start = tok.loc();
    do {
      auto part = parseIdent("a module name after 'use'");
      if (!part)
        return;
      use.path.push_back(*part);
    } while (consumeIf(TokenKind::Dot));
    use.range = rangeFrom(start);
    m.uses.push_back(std::move(use));
  } while (consumeIf(TokenKind::Comma));
  endStatement();
}

/// Parses `(a: T = v, ...)`; reports whether any entry has a tensor type.
bool Parser::parseParamList(std::vector<ParamDecl> &out, bool &anyTensor) {
  Token open = advance(); // (
  anyTensor = false;
  while (!tok.is(TokenKind::RParen)) {
    ParamDecl p;
    auto name = parseIdent("a parameter name");
    if (!name)
      return false;
    p.name = *name;
    if (consumeIf(TokenKind::Colon)) {
      p.type = parseType();
      if (!p.type)
        return false;
      // Tensors (shaped, tuples, or scalar f32/f64/i32/i64) make the list
      // an input list; int/float/bool/string are hyper-parameter kinds.
      llvm::StringRef n = p.type->name.name;
      anyTensor |= p.type->hasShape || p.type->isTuple() ||
                   llvm::is_contained({"f32", "f64", "i32", "i64"}, n);
    }
    if (consumeIf(TokenKind::Assign)) {
      p.defaultValue = parseExpr();
      if (!p.defaultValue)
        return false;
    }
    out.push_back(std::move(p));
    if (!consumeIf(TokenKind::Comma))
      break;
  }
  return expectClosing(TokenKind::RParen, open);
}

std::unique_ptr<CallableDecl> Parser::parseCallable() {
  auto decl = std::make_unique<CallableDecl>();
  Token kw = advance();
  decl->kind = kw.is(TokenKind::KwModel)   ? CallableDecl::Model
               : kw.is(TokenKind::KwLayer) ? CallableDecl::Layer
               : kw.is(TokenKind::KwFn)    ? CallableDecl::Fn
                                           : CallableDecl::Optimizer;
  auto name = parseIdent("a name after '" + kw.text.str() + "'");
  if (!name)
    return nullptr;
  decl->name = *name;
  std::vector<std::vector<ParamDecl>> lists;
  std::vector<bool> tensorLists;
  while (tok.is(TokenKind::LParen) && lists.size() < 2) {
    lists.emplace_back();
    bool anyTensor = false;
    if (!parseParamList(lists.back(), anyTensor))
      return nullptr;
    tensorLists.push_back(anyTensor);
  }
  if (lists.size() == 2) {
    decl->hparams = std::move(lists[0]);
    decl->hasHParamList = true;
    decl->inputs = std::move(lists[1]);
  } else if (lists.size() == 1) {
    // One list: a model's list is hyper-parameters; a layer's or fn's list
    // is inputs when it names a tensor type.
    bool inputs = decl->kind != CallableDecl::Model &&
                  decl->kind != CallableDecl::Optimizer && tensorLists[0];
    (inputs ? decl->inputs : decl->hparams) = std::move(lists[0]);
    decl->hasHParamList = !inputs;
  }
  if (consumeIf(TokenKind::Arrow)) {
    decl->result = parseType();
    if (!decl->result)
      return nullptr;
  }
  if (!parseBlock(decl->body, "the body of '" + decl->name.name + "'"))
    return nullptr;
  decl->range = rangeFrom(kw.loc());
  return decl;
}

bool Parser::parseBraced(llvm::StringRef what,
                         llvm::function_ref<bool()> item) {
  if (!tok.is(TokenKind::LBrace)) {
    errorAtToken("expected '{' to start " + what + ", found " + describe(tok));
    return false;
  }
  Token open = advance();
  while (!tok.is(TokenKind::RBrace) && !tok.is(TokenKind::Eof) &&
         !diags.tooMany()) {
    if (consumeIf(TokenKind::Semi))
      continue;
    if (isTopLevelKeyword(tok.kind) && tok.atLineStart &&
        !tok.is(TokenKind::KwOptimizer))
      break; // a missing '}' is reported below
    unsigned before = diags.errorCount();
    const char *at = tok.text.data();
    bool ok = item();
    if ((!ok || diags.errorCount() != before) && !atStatementEnd())
      syncStatement();
    if (tok.text.data() == at) // always make progress
      advance();
    if (depthReported)
      return false;
  }
  return expectClosing(TokenKind::RBrace, open);
}

Block Parser::parseStatements() {
  Block out;
  while (!tok.is(TokenKind::Eof) && !diags.tooMany()) {
    if (consumeIf(TokenKind::Semi))
      continue;
    unsigned before = diags.errorCount();
    const char *at = tok.text.data();
    if (tok.is(TokenKind::RBrace)) {
      errorAtToken("unexpected '}' (no block is open)");
      advance();
      continue;
    }
    if (StmtPtr s = parseStatement())
      out.push_back(std::move(s));
    if (diags.errorCount() != before && !atStatementEnd())
      syncStatement();
    if (tok.text.data() == at) // always make progress
      advance();
  }
  return out;
}

bool Parser::parseBlock(Block &out, llvm::StringRef what) {
  DepthGuard guard(*this);
  if (!guard.ok)
    return false;
  return parseBraced(what, [&] {
    StmtPtr s = parseStatement();
    if (!s)
      return false;
    out.push_back(std::move(s));
    return true;
  });
}

//===----------------------------------------------------------------------===//
// Train blocks
//===----------------------------------------------------------------------===//

std::unique_ptr<TrainDecl> Parser::parseTrain() {
  auto train = std::make_unique<TrainDecl>();
  llvm::SMLoc start = advance().loc(); // train
  if (!tok.is(TokenKind::KwOn)) {
    train->model = parseExpr();
    if (!train->model)
      return nullptr;
  }
  if (!expect(TokenKind::KwOn, "before the training data set"))
    return nullptr;
  train->dataset = parseExpr();
  if (!train->dataset)
    return nullptr;
  if (!parseBraced("the train block", [&] { return parseTrainClause(*train); }))
    return nullptr;
  train->range = rangeFrom(start);
  return train;
}

bool Parser::parseTrainClause(TrainDecl &train) {
  if (tok.is(TokenKind::KwLet)) {
    if (StmtPtr s = parseLet()) {
      train.setup.push_back(std::move(s));
      return true;
    }
    return false;
  }
  if (tok.is(TokenKind::KwStep)) {
    llvm::SMLoc loc = advance().loc();
    if (train.step)
      diags.error(loc, "a train block has at most one 'step' block");
    Block b;
    if (!parseBlock(b, "the step block"))
      return false;
    train.step = std::move(b);
    return true;
  }
  TrainClause clause;
  llvm::SMLoc start = tok.loc();
  if (tok.is(TokenKind::KwOptimizer)) {
    Token t = advance();
    clause.keyword = {t.text.str(), {t.loc(), t.endLoc()}};
  } else {
    auto kw = parseIdent("a train clause (batch, epochs, shuffle, loss, "
                         "optimizer, metrics, validate, checkpoint, "
                         "schedule, ...)");
    if (!kw)
      return false;
    clause.keyword = *kw;
  }
  // `optimizer g_opt = adam(...)`, `schedule lr = cosine(...)`.
  if (tok.is(TokenKind::Ident) && peek(1).is(TokenKind::Assign) &&
      !peek(1).atLineStart) {
    clause.binding = parseIdent("a name");
    advance(); // =
  }
  if (clause.keyword.name == "resample") { // `resample by weight`
    if (!tok.is(TokenKind::Ident) || tok.text != "by") {
      errorAtToken("expected 'by' after 'resample' ('resample by OUTPUT'), "
                   "found " +
                   describe(tok));
      return false;
    }
    advance();
  }
  if (clause.keyword.name == "validate" && consumeIf(TokenKind::KwOn)) {
    clause.on = parseExpr();
    if (!clause.on)
      return false;
  }
  while (!atStatementEnd()) {
    if (tok.is(TokenKind::KwOver)) {
      advance();
      clause.over = parseExpr();
      if (!clause.over)
        return false;
      continue;
    }
    if (clause.on && clause.values.empty() && tok.is(TokenKind::Ident) &&
        tok.text == "every")
      advance(); // `validate on ds every 2`
    ExprPtr v = parseExpr();
    if (!v)
      return false;
    clause.values.push_back(std::move(v));
    if (!consumeIf(TokenKind::Comma) && !atStatementEnd() &&
        !tok.is(TokenKind::KwOver)) {
      errorAtToken("expected ',' or a new line in the '" + clause.keyword.name +
                   "' clause, found " + describe(tok));
      return false;
    }
  }
  consumeIf(TokenKind::Semi);
  clause.range = rangeFrom(start);
  train.clauses.push_back(std::move(clause));
  return true;
}

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

StmtPtr Parser::parseStatement() {
  llvm::SMLoc start = tok.loc();
  StmtPtr s;
  switch (tok.kind) {
  case TokenKind::KwLet:
    return parseLet();
  case TokenKind::KwParam:
    return parseVarDecl(Stmt::SK_Param);
  case TokenKind::KwState:
    return parseVarDecl(Stmt::SK_State);
  case TokenKind::KwFor:
    return parseFor();
  case TokenKind::KwRepeat:
    return parseRepeatStmt();
  case TokenKind::KwInput: {
    advance();
    auto name = parseIdent("an input name");
    if (!name || !expect(TokenKind::Colon, "after the input name"))
      return nullptr;
    auto type = parseType();
    if (!type)
      return nullptr;
    s = std::make_unique<InputStmt>(*name, std::move(*type), rangeFrom(start));
    endStatement();
    return s;
  }
  case TokenKind::KwOutput: {
    advance();
    auto name = parseIdent("an output name");
    if (!name || !expect(TokenKind::Assign, "after the output name"))
      return nullptr;
    ExprPtr v = parseExpr();
    if (!v)
      return nullptr;
    s = std::make_unique<OutputStmt>(*name, std::move(v), rangeFrom(start));
    endStatement();
    return s;
  }
  case TokenKind::KwYield: {
    advance();
    ExprPtr v = parseExpr();
    if (!v)
      return nullptr;
    s = std::make_unique<YieldStmt>(std::move(v), rangeFrom(start));
    endStatement();
    return s;
  }
  case TokenKind::KwIf: {
    ExprPtr e = parseIf();
    if (!e)
      return nullptr;
    std::unique_ptr<IfExpr> ie(llvm::cast<IfExpr>(e.release()));
    s = std::make_unique<IfStmt>(std::move(ie), rangeFrom(start));
    endStatement();
    return s;
  }
  case TokenKind::Ident:
    if (peek(1).is(TokenKind::Assign) && !peek(1).atLineStart) {
      Token n = advance();
      advance(); // =
      ExprPtr v = parseExpr();
      if (!v)
        return nullptr;
      s = std::make_unique<AssignStmt>(
          Ident{n.text.str(), {n.loc(), n.endLoc()}}, std::move(v),
          rangeFrom(start));
      endStatement();
      return s;
    }
    break;
  default:
    break;
  }
  ExprPtr e = parseExpr();
  if (!e)
    return nullptr;
  s = std::make_unique<ExprStmt>(std::move(e), rangeFrom(start));
  endStatement();
  return s;
}

StmtPtr Parser::parseLet() {
  llvm::SMLoc start = advance().loc(); // let
  auto let = std::make_unique<LetStmt>(llvm::SMRange{});
  if (tok.is(TokenKind::LParen)) {
    Token open = advance();
    let->destructure = true;
    do {
      auto n = parseIdent("a name in the destructuring pattern");
      if (!n)
        return nullptr;
      let->names.push_back(*n);
    } while (consumeIf(TokenKind::Comma));
    if (!expectClosing(TokenKind::RParen, open))
      return nullptr;
  } else {
    auto n = parseIdent("a name after 'let'");
    if (!n)
      return nullptr;
    let->names.push_back(*n);
  }
  if (consumeIf(TokenKind::Colon)) {
    let->type = parseType();
    if (!let->type)
      return nullptr;
  }
  if (!expect(TokenKind::Assign, "in the 'let' binding"))
    return nullptr;
  let->value = parseExpr();
  if (!let->value)
    return nullptr;
  // `from` is a word only here: `let m = Mlp() from "m.safetensors"`.
  if (tok.is(TokenKind::Ident) && tok.text == "from" && !tok.atLineStart) {
    advance();
    let->checkpoint = parseExpr();
    if (!let->checkpoint)
      return nullptr;
  }
  auto *raw = let.release();
  StmtPtr s(new LetStmt(rangeFrom(start)));
  auto *out = llvm::cast<LetStmt>(s.get());
  out->names = std::move(raw->names);
  out->destructure = raw->destructure;
  out->type = std::move(raw->type);
  out->value = std::move(raw->value);
  out->checkpoint = std::move(raw->checkpoint);
  delete raw;
  endStatement();
  return s;
}

StmtPtr Parser::parseVarDecl(Stmt::Kind kind) {
  Token kw = advance();
  auto decl = std::make_unique<VarDeclStmt>(kind, llvm::SMRange{});
  auto name = parseIdent("a name after '" + kw.text.str() + "'");
  if (!name)
    return nullptr;
  decl->name = *name;
  if (consumeIf(TokenKind::Colon)) {
    decl->type = parseType();
    if (!decl->type)
      return nullptr;
  }
  if (consumeIf(TokenKind::Assign)) {
    decl->init = parseExpr();
    if (!decl->init)
      return nullptr;
  }
  auto s = std::make_unique<VarDeclStmt>(kind, rangeFrom(kw.loc()));
  s->name = std::move(decl->name);
  s->type = std::move(decl->type);
  s->init = std::move(decl->init);
  endStatement();
  return s;
}

StmtPtr Parser::parseFor() {
  llvm::SMLoc start = advance().loc(); // for
  auto var = parseIdent("a loop variable after 'for'");
  if (!var || !expect(TokenKind::KwIn, "after the loop variable"))
    return nullptr;
  llvm::SMLoc rstart = tok.loc();
  ExprPtr lo = parseExpr();
  if (!lo || !expect(TokenKind::DotDot, "in the loop range 'lo..hi'"))
    return nullptr;
  ExprPtr hi = parseExpr();
  if (!hi)
    return nullptr;
  auto range = std::make_unique<RangeExpr>(std::move(lo), std::move(hi),
                                           rangeFrom(rstart));
  Block body;
  if (!parseBlock(body, "the loop body"))
    return nullptr;
  auto s = std::make_unique<ForStmt>(rangeFrom(start));
  s->var = *var;
  s->range = std::move(range);
  s->body = std::move(body);
  return s;
}

StmtPtr Parser::parseRepeatStmt() {
  llvm::SMLoc start = advance().loc(); // repeat
  ExprPtr count = parseExpr();
  if (!count)
    return nullptr;
  std::optional<Ident> var;
  if (tok.is(TokenKind::Ident) && tok.text == "as") {
    advance();
    var = parseIdent("a counter name after 'as'");
    if (!var)
      return nullptr;
  }
  Block body;
  if (!parseBlock(body, "the repeat body"))
    return nullptr;
  auto s = std::make_unique<RepeatStmt>(rangeFrom(start));
  s->count = std::move(count);
  s->var = std::move(var);
  s->body = std::move(body);
  return s;
}

std::unique_ptr<Module> nnc::parseBuffer(llvm::StringRef buffer,
                                         llvm::StringRef path,
                                         DiagnosticEngine &diags) {
  Parser p(buffer, path, diags);
  return p.parseModule();
}
