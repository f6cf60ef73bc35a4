//===- Elaborator.h - Compile-time evaluation of .nn (internal) -*- C++ -*-===//
//
// Sema is an abstract interpreter: it "runs" a model on types instead of
// data. Hyper-parameters are real compile-time numbers; tensors are just
// their types (dtype + symbolic shape). Running a layer call binds the
// layer's declared input types against the actual ones, creates its
// parameters, and runs its body. This header is private to compiler/sema.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_SEMA_ELABORATOR_H
#define NNC_SEMA_ELABORATOR_H

#include "ast/AST.h"
#include "sema/Checkpoint.h"
#include "sema/Graph.h"
#include "sema/Sema.h"
#include "support/Diagnostics.h"

#include <functional>
#include <map>
#include <set>

namespace nnc {

struct BuiltinDef;
struct InstanceRT;

/// A data set: named fields with their per-batch types.
struct DatasetRT {
  std::string name;
  std::vector<std::pair<std::string, TensorType>> fields;
  /// Where the runtime loads it from ("fashion_mnist:test"); "" when code
  /// generation cannot load this kind of data set yet.
  std::string source;
  std::map<std::string, NodePtr> fieldNodes; ///< traced field reads
};

/// A compile-time value.
struct Value {
  enum Kind {
    None,
    Int,
    Float,
    Bool,
    String,
    DimV,
    Tensor,
    Tuple,
    List,
    Callable,
    Instance,
    Builtin,
    Dataset,
    Optimizer
  };
  Kind kind = None;
  int64_t i = 0;
  double f = 0;
  bool b = false;
  std::string s;
  Dim dim;
  TensorType type;
  std::vector<Value> elems;
  const CallableDecl *decl = nullptr;
  std::shared_ptr<InstanceRT> inst;
  const BuiltinDef *builtin = nullptr;
  std::shared_ptr<DatasetRT> dataset;
  NodePtr node; ///< where a tensor comes from, when a graph is traced
  /// The result of a statement that failed: uses of it report nothing
  /// more, so that one run shows independent errors, not their echoes.
  bool poison = false;

  static Value none() { return {}; }
  static Value ofInt(int64_t v) {
    Value x;
    x.kind = Int;
    x.i = v;
    return x;
  }
  static Value ofFloat(double v) {
    Value x;
    x.kind = Float;
    x.f = v;
    return x;
  }
  static Value ofBool(bool v) {
    Value x;
    x.kind = Bool;
    x.b = v;
    return x;
  }
  static Value ofString(std::string v) {
    Value x;
    x.kind = String;
    x.s = std::move(v);
    return x;
  }
  static Value ofTensor(TensorType t) {
    Value x;
    x.kind = Tensor;
    x.type = std::move(t);
    return x;
  }
  static Value ofDim(const Dim &d) {
    if (d.isConst())
      return ofInt(d.value);
    Value x;
    x.kind = DimV;
    x.dim = d;
    return x;
  }
  bool isNone() const { return kind == None; }
  bool isNumber() const { return kind == Int || kind == Float; }
  double number() const { return kind == Int ? double(i) : f; }
  /// Description for diagnostics: `f32[B, 10]`, `int 3`, `layer dense`.
  std::string describe() const;
};

/// Shortest readable form of a number for messages (0.125, 1e-05).
std::string formatNumber(double v);

/// An optimizer call of a train block: its rule and hyper-parameters.
struct OptimizerCall {
  const CallableDecl *decl = nullptr;
  std::map<std::string, Value> hparams;
};

/// The parameters one optimizer trains: those whose path starts with
/// `prefix` ("" = all), for the objective `minimize`d under `binding`.
struct OptimizerGroup {
  std::string binding; ///< `d_opt` ("" in a train block with a loss)
  OptimizerCall opt;
  std::string prefix;
};

/// A lexical scope.
struct Env {
  Env *parent = nullptr;
  std::map<std::string, Value> vars;
  explicit Env(Env *parent = nullptr) : parent(parent) {}
  Value *lookup(const std::string &name);
  void collectNames(std::vector<llvm::StringRef> &out) const;
};

/// A live layer/model instance during elaboration.
struct InstanceRT {
  const CallableDecl *decl = nullptr;
  std::map<std::string, Value> hparams;
  InstanceInfo *info = nullptr;
  std::map<std::string, Value> params; ///< param/state values by name
  std::map<std::string, unsigned> childCounters;
  /// Layers and models instantiated inside, by instance name
  /// (`m.dense_1.w` reads a nested parameter).
  std::map<std::string, std::shared_ptr<InstanceRT>> children;
  std::vector<std::string> outputNames;
  bool applied = false;
  /// The model a train block trains: not part of parameter paths, so they
  /// read `dense_1.w` as in the model's own summary.
  bool pathless = false;
  /// Child instances by call site (and `repeat` iteration), so that
  /// applying this instance again reuses them: shared weights all the way
  /// down.
  std::map<std::pair<const Expr *, std::vector<int64_t>>, Value> sites;
  /// `let m = Mlp() from "m.safetensors"`: where the parameters and state
  /// of this instance (and the instances below it) come from, the tensors
  /// that file holds (empty when it does not exist yet), and the `from`.
  std::string checkpoint;
  std::map<std::string, CheckpointEntry> checkpointTensors;
  llvm::SMLoc checkpointLoc;
  bool checkpointReported = false; ///< one error per `from`
};

/// One argument after evaluation.
struct CallArg {
  std::string name; ///< "" if positional
  Value value;
  llvm::SMLoc loc;     ///< of the value
  llvm::SMLoc nameLoc; ///< of `name:` when named
  llvm::SMRange range; ///< the argument's source text
};

/// Thrown-free error signalling: elaboration functions return
/// std::optional<Value>; nullopt means "an error was reported".
using Result = std::optional<Value>;

class Elaborator;
using BuiltinFn = Result (*)(Elaborator &, std::vector<CallArg> &, llvm::SMLoc);

/// A built-in function: name, parameter names (for named arguments and
/// defaults) and its shape rule. An op (a row of the summary, a node of
/// the graph) is named by its OpKind, so it exists only if an nn op
/// implements it; data sets and `print` are not ops.
struct BuiltinDef {
  BuiltinDef(OpKind kind, std::vector<const char *> params, BuiltinFn fn,
             const char *summary)
      : name(opKindName(kind)), params(std::move(params)), fn(fn),
        summary(summary), kind(kind) {}
  BuiltinDef(const char *name, std::vector<const char *> params, BuiltinFn fn,
             const char *summary)
      : name(name), params(std::move(params)), fn(fn), summary(summary) {}
  const char *name;
  std::vector<const char *> params; ///< trailing '?' = optional
  BuiltinFn fn;
  const char *summary;         ///< one line for docs and hints
  std::optional<OpKind> kind;  ///< the node it traces; none: not an op
  bool isOp() const { return kind.has_value(); }
};

/// Converts a value to a hyper-parameter's declared kind (int, float,
/// bool, string, list); false if it is not one.
bool coerceHParam(llvm::StringRef kind, Value &v);

const BuiltinDef *lookupBuiltin(llvm::StringRef name);
/// Checks the integer attributes of a call of `b` (its arguments by
/// parameter) against the table of valid values (BuiltinAttrs.cpp):
/// strides, windows, paddings, axes, counts. False after a located error.
bool checkBuiltinAttrs(Elaborator &el, const BuiltinDef &b,
                       const std::vector<CallArg> &slots);
/// Checks argument `a` of integer hyper-parameter `param` of std's layer or
/// function `fn` against the same kind of table (dense's units >= 1).
bool checkStdHParam(Elaborator &el, llvm::StringRef fn, llvm::StringRef param,
                    const CallArg &a);
/// Whether every row of the built-ins' table names a built-in's parameter (else
/// says which do not on `os`); for the unit tests.
bool builtinAttrRulesValid(llvm::raw_ostream &os);
void builtinNames(std::vector<llvm::StringRef> &out);
bool isInitializerName(llvm::StringRef name);
void initializerNames(std::vector<llvm::StringRef> &out);

/// Element-wise op `name` on two tensors (or a tensor and a number) with
/// broadcasting; `op` selects the dtype rule (comparisons give bool).
Result tensorBinary(Elaborator &el, OpKind kind, BinOp op, const Value &l,
                    const Value &r, llvm::SMLoc loc);

class Elaborator {
public:
  Elaborator(DiagnosticEngine &diags, const SemaOptions &opts, Program &program)
      : diags(diags), opts(opts), program(program) {}

  /// Registers the declarations of a module (and, for the main file,
  /// remembers them for "which model" questions).
  void addModule(const Module &m, bool isMain);
  /// Evaluates top-level constants of all modules.
  bool evalConsts(const Module &m);
  /// `--set NAME=VALUE` (Overrides.cpp): replaces `v` when NAME has an
  /// override, converted to `kind` ("" = as written); false after an
  /// error naming `what` (`hyper-parameter 'k' of 'Ae'`).
  bool applyOverride(llvm::StringRef name, llvm::StringRef kind, Value &v,
                     const std::string &what);
  /// Reports each `--set` name that matched nothing; false if any.
  bool checkOverridesUsed();

  /// Instantiates and runs a model with fresh inputs from its declared
  /// types; returns its instance tree (null after an error).
  std::unique_ptr<InstanceInfo> elaborateModel(const CallableDecl &model);
  /// Checks a `train` block.
  bool checkTrain(const TrainDecl &train);
  /// Checks the `main` block.
  bool checkMain(const Block &block);
  /// Checks what was typed at `nnc repl`'s prompt (ElabRepl.cpp): the
  /// session's tensors, the replayed `preamble`, then `input`; fills
  /// Program::repl and, unless req.typeOnly, Program::mainGraph.
  bool checkRepl(const Block &preamble, const Block &input,
                 const ReplRequest &req, llvm::SMLoc inputLoc);
  /// Checks a layer/fn/optimizer declaration on its own: signature types
  /// and defaults (bodies are checked when called).
  bool checkDecl(const CallableDecl &decl);

  // Used by builtins.
  DiagnosticEngine &diags;
  const SemaOptions &opts;
  Program &program;
  void error(llvm::SMLoc loc, const llvm::Twine &msg) { diags.error(loc, msg); }
  /// Records `flops` and the produced value in the current instance.
  void account(const char *op, int64_t flops, const Value &out);
  /// Whether every tensor of `v` (a tuple's, a list's, a data set's fields)
  /// takes at most kMaxTensorBytes; else a located error at `loc`.
  bool checkSize(const Value &v, llvm::SMLoc loc);

  /// A main block's data sets (by source) -> their batch symbol.
  std::map<std::string, std::string> mainBatchSymbols;
  // Graph tracing (Graph.h); all no-ops while `graph` is null.
  ModelGraph *graph = nullptr;
  /// Creates a node producing `out` (sets out.node).
  void trace(Value &out, OpKind op, std::vector<NodePtr> inputs,
             llvm::SMLoc loc,
             std::vector<std::pair<std::string, Attr>> attrs = {});
  /// The node of a tensor operand; a compile-time number becomes a
  /// constant of `dtype`.
  NodePtr nodeOf(const Value &v, DType dtype, llvm::SMLoc loc);
  /// Marks the graph as not compilable yet (first reason wins).
  void unsupported(llvm::SMLoc loc, const llvm::Twine &why);
  static std::optional<Attr> toAttr(const Value &v);
  /// save_image(x, path): in a `main` block, an output written as a PNG.
  void traceImage(const CallArg &x, const std::string &path,
                  const std::string &options, llvm::SMLoc loc);
  /// print_text(ids): in a `main` block, byte ids printed as characters.
  void traceText(const CallArg &ids, llvm::SMLoc loc);
  void traceSpecialOutput(const CallArg &x, std::string name, const char *kind,
                          std::string options, const char *misplaced,
                          llvm::SMLoc loc);
  /// `let NAME = Model() from PATH` (main blocks): marks the instance's
  /// parameters to be read from the checkpoint.
  bool bindCheckpoint(const LetStmt &let, Value &instance, Env &env);
  /// A parameter or state being created: from the nearest instance with a
  /// checkpoint, its initializer reads that file (checked here).
  bool checkpointInit(const std::string &name, const TensorType &type,
                      std::vector<std::pair<std::string, Attr>> &attrs);
  void traceBuiltin(const BuiltinDef &b, const std::vector<CallArg> &slots,
                    Value &out, llvm::SMLoc loc);
  /// `print(...)` in a traced main block: its tensor becomes a result of
  /// the program, labelled with the other arguments and its source text.
  void tracePrint(const std::vector<CallArg> &args, llvm::SMLoc loc);
  unsigned nextNodeId = 0;
  const DimValues &dimValues() const { return program.dimValues; }
  bool inTrainStep = false;
  /// While a custom `step` is traced: each `opt.minimize(loss)` as the
  /// optimizer's name and the loss node.
  std::vector<std::pair<std::string, NodePtr>> *minimized = nullptr;

  // Expressions and statements (ElabExpr.cpp / Elaborator.cpp).
  Result eval(const Expr *e, Env &env);
  Result evalBlock(const Block &b, Env &env, bool wantValue);
  Result apply(const Value &callee, std::vector<CallArg> &args, llvm::SMLoc loc,
               const Expr *calleeExpr);
  std::optional<TensorType> resolveType(const TypeExpr &t, Env &env,
                                        bool bindFresh);
  bool matchType(const TypeExpr &t, const Value &actual, Env &env,
                 llvm::SMLoc loc, const llvm::Twine &what);
  Result binaryOp(BinOp op, const Value &l, const Value &r, llvm::SMLoc loc);
  std::optional<int64_t> evalInt(const Expr *e, Env &env, llvm::StringRef what);

  Env globals;
  void setStdHint(const std::string &name, const UseDecl *use) {
    stdHints[name] = use;
  }

private:
  // One statement kind each (ElabStmt.cpp).
  Result evalLet(const LetStmt *l, Env &env);
  Result evalAssign(const AssignStmt *a, Env &env);
  Result evalFor(const ForStmt *f, Env &env);
  Result evalRepeat(const RepeatStmt *r, Env &env);
  Result evalStmt(const Stmt *s, Env &env, bool &produced);
  /// Runs one statement of a body; after an error, poisons what the
  /// statement defines and returns false (the caller goes on).
  bool runStatement(const Stmt *s, Env &env, Value &last);
  Result evalCall(const CallExpr *c, Env &env);
  Result evalPipe(const PipeExpr *p, Env &env);
  Result evalIndex(const IndexExpr *ix, Env &env);
  Result evalMember(const MemberExpr *m, Env &env);
  Result evalScan(const ScanExpr *s, Env &env);
  Result evalGrad(const CallExpr *c, Env &env);
  bool evalArgs(const std::vector<Arg> &args, Env &env,
                std::vector<CallArg> &out);
  Result instantiate(const CallableDecl &decl, std::vector<CallArg> &args,
                     llvm::SMLoc loc, const std::string &name,
                     const Expr *site = nullptr);
  Result applyInstance(const std::shared_ptr<InstanceRT> &inst,
                       std::vector<CallArg> &args, llvm::SMLoc loc);
  Result runModelBody(InstanceRT &inst, Env &env, std::vector<CallArg> *args,
                      llvm::SMLoc loc);
  bool declareVar(const VarDeclStmt *v, Env &env);
  std::vector<std::pair<std::string, Attr>> initAttrs(const Expr *init,
                                                      Env &env);
  bool checkInitializer(const Expr *init, Env &env);
  Result unknownName(const std::string &name, llvm::SMRange range, Env &env);
  /// After a statement failed: every other unknown name in `e` (a
  /// statement stops at its first error; misspellings are independent).
  void reportUnknownNames(const Expr *e, Env &env);
  std::set<const char *> reportedNames; ///< unknown names already reported
  /// The layers and functions of the standard library (std/*.nn), whose
  /// integer hyper-parameters have valid ranges (checkStdHParam).
  std::set<const CallableDecl *> stdDecls;
  /// The hint of a rank mismatch (`actual` has `want` axes too many or too
  /// few); may leave a note for the error in `pendingNote`.
  std::string rankHint(size_t want, const Value &actual);
  std::pair<llvm::SMLoc, std::string> pendingNote;
  bool bindHParams(const CallableDecl &decl, std::vector<CallArg> &args,
                   llvm::SMLoc loc, std::map<std::string, Value> &out);
  /// Runs optimizer `decl`'s update rule in `body` (its hyper-parameters
  /// bound) on parameter `p`, gradient `g` and step `t`; its `state`
  /// tensors are declared on a fresh instance named after the optimizer
  /// (`stateSlots` receives how many).
  Result runUpdateRule(const CallableDecl &decl, Env &body, const Value &p,
                       const Value &g, const Value &t,
                       unsigned *stateSlots = nullptr);
  Result checkOptimizerCall(const Expr *e, Env &env,
                            OptimizerCall *call = nullptr);
  /// Completes `plan` (TrainPlan.cpp): metric outputs of the loss graph and
  /// the traced update graph of the optimizer.
  bool planTraining(TrainPlan &plan, const std::vector<OptimizerGroup> &groups,
                    Env &env, llvm::SMLoc loc);
  /// The plan's metric outputs (TrainPlan.cpp); false if the model's output
  /// and the data's label do not fit them.
  bool buildMetrics(TrainPlan &plan, Env &env, llvm::SMLoc loc);

  using Snapshot = std::map<std::string, std::string>;
  Snapshot snapshot(Env &env);
  bool checkCarried(const Snapshot &before, Env &env, llvm::SMLoc loc,
                    llvm::StringRef what);
  Result applyStage(const Value &input, const Expr *stage, Env &env);
  static void collectAssigned(const Block &block, std::set<std::string> &out);
  std::set<std::string> usedOverrides; ///< `--set` names that matched
  std::set<std::string> overridable;   ///< names `--set` could have matched
  void traceLoop(const ForStmt *f, int64_t lo, int64_t hi, const NodePtr &index,
                 const std::vector<std::string> &carried,
                 const std::vector<Value> &initial,
                 const std::vector<NodePtr> &holders, Env &env);

  std::vector<InstanceRT *> ctx;     ///< instance stack
  std::vector<int64_t> unrollPath;   ///< iteration numbers of enclosing repeats
  InstanceInfo *modelRoot = nullptr; ///< ops here become summary rows
  std::optional<Value> *yieldSlot = nullptr;
  std::vector<std::pair<std::string, Value>> *outputSlot = nullptr;
  std::vector<std::unique_ptr<InstanceInfo>> scratchRoots;
  std::vector<int64_t> scale{1}; ///< loop trip-count multipliers
  std::map<std::string, const UseDecl *> stdHints;
  std::vector<const CallableDecl *> mainModels;
  unsigned callDepth = 0;
  friend struct ScopedInstance;
  friend class TrainChecker; ///< the clauses of a train block (TrainCheck.cpp)
  friend class TrainPlanner; ///< the parts of planTraining (TrainPlan.cpp)
};

/// The root instance of something that is not a model (a train block's
/// setup, a `main` block): its instances hang below it.
struct ScratchRoot {
  InstanceInfo info;
  InstanceRT rt;
  explicit ScratchRoot(const char *name) {
    info.name = info.kind = name;
    rt.info = &info;
  }
};

/// Pushes an instance on the elaborator's stack for a scope.
struct ScopedInstance {
  Elaborator &e;
  ScopedInstance(Elaborator &e, InstanceRT *inst) : e(e) {
    e.ctx.push_back(inst);
  }
  ~ScopedInstance() { e.ctx.pop_back(); }
};

/// Traces into `g` (null: traces nothing) for a scope, then restores the
/// elaborator's previous graph.
struct ScopedGraph {
  Elaborator &e;
  ModelGraph *saved;
  ScopedGraph(Elaborator &e, ModelGraph *g) : e(e), saved(e.graph) {
    e.graph = g;
  }
  ~ScopedGraph() { e.graph = saved; }
  ScopedGraph(const ScopedGraph &) = delete;
  ScopedGraph &operator=(const ScopedGraph &) = delete;
};

} // namespace nnc

#endif // NNC_SEMA_ELABORATOR_H
