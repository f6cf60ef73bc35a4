//===- AST.h - Abstract syntax tree of the .nn language ---------*- C++ -*-===//
//
// Nodes own their children through unique_ptr and carry the source range
// they were parsed from, so every later stage can point diagnostics at the
// user's text. Expressions and statements use LLVM-style RTTI (getKind +
// classof) so sema can dyn_cast over them, as in MLIR's Toy tutorial.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_AST_AST_H
#define NNC_AST_AST_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Casting.h"
#include "llvm/Support/SMLoc.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class raw_ostream;
class SourceMgr;
} // namespace llvm

namespace nnc {

class Expr;
class Stmt;
using ExprPtr = std::unique_ptr<Expr>;
using StmtPtr = std::unique_ptr<Stmt>;
using Block = std::vector<StmtPtr>;

/// A name with the location where it was written.
struct Ident {
  std::string name;
  llvm::SMRange range;
  llvm::SMLoc loc() const { return range.Start; }
};

/// One dimension of a written tensor type: an expression or `...`.
struct DimExpr {
  ExprPtr expr; // null for `...`
  llvm::SMRange range;
  bool isEllipsis() const { return expr == nullptr; }
};

/// A written type: `f32[B, 28, 28]`, `f32`, `int`, `(f32[B], f32[B])`.
struct TypeExpr {
  Ident name;            ///< dtype or scalar kind; empty for tuples
  bool hasShape = false; ///< `[...]` present
  std::vector<DimExpr> dims;
  std::vector<TypeExpr> elements; ///< tuple elements
  llvm::SMRange range;
  bool isTuple() const { return name.name.empty(); }
};

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

class Expr {
public:
  enum Kind {
    EK_Int,
    EK_Float,
    EK_String,
    EK_Bool,
    EK_Name,
    EK_Unary,
    EK_Binary,
    EK_Pipe,
    EK_Call,
    EK_Member,
    EK_Index,
    EK_List,
    EK_Tuple,
    EK_If,
    EK_Scan,
    EK_Repeat,
    EK_Range
  };
  Expr(Kind kind, llvm::SMRange range) : kind(kind), range(range) {}
  virtual ~Expr() = default;
  Kind getKind() const { return kind; }
  llvm::SMRange getRange() const { return range; }
  llvm::SMLoc getLoc() const { return range.Start; }

private:
  const Kind kind;
  llvm::SMRange range;
};

class IntExpr : public Expr {
public:
  IntExpr(int64_t v, llvm::SMRange r) : Expr(EK_Int, r), value(v) {}
  int64_t value;
  static bool classof(const Expr *e) { return e->getKind() == EK_Int; }
};

class FloatExpr : public Expr {
public:
  FloatExpr(double v, llvm::SMRange r) : Expr(EK_Float, r), value(v) {}
  double value;
  static bool classof(const Expr *e) { return e->getKind() == EK_Float; }
};

class StringExpr : public Expr {
public:
  StringExpr(std::string v, llvm::SMRange r)
      : Expr(EK_String, r), value(std::move(v)) {}
  std::string value;
  static bool classof(const Expr *e) { return e->getKind() == EK_String; }
};

class BoolExpr : public Expr {
public:
  BoolExpr(bool v, llvm::SMRange r) : Expr(EK_Bool, r), value(v) {}
  bool value;
  static bool classof(const Expr *e) { return e->getKind() == EK_Bool; }
};

class NameExpr : public Expr {
public:
  NameExpr(std::string n, llvm::SMRange r)
      : Expr(EK_Name, r), name(std::move(n)) {}
  std::string name;
  static bool classof(const Expr *e) { return e->getKind() == EK_Name; }
};

class UnaryExpr : public Expr {
public:
  UnaryExpr(char op, ExprPtr operand, llvm::SMRange r)
      : Expr(EK_Unary, r), op(op), operand(std::move(operand)) {}
  char op; ///< '-' or '!'
  ExprPtr operand;
  static bool classof(const Expr *e) { return e->getKind() == EK_Unary; }
};

/// Binary operators; spelled as in the source.
enum class BinOp {
  Add,
  Sub,
  Mul,
  Div,
  Mod,
  MatMul,
  Pow,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  And,
  Or
};
llvm::StringRef binOpSpelling(BinOp op);

class BinaryExpr : public Expr {
public:
  BinaryExpr(BinOp op, ExprPtr lhs, ExprPtr rhs, llvm::SMRange r)
      : Expr(EK_Binary, r), op(op), lhs(std::move(lhs)), rhs(std::move(rhs)) {}
  BinOp op;
  llvm::SMLoc opLoc;
  ExprPtr lhs, rhs;
  static bool classof(const Expr *e) { return e->getKind() == EK_Binary; }
};

/// `lhs |> stage`: feeds lhs to a layer, function or repeat block.
class PipeExpr : public Expr {
public:
  PipeExpr(ExprPtr lhs, ExprPtr stage, llvm::SMRange r)
      : Expr(EK_Pipe, r), lhs(std::move(lhs)), stage(std::move(stage)) {}
  ExprPtr lhs, stage;
  static bool classof(const Expr *e) { return e->getKind() == EK_Pipe; }
};

/// A call argument, positional or `name: value`.
struct Arg {
  std::optional<Ident> name;
  ExprPtr value;
};

class CallExpr : public Expr {
public:
  CallExpr(ExprPtr callee, std::vector<Arg> args, llvm::SMRange r)
      : Expr(EK_Call, r), callee(std::move(callee)), args(std::move(args)) {}
  ExprPtr callee;
  std::vector<Arg> args;
  static bool classof(const Expr *e) { return e->getKind() == EK_Call; }
};

class MemberExpr : public Expr {
public:
  MemberExpr(ExprPtr base, Ident member, llvm::SMRange r)
      : Expr(EK_Member, r), base(std::move(base)), member(std::move(member)) {}
  ExprPtr base;
  Ident member;
  static bool classof(const Expr *e) { return e->getKind() == EK_Member; }
};

/// One subscript: an index `i`, a slice `a:b[:s]` (parts may be absent),
/// or `...`.
struct IndexItem {
  ExprPtr start, stop, stride;
  bool isSlice = false, isEllipsis = false;
  llvm::SMRange range;
};

class IndexExpr : public Expr {
public:
  IndexExpr(ExprPtr base, std::vector<IndexItem> items, llvm::SMRange r)
      : Expr(EK_Index, r), base(std::move(base)), items(std::move(items)) {}
  ExprPtr base;
  std::vector<IndexItem> items;
  static bool classof(const Expr *e) { return e->getKind() == EK_Index; }
};

class ListExpr : public Expr {
public:
  ListExpr(std::vector<ExprPtr> elts, llvm::SMRange r)
      : Expr(EK_List, r), elements(std::move(elts)) {}
  std::vector<ExprPtr> elements;
  static bool classof(const Expr *e) { return e->getKind() == EK_List; }
};

class TupleExpr : public Expr {
public:
  TupleExpr(std::vector<ExprPtr> elts, llvm::SMRange r)
      : Expr(EK_Tuple, r), elements(std::move(elts)) {}
  std::vector<ExprPtr> elements;
  static bool classof(const Expr *e) { return e->getKind() == EK_Tuple; }
};

/// `lo..hi`, used by `for` loops.
class RangeExpr : public Expr {
public:
  RangeExpr(ExprPtr lo, ExprPtr hi, llvm::SMRange r)
      : Expr(EK_Range, r), lo(std::move(lo)), hi(std::move(hi)) {}
  ExprPtr lo, hi;
  static bool classof(const Expr *e) { return e->getKind() == EK_Range; }
};

/// `if cond { block } else { block }` on a compile-time condition; the
/// value is the last expression statement of the chosen block.
class IfExpr : public Expr {
public:
  IfExpr(llvm::SMRange r) : Expr(EK_If, r) {}
  ExprPtr cond;
  Block thenBlock, elseBlock;
  bool hasElse = false;
  static bool classof(const Expr *e) { return e->getKind() == EK_If; }
};

/// A loop-carried variable of `scan`: `name = init`.
struct CarryBinding {
  Ident name;
  ExprPtr init;
};

/// `scan x_t in seq axis 1 carry (h = ..., c = ...) { ...; yield h }`:
/// runs the body over slices of `seq` and stacks the yielded values.
class ScanExpr : public Expr {
public:
  ScanExpr(llvm::SMRange r) : Expr(EK_Scan, r) {}
  Ident var;
  ExprPtr sequence;
  ExprPtr axis; ///< null: axis 1 (batch-major sequences)
  std::vector<CarryBinding> carries;
  Block body;
  static bool classof(const Expr *e) { return e->getKind() == EK_Scan; }
};

/// `repeat N { stage |> stage }` as a pipeline stage: N fresh copies.
class RepeatExpr : public Expr {
public:
  RepeatExpr(ExprPtr count, ExprPtr stages, llvm::SMRange r)
      : Expr(EK_Repeat, r), count(std::move(count)), stages(std::move(stages)) {
  }
  ExprPtr count;
  ExprPtr stages; ///< a pipeline whose head is the implicit input
  static bool classof(const Expr *e) { return e->getKind() == EK_Repeat; }
};

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

class Stmt {
public:
  enum Kind {
    SK_Let,
    SK_Assign,
    SK_Expr,
    SK_Input,
    SK_Output,
    SK_Param,
    SK_State,
    SK_For,
    SK_Repeat,
    SK_If,
    SK_Yield
  };
  Stmt(Kind kind, llvm::SMRange range) : kind(kind), range(range) {}
  virtual ~Stmt() = default;
  Kind getKind() const { return kind; }
  llvm::SMRange getRange() const { return range; }
  llvm::SMLoc getLoc() const { return range.Start; }

private:
  const Kind kind;
  llvm::SMRange range;
};

/// `let x = e`, `let (a, b) = e`, `let x: f32[B] = e`.
class LetStmt : public Stmt {
public:
  LetStmt(llvm::SMRange r) : Stmt(SK_Let, r) {}
  std::vector<Ident> names;
  bool destructure = false;
  std::optional<TypeExpr> type;
  ExprPtr value;
  /// `let m = Mlp() from "mlp.safetensors"`: the checkpoint the instance's
  /// parameters and state are read from (a string expression), or null.
  ExprPtr checkpoint;
  static bool classof(const Stmt *s) { return s->getKind() == SK_Let; }
};

/// `x = e` rebinding a variable (loop-carried inside `for`/`repeat`).
class AssignStmt : public Stmt {
public:
  AssignStmt(Ident n, ExprPtr v, llvm::SMRange r)
      : Stmt(SK_Assign, r), name(std::move(n)), value(std::move(v)) {}
  Ident name;
  ExprPtr value;
  static bool classof(const Stmt *s) { return s->getKind() == SK_Assign; }
};

class ExprStmt : public Stmt {
public:
  ExprStmt(ExprPtr e, llvm::SMRange r) : Stmt(SK_Expr, r), expr(std::move(e)) {}
  ExprPtr expr;
  static bool classof(const Stmt *s) { return s->getKind() == SK_Expr; }
};

/// `input x: f32[B, 28, 28]` (models only).
class InputStmt : public Stmt {
public:
  InputStmt(Ident n, TypeExpr t, llvm::SMRange r)
      : Stmt(SK_Input, r), name(std::move(n)), type(std::move(t)) {}
  Ident name;
  TypeExpr type;
  static bool classof(const Stmt *s) { return s->getKind() == SK_Input; }
};

/// `output mu = e` names one of a model's results.
class OutputStmt : public Stmt {
public:
  OutputStmt(Ident n, ExprPtr v, llvm::SMRange r)
      : Stmt(SK_Output, r), name(std::move(n)), value(std::move(v)) {}
  Ident name;
  ExprPtr value;
  static bool classof(const Stmt *s) { return s->getKind() == SK_Output; }
};

/// `param w: f32[N, units] = glorot_uniform()` and
/// `state mean: f32[C] = zeros()`; optimizer state may omit the type.
class VarDeclStmt : public Stmt {
public:
  VarDeclStmt(Kind k, llvm::SMRange r) : Stmt(k, r) {}
  Ident name;
  std::optional<TypeExpr> type;
  ExprPtr init;
  static bool classof(const Stmt *s) {
    return s->getKind() == SK_Param || s->getKind() == SK_State;
  }
};

/// `for i in 0..K { ... }`: a real loop; layers inside share weights.
class ForStmt : public Stmt {
public:
  ForStmt(llvm::SMRange r) : Stmt(SK_For, r) {}
  Ident var;
  ExprPtr range;
  Block body;
  static bool classof(const Stmt *s) { return s->getKind() == SK_For; }
};

/// `repeat N { ... }` / `repeat N as i { ... }`: unrolled, fresh layers.
class RepeatStmt : public Stmt {
public:
  RepeatStmt(llvm::SMRange r) : Stmt(SK_Repeat, r) {}
  ExprPtr count;
  std::optional<Ident> var;
  Block body;
  static bool classof(const Stmt *s) { return s->getKind() == SK_Repeat; }
};

class IfStmt : public Stmt {
public:
  IfStmt(std::unique_ptr<IfExpr> e, llvm::SMRange r)
      : Stmt(SK_If, r), ifExpr(std::move(e)) {}
  std::unique_ptr<IfExpr> ifExpr;
  static bool classof(const Stmt *s) { return s->getKind() == SK_If; }
};

class YieldStmt : public Stmt {
public:
  YieldStmt(ExprPtr v, llvm::SMRange r)
      : Stmt(SK_Yield, r), value(std::move(v)) {}
  ExprPtr value;
  static bool classof(const Stmt *s) { return s->getKind() == SK_Yield; }
};

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

/// A hyper-parameter or typed input: `units: int = 10`, `x: f32[..., N]`.
struct ParamDecl {
  Ident name;
  std::optional<TypeExpr> type;
  ExprPtr defaultValue;
};

/// `layer`, `model`, `fn` and `optimizer` share one shape: a name,
/// compile-time hyper-parameters, typed inputs and a body.
struct CallableDecl {
  enum Kind { Layer, Model, Fn, Optimizer } kind;
  Ident name;
  std::vector<ParamDecl> hparams;
  bool hasHParamList = false;
  std::vector<ParamDecl> inputs; ///< layer/fn/optimizer inputs
  std::optional<TypeExpr> result;
  Block body;
  llvm::SMRange range;
  std::string docComment;
};

/// One clause of a train block: `batch 64`, `loss ce(logits, label)`,
/// `validate on ds every 1`, `optimizer g = adam(lr: 1e-3) over gen`.
struct TrainClause {
  Ident keyword;
  std::optional<Ident> binding; ///< `optimizer NAME = ...`, `schedule NAME`
  std::vector<ExprPtr> values;
  ExprPtr over; ///< parameter group for `optimizer ... over`
  ExprPtr on;   ///< dataset of `validate on`
  llvm::SMRange range;
};

struct TrainDecl {
  ExprPtr model; ///< null for train blocks that only use `step`
  ExprPtr dataset;
  std::vector<TrainClause> clauses;
  Block setup; ///< `let` bindings before `step` (sub-model instances)
  std::optional<Block> step;
  llvm::SMRange range;
};

struct UseDecl {
  std::vector<Ident> path; ///< std.layers -> {std, layers}
  llvm::SMRange range;
  std::string dotted() const;
};

/// A top-level `let NAME = const-expr`.
struct ConstDecl {
  Ident name;
  ExprPtr value;
  llvm::SMRange range;
};

/// One parsed file.
struct Module {
  std::string path;
  std::vector<UseDecl> uses;
  std::vector<std::unique_ptr<CallableDecl>> callables;
  std::vector<ConstDecl> consts;
  std::vector<std::unique_ptr<TrainDecl>> trains;
  std::optional<Block> mainBlock;
  llvm::SMRange mainRange;
};

/// Prints the AST as an indented tree (`nnc build --emit=ast`).
void dumpAST(const Module &module, const llvm::SourceMgr &srcMgr,
             llvm::raw_ostream &os);

} // namespace nnc

#endif // NNC_AST_AST_H
