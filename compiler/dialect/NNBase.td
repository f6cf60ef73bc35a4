//===- NNBase.td - The nn dialect ---------------------------*- tablegen -*-===//
//
// `nn` is the language-level IR of nnc: one op per operation of the .nn
// language, on tensors, with symbolic (dynamic) batch dimensions. MLIRGen
// produces it from sema's traced graph; autodiff and fusion work on it;
// it lowers to linalg.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_DIALECT_NNBASE_TD
#define NNC_DIALECT_NNBASE_TD

include "mlir/IR/EnumAttr.td"
include "mlir/IR/OpBase.td"

def NN_Dialect : Dialect {
  let name = "nn";
  let cppNamespace = "::nnc::nn";
  let summary = "Neural-network operations of the .nn language";
  let description = [{
    Operations on ranked tensors of f32/f64/i32/i64/i1 whose dimensions are
    static, or dynamic (`?`) where the source program has a symbolic
    dimension such as the batch `B`. Element-wise operations broadcast
    like NumPy.
  }];
  let hasConstantMaterializer = 0;
  // The `nn.*` attributes of functions, their arguments and results (see
  // NNDialect.cpp) are checked like the ops' own.
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
}

// `builtins` are the `.nn` built-in functions and operators the op
// implements. nnc-tblgen generates from them the op kinds of sema's graph
// (compiler/sema/OpKind.h) and MLIRGen's dispatch, so a built-in cannot be
// accepted by sema and unknown to code generation. MLIRGen builds the op
// with `builder`, a Generator method `Value NAME(const Node &,
// ArrayRef<Value>, Location)`; when empty, from the node's operands and
// its attributes of the same names as the op's.
class NN_Op<string mnemonic, list<Trait> traits = []>
    : Op<NN_Dialect, mnemonic, traits> {
  list<string> builtins = [];
  string builder = "";
}

//===----------------------------------------------------------------------===//
// Enumerated attributes: printed and parsed as bare keywords
// (`nn.reduce sum, %x ...`); a misspelt kind is a parse error.
//===----------------------------------------------------------------------===//

def NN_ComparePredicate : I64EnumAttr<"ComparePredicate",
    "element-wise comparison", [
      I64EnumAttrCase<"eq", 0>, I64EnumAttrCase<"ne", 1>,
      I64EnumAttrCase<"lt", 2>, I64EnumAttrCase<"le", 3>,
      I64EnumAttrCase<"gt", 4>, I64EnumAttrCase<"ge", 5>]> {
  let cppNamespace = "::nnc::nn";
}

def NN_ReduceKind : I64EnumAttr<"ReduceKind", "reduction", [
      I64EnumAttrCase<"sum", 0>, I64EnumAttrCase<"mean", 1>,
      I64EnumAttrCase<"max", 2>, I64EnumAttrCase<"min", 3>,
      I64EnumAttrCase<"prod", 4>, I64EnumAttrCase<"logsumexp", 5>,
      I64EnumAttrCase<"argmax", 6>, I64EnumAttrCase<"argmin", 7>]> {
  let cppNamespace = "::nnc::nn";
}

def NN_PoolKind : I64EnumAttr<"PoolKind", "pooling", [
      I64EnumAttrCase<"max", 0>, I64EnumAttrCase<"avg", 1>]> {
  let cppNamespace = "::nnc::nn";
}

def NN_RandomKind : I64EnumAttr<"RandomKind", "distribution", [
      I64EnumAttrCase<"uniform", 0>, I64EnumAttrCase<"normal", 1>,
      I64EnumAttrCase<"gumbel", 2>]> {
  let cppNamespace = "::nnc::nn";
}

#endif // NNC_DIALECT_NNBASE_TD
