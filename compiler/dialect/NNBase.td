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
}

class NN_Op<string mnemonic, list<Trait> traits = []>
    : Op<NN_Dialect, mnemonic, traits>;

#endif // NNC_DIALECT_NNBASE_TD
