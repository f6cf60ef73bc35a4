//===- ASTDump.cpp - Textual dump of the AST (--emit=ast) -----------------===//
//
// One node per line, indented by depth, each with its `line:col`. Types and
// short expressions are printed in source-like form so FileCheck lines in
// test/parser stay readable.
//
//===----------------------------------------------------------------------===//
#include "ast/AST.h"
#include "support/LineColumn.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace nnc;

std::string UseDecl::dotted() const {
  std::string s;
  for (const Ident &p : path) {
    if (!s.empty())
      s += ".";
    s += p.name;
  }
  return s;
}

namespace {
class Dumper {
public:
  Dumper(const llvm::SourceMgr &sm, llvm::raw_ostream &os)
      : lines(sm), os(os) {}

  void module(const Module &m);

private:
  /// One output line; the source location is appended when it ends.
  class Line {
  public:
    Line(Dumper &d, llvm::SMLoc loc) : d(d), loc(loc), os(text) {}
    Line(Line &&o) : d(o.d), loc(o.loc), text(std::move(o.text)), os(text) {
      o.moved = true;
    }
    ~Line();
    template <typename T> Line &operator<<(const T &v) {
      os << v;
      return *this;
    }

  private:
    Dumper &d;
    llvm::SMLoc loc;
    std::string text;
    llvm::raw_string_ostream os;
    bool moved = false;
  };
  Line line(llvm::SMLoc loc, llvm::StringRef label);
  std::string type(const TypeExpr &t);
  void expr(const Expr *e);
  void block(const Block &b);
  void stmt(const Stmt *s);
  void callable(const CallableDecl &c);
  void train(const TrainDecl &t);
  void args(const std::vector<Arg> &args);

  LineColumnTable lines;
  llvm::raw_ostream &os;
  unsigned indent = 0;
  struct Nest {
    Dumper &d;
    Nest(Dumper &d) : d(d) { d.indent += 2; }
    ~Nest() { d.indent -= 2; }
  };
};
} // namespace

Dumper::Line::~Line() {
  if (moved)
    return;
  d.os.indent(d.indent) << llvm::StringRef(text).rtrim();
  if (loc.isValid()) {
    auto lc = d.lines.get(loc);
    d.os << " <" << lc.first << ":" << lc.second << ">";
  }
  d.os << "\n";
}

Dumper::Line Dumper::line(llvm::SMLoc loc, llvm::StringRef label) {
  Line l(*this, loc);
  l << label;
  return l;
}

static void printTypeInline(const TypeExpr &t, llvm::raw_ostream &os);

static void printExprInline(const Expr *e, llvm::raw_ostream &os) {
  if (auto *i = llvm::dyn_cast<IntExpr>(e))
    os << i->value;
  else if (auto *f = llvm::dyn_cast<FloatExpr>(e))
    os << llvm::format("%g", f->value);
  else if (auto *n = llvm::dyn_cast<NameExpr>(e))
    os << n->name;
  else if (auto *b = llvm::dyn_cast<BinaryExpr>(e)) {
    os << "(";
    printExprInline(b->lhs.get(), os);
    os << " " << binOpSpelling(b->op) << " ";
    printExprInline(b->rhs.get(), os);
    os << ")";
  } else
    os << "<expr>";
}

static void printTypeInline(const TypeExpr &t, llvm::raw_ostream &os) {
  if (t.isTuple()) {
    os << "(";
    llvm::interleaveComma(t.elements, os,
                          [&](const TypeExpr &e) { printTypeInline(e, os); });
    os << ")";
    return;
  }
  os << t.name.name;
  if (!t.hasShape)
    return;
  os << "[";
  llvm::interleaveComma(t.dims, os, [&](const DimExpr &d) {
    if (d.isEllipsis())
      os << "...";
    else
      printExprInline(d.expr.get(), os);
  });
  os << "]";
}

std::string Dumper::type(const TypeExpr &t) {
  std::string s;
  llvm::raw_string_ostream out(s);
  printTypeInline(t, out);
  return s;
}

void Dumper::args(const std::vector<Arg> &as) {
  for (const Arg &a : as) {
    if (a.name) {
      line(a.name->loc(), "NamedArg ") << a.name->name;
      Nest n(*this);
      expr(a.value.get());
    } else {
      expr(a.value.get());
    }
  }
}

void Dumper::expr(const Expr *e) {
  if (!e)
    return;
  Nest n(*this);
  llvm::SMLoc loc = e->getLoc();
  switch (e->getKind()) {
  case Expr::EK_Int:
    line(loc, "Int ") << llvm::cast<IntExpr>(e)->value;
    return;
  case Expr::EK_Float:
    line(loc, "Float ") << llvm::format("%g", llvm::cast<FloatExpr>(e)->value);
    return;
  case Expr::EK_String:
    line(loc, "String \"") << llvm::cast<StringExpr>(e)->value << "\"";
    return;
  case Expr::EK_Bool:
    line(loc, "Bool ") << (llvm::cast<BoolExpr>(e)->value ? "true" : "false");
    return;
  case Expr::EK_Name:
    line(loc, "Name ") << llvm::cast<NameExpr>(e)->name;
    return;
  case Expr::EK_Unary: {
    auto *u = llvm::cast<UnaryExpr>(e);
    line(loc, "Unary ") << u->op;
    expr(u->operand.get());
    return;
  }
  case Expr::EK_Binary: {
    auto *b = llvm::cast<BinaryExpr>(e);
    line(loc, "Binary ") << binOpSpelling(b->op);
    expr(b->lhs.get());
    expr(b->rhs.get());
    return;
  }
  case Expr::EK_Pipe: {
    auto *p = llvm::cast<PipeExpr>(e);
    line(loc, "Pipe");
    expr(p->lhs.get());
    expr(p->stage.get());
    return;
  }
  case Expr::EK_Call: {
    auto *c = llvm::cast<CallExpr>(e);
    line(loc, "Call");
    expr(c->callee.get());
    args(c->args);
    return;
  }
  case Expr::EK_Member: {
    auto *m = llvm::cast<MemberExpr>(e);
    line(loc, "Member ") << m->member.name;
    expr(m->base.get());
    return;
  }
  case Expr::EK_Index: {
    auto *ix = llvm::cast<IndexExpr>(e);
    line(loc, "Index");
    expr(ix->base.get());
    Nest in(*this);
    for (const IndexItem &it : ix->items) {
      line(it.range.Start, it.isEllipsis ? "Ellipsis"
                           : it.isSlice  ? "Slice"
                                         : "At");
      expr(it.start.get());
      expr(it.stop.get());
      expr(it.stride.get());
    }
    return;
  }
  case Expr::EK_List:
  case Expr::EK_Tuple: {
    bool list = e->getKind() == Expr::EK_List;
    line(loc, list ? "List" : "Tuple");
    const auto &elts = list ? llvm::cast<ListExpr>(e)->elements
                            : llvm::cast<TupleExpr>(e)->elements;
    for (const ExprPtr &x : elts)
      expr(x.get());
    return;
  }
  case Expr::EK_Range: {
    auto *r = llvm::cast<RangeExpr>(e);
    line(loc, "Range");
    expr(r->lo.get());
    expr(r->hi.get());
    return;
  }
  case Expr::EK_If: {
    auto *i = llvm::cast<IfExpr>(e);
    line(loc, "If");
    expr(i->cond.get());
    block(i->thenBlock);
    if (i->hasElse) {
      line({}, "Else");
      block(i->elseBlock);
    }
    return;
  }
  case Expr::EK_Scan: {
    auto *s = llvm::cast<ScanExpr>(e);
    line(loc, "Scan ") << s->var.name;
    expr(s->sequence.get());
    if (s->axis) {
      line({}, "Axis");
      expr(s->axis.get());
    }
    for (const CarryBinding &c : s->carries) {
      line(c.name.loc(), "Carry ") << c.name.name;
      expr(c.init.get());
    }
    block(s->body);
    return;
  }
  case Expr::EK_Repeat: {
    auto *r = llvm::cast<RepeatExpr>(e);
    line(loc, "RepeatStage");
    expr(r->count.get());
    expr(r->stages.get());
    return;
  }
  }
}

void Dumper::block(const Block &b) {
  Nest n(*this);
  for (const StmtPtr &s : b)
    stmt(s.get());
}

void Dumper::stmt(const Stmt *s) {
  llvm::SMLoc loc = s->getLoc();
  switch (s->getKind()) {
  case Stmt::SK_Let: {
    auto *l = llvm::cast<LetStmt>(s);
    {
      Line ln = line(loc, "Let ");
      for (size_t k = 0; k < l->names.size(); ++k)
        ln << (k ? ", " : "") << l->names[k].name;
      if (l->type)
        ln << ": " << type(*l->type);
    }
    expr(l->value.get());
    return;
  }
  case Stmt::SK_Assign: {
    auto *a = llvm::cast<AssignStmt>(s);
    line(loc, "Assign ") << a->name.name;
    expr(a->value.get());
    return;
  }
  case Stmt::SK_Expr:
    line(loc, "ExprStmt");
    expr(llvm::cast<ExprStmt>(s)->expr.get());
    return;
  case Stmt::SK_Input: {
    auto *i = llvm::cast<InputStmt>(s);
    line(loc, "Input ") << i->name.name << ": " << type(i->type);
    return;
  }
  case Stmt::SK_Output: {
    auto *o = llvm::cast<OutputStmt>(s);
    line(loc, "Output ") << o->name.name;
    expr(o->value.get());
    return;
  }
  case Stmt::SK_Param:
  case Stmt::SK_State: {
    auto *v = llvm::cast<VarDeclStmt>(s);
    {
      Line ln = line(loc, s->getKind() == Stmt::SK_Param ? "Param " : "State ");
      ln << v->name.name;
      if (v->type)
        ln << ": " << type(*v->type);
    }
    expr(v->init.get());
    return;
  }
  case Stmt::SK_For: {
    auto *f = llvm::cast<ForStmt>(s);
    line(loc, "For ") << f->var.name;
    expr(f->range.get());
    block(f->body);
    return;
  }
  case Stmt::SK_Repeat: {
    auto *r = llvm::cast<RepeatStmt>(s);
    line(loc, "Repeat") << (r->var ? " " + r->var->name : "");
    expr(r->count.get());
    block(r->body);
    return;
  }
  case Stmt::SK_If:
    expr(llvm::cast<IfStmt>(s)->ifExpr.get());
    return;
  case Stmt::SK_Yield:
    line(loc, "Yield");
    expr(llvm::cast<YieldStmt>(s)->value.get());
    return;
  }
}

void Dumper::callable(const CallableDecl &c) {
  static const char *kinds[] = {"Layer", "Model", "Fn", "Optimizer"};
  line(c.range.Start, kinds[c.kind]) << " " << c.name.name;
  Nest n(*this);
  for (const ParamDecl &p : c.hparams) {
    {
      Line ln = line(p.name.loc(), "HParam ");
      ln << p.name.name;
      if (p.type)
        ln << ": " << type(*p.type);
    }
    expr(p.defaultValue.get());
  }
  for (const ParamDecl &p : c.inputs) {
    {
      Line ln = line(p.name.loc(), "Arg ");
      ln << p.name.name;
      if (p.type)
        ln << ": " << type(*p.type);
    }
  }
  if (c.result) {
    line(c.result->range.Start, "Result ") << type(*c.result);
  }
  indent -= 2;
  block(c.body);
  indent += 2;
}

void Dumper::train(const TrainDecl &t) {
  line(t.range.Start, "Train");
  Nest n(*this);
  if (t.model) {
    line({}, "Model");
    expr(t.model.get());
  }
  line({}, "Dataset");
  expr(t.dataset.get());
  for (const TrainClause &c : t.clauses) {
    line(c.range.Start, "Clause ")
        << c.keyword.name
        << (c.binding ? " " + c.binding->name + " =" : std::string());
    if (c.on) {
      line({}, "On");
      expr(c.on.get());
    }
    for (const ExprPtr &v : c.values)
      expr(v.get());
    if (c.over) {
      line({}, "Over");
      expr(c.over.get());
    }
  }
  if (!t.setup.empty()) {
    line({}, "Setup");
    block(t.setup);
  }
  if (t.step) {
    line({}, "Step");
    block(*t.step);
  }
}

void Dumper::module(const Module &m) {
  os << "Module " << m.path << "\n";
  Nest n(*this);
  for (const UseDecl &u : m.uses)
    line(u.range.Start, "Use ") << u.dotted();
  for (const ConstDecl &c : m.consts) {
    line(c.range.Start, "Const ") << c.name.name;
    expr(c.value.get());
  }
  for (const auto &c : m.callables)
    callable(*c);
  for (const auto &t : m.trains)
    train(*t);
  if (m.mainBlock) {
    line(m.mainRange.Start, "Main");
    block(*m.mainBlock);
  }
}

void nnc::dumpAST(const Module &module, const llvm::SourceMgr &srcMgr,
                  llvm::raw_ostream &os) {
  Dumper(srcMgr, os).module(module);
}
