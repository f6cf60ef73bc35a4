//===- NNInterfaces.td - Interfaces of the nn ops -----------*- tablegen -*-===//
//
// The derivative rule of an op lives beside its definition: an op that is
// differentiable declares NN_VJPOpInterface in NNOps.td and implements it in
// compiler/autodiff/. The reverse-mode pass only talks to the interface, and
// a unit test walks every registered op so a missing rule is a test failure,
// never a user's surprise.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_DIALECT_NNINTERFACES_TD
#define NNC_DIALECT_NNINTERFACES_TD

include "mlir/IR/OpBase.td"

def NN_VJPOpInterface : OpInterface<"VJPOpInterface"> {
  let cppNamespace = "::nnc::nn";
  let description = [{
    Reverse-mode derivative (vector-Jacobian product) of an op: given the
    cotangent of each result (null where no gradient reaches that result),
    emit at the builder's insertion point the cotangent of each operand,
    with exactly the operand's type, or null where the operand gets no
    gradient (integer operands, `stop_gradient`, random seeds).
  }];
  let methods = [
    InterfaceMethod<
      "Emits the operands' cotangents from the results' cotangents.",
      "::mlir::LogicalResult", "vjp",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ValueRange":$resultGrads,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>
  ];
}

def NN_ElementwiseOpInterface : OpInterface<"ElementwiseOpInterface"> {
  let cppNamespace = "::nnc::nn";
  let description = [{
    An op that applies one scalar computation to the elements of its
    operands (broadcast like NumPy). Its body is written once, in its ODS
    definition; lowering to linalg is one generic rule for every such op:
    a parallel `linalg.generic` whose body is `scalar`.
  }];
  let methods = [
    InterfaceMethod<
      "Emits the computation of one result element from one element of "
      "each operand (`args`, in operand order).",
      "::mlir::Value", "scalar",
      (ins "::mlir::OpBuilder &":$b, "::mlir::Location":$l,
           "::mlir::ValueRange":$args)>
  ];
}

#endif // NNC_DIALECT_NNINTERFACES_TD
