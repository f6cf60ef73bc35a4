//===- NNOps.td - Operations of the nn dialect --------------*- tablegen -*-===//
//
// Every op has a verifier (types and attributes a user program could never
// produce are rejected), an IR example in its description and, where it
// matters, a folder.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_DIALECT_NNOPS_TD
#define NNC_DIALECT_NNOPS_TD

include "dialect/NNBase.td"
include "dialect/NNInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.td"

// Ops with a derivative rule (compiler/autodiff/) declare this.
defvar VJP = DeclareOpInterfaceMethods<NN_VJPOpInterface>;

def NN_Tensor : RankedTensorOf<[F32, F64, I32, I64, I1]>;
def NN_FloatTensor : RankedTensorOf<[F32, F64]>;

//===----------------------------------------------------------------------===//
// Element-wise
//===----------------------------------------------------------------------===//

// An element-wise op's scalar computation (NN_ElementwiseOpInterface):
// `body` sees the builder `b`, the location `l`, the operands' elements
// `args` and `c(v)`, a constant of the result's element type.
class NN_ScalarBody<code body> {
  code extraClassDefinition = [{
    ::mlir::Value $cppClass::scalar(::mlir::OpBuilder &b, ::mlir::Location l,
                                    ::mlir::ValueRange args) {
      ::mlir::Type et = ::mlir::getElementTypeOrSelf(getType());
      auto c = [&](double v) { return ::nnc::nn::scalarConst(b, l, et, v); };
      (void)c;
      }] # body # [{
    }
  }];
}

defvar EW = DeclareOpInterfaceMethods<NN_ElementwiseOpInterface>;

// `body` computes from `x`, the operand's element.
class NN_UnaryOp<string mnemonic, string math, code body,
                 list<Trait> extra = [VJP]>
    : NN_Op<mnemonic, !listconcat([Pure, EW,
                                   AllTypesMatch<["input", "result"]>],
                                  extra)> {
  let summary = "element-wise " # math;
  let description = "Applies " # math # [{ to each element; the result has
    the operand's type.

    ```mlir
    %y = nn.}] # mnemonic # [{ %x : tensor<?x256xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let builtins = [mnemonic];
  let extraClassDefinition =
      NN_ScalarBody<"::mlir::Value x = args[0];\n" # body>.extraClassDefinition;
}

def NN_ReluOp : NN_UnaryOp<"relu", "max(x, 0)",
    [{ return arith::MaximumFOp::create(b, l, x, c(0)); }]>;
def NN_SigmoidOp : NN_UnaryOp<"sigmoid", "1 / (1 + exp(-x))",
    [{ return scalarSigmoid(b, l, x); }]>;
def NN_TanhOp : NN_UnaryOp<"tanh", "tanh(x)",
    [{ return math::TanhOp::create(b, l, x); }]>;
def NN_GeluOp : NN_UnaryOp<"gelu", "x * Phi(x) (erf form)", [{
    Value e = math::ErfOp::create(b, l, arith::MulFOp::create(b, l, x, c(M_SQRT1_2)));
    Value h = arith::MulFOp::create(b, l, x, c(0.5));
    return arith::MulFOp::create(b, l, h, arith::AddFOp::create(b, l, c(1), e));
  }]>;
def NN_ErfOp : NN_UnaryOp<"erf", "the error function",
    [{ return math::ErfOp::create(b, l, x); }]>;
def NN_SoftplusOp : NN_UnaryOp<"softplus", "log(1 + exp(x))", [{
    // max(x, 0) + log1p(exp(-|x|)): no overflow for large x.
    Value ax = math::AbsFOp::create(b, l, x);
    Value t = math::Log1pOp::create(
        b, l, math::ExpOp::create(b, l, arith::NegFOp::create(b, l, ax)));
    return arith::AddFOp::create(b, l, arith::MaximumFOp::create(b, l, x, c(0)), t);
  }]>;
def NN_ExpOp : NN_UnaryOp<"exp", "e^x",
    [{ return math::ExpOp::create(b, l, x); }]>;
def NN_LogOp : NN_UnaryOp<"log", "the natural logarithm",
    [{ return math::LogOp::create(b, l, x); }]>;
def NN_SqrtOp : NN_UnaryOp<"sqrt", "the square root",
    [{ return math::SqrtOp::create(b, l, x); }]>;
def NN_RsqrtOp : NN_UnaryOp<"rsqrt", "1 / sqrt(x)",
    [{ return math::RsqrtOp::create(b, l, x); }]>;
def NN_AbsOp : NN_UnaryOp<"abs", "|x|",
    [{ return math::AbsFOp::create(b, l, x); }]>;
def NN_NegOp : NN_UnaryOp<"neg", "-x",
    [{ return arith::NegFOp::create(b, l, x); }]>;
def NN_SinOp : NN_UnaryOp<"sin", "sin(x)",
    [{ return math::SinOp::create(b, l, x); }]>;
def NN_CosOp : NN_UnaryOp<"cos", "cos(x)",
    [{ return math::CosOp::create(b, l, x); }]>;
def NN_SiluOp : NN_UnaryOp<"silu", "x * sigmoid(x)",
    [{ return arith::MulFOp::create(b, l, x, scalarSigmoid(b, l, x)); }]>;
def NN_SquareOp : NN_UnaryOp<"square", "x * x",
    [{ return arith::MulFOp::create(b, l, x, x); }]>;
def NN_FloorOp : NN_UnaryOp<"floor", "floor(x)",
    [{ return math::FloorOp::create(b, l, x); }]>;
def NN_SignOp : NN_UnaryOp<"sign", "sign(x)", [{
    Value pos = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x, c(0));
    Value neg = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x, c(0));
    return arith::SelectOp::create(
        b, l, pos, c(1), arith::SelectOp::create(b, l, neg, c(-1), c(0)));
  }]>;
def NN_Log1pOp : NN_UnaryOp<"log1p", "log(1 + x)",
    [{ return math::Log1pOp::create(b, l, x); }]>;
def NN_EluOp : NN_UnaryOp<"elu", "x if x > 0 else exp(x) - 1", [{
    Value pos = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x, c(0));
    return arith::SelectOp::create(b, l, pos, x, math::ExpM1Op::create(b, l, x));
  }]>;

def NN_LeakyReluOp
    : NN_Op<"leaky_relu", [Pure, VJP, EW,
                           AllTypesMatch<["input", "result"]>]> {
  let summary = "element-wise max(x, slope * x)";
  let builder = "emitLeakyRelu";
  let description = [{
    ```mlir
    %y = nn.leaky_relu %x {slope = 2.000000e-01 : f64} : tensor<?x256xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, F64Attr:$slope);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let builtins = ["leaky_relu"];
  let extraClassDefinition = NN_ScalarBody<[{
    Value x = args[0];
    Value pos = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x, c(0));
    Value s = arith::MulFOp::create(b, l, x, c(getSlope().convertToDouble()));
    return arith::SelectOp::create(b, l, pos, x, s);
  }]>.extraClassDefinition;
}

// `floatOp` and `intOp` are the arith/math ops of the scalar computation.
class NN_BinaryOp<string mnemonic, string math, string floatOp, string intOp,
                  list<Trait> traits = []>
    : NN_Op<mnemonic, !listconcat([Pure, VJP, EW], traits)> {
  let summary = "element-wise " # math # " with broadcasting";
  let description = "Computes " # math # [{ element by element. The shapes
    broadcast like NumPy (aligned on the right; a static 1 stretches); the
    result has the broadcast shape.

    ```mlir
    %z = nn.}] # mnemonic # [{ %a, %b : (tensor<?x256xf32>, tensor<256xf32>) -> tensor<?x256xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$lhs, NN_Tensor:$rhs);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let builtins = [mnemonic];
  let builder = "emitBinary";
  let extraClassDefinition = NN_ScalarBody<
      "if (isa<FloatType>(args[0].getType()))\n"
      "  return " # floatOp # "::create(b, l, args[0], args[1]);\n"
      "return " # intOp # "::create(b, l, args[0], args[1]);">.extraClassDefinition;
}

def NN_AddOp : NN_BinaryOp<"add", "a + b", "arith::AddFOp", "arith::AddIOp",
                           [Commutative]>;
def NN_SubOp : NN_BinaryOp<"sub", "a - b", "arith::SubFOp", "arith::SubIOp">;
def NN_MulOp : NN_BinaryOp<"mul", "a * b", "arith::MulFOp", "arith::MulIOp",
                           [Commutative]>;
def NN_DivOp : NN_BinaryOp<"div", "a / b", "arith::DivFOp", "arith::DivSIOp">;
def NN_MaximumOp : NN_BinaryOp<"maximum", "max(a, b)", "arith::MaximumFOp",
                               "arith::MaxSIOp", [Commutative]>;
def NN_MinimumOp : NN_BinaryOp<"minimum", "min(a, b)", "arith::MinimumFOp",
                               "arith::MinSIOp", [Commutative]>;
def NN_PowOp : NN_BinaryOp<"pow", "a ** b", "math::PowFOp", "math::IPowIOp">;
def NN_RemOp : NN_BinaryOp<"rem", "the remainder of a / b, with the sign of a (C's fmod; `%`)",
                           "arith::RemFOp", "arith::RemSIOp"> {
  let builtins = ["mod"];
}
// Logical operators of bool tensors (`&&`, `||`).
def NN_AndOp : NN_BinaryOp<"and", "a && b", "arith::AndIOp", "arith::AndIOp",
                           [Commutative]> {
  let builtins = ["and"];
}
def NN_OrOp : NN_BinaryOp<"or", "a || b", "arith::OrIOp", "arith::OrIOp",
                          [Commutative]> {
  let builtins = ["or"];
}

def NN_CompareOp : NN_Op<"compare", [Pure, VJP, EW]> {
  let summary = "element-wise comparison with broadcasting, giving i1";
  let description = [{
    `predicate` is one of `eq`, `ne`, `lt`, `le`, `gt`, `ge`.

    ```mlir
    %m = nn.compare lt, %a, %b : (tensor<?x10xf32>, tensor<f32>) -> tensor<?x10xi1>
    ```
  }];
  let arguments = (ins NN_ComparePredicate:$predicate, NN_Tensor:$lhs, NN_Tensor:$rhs);
  let results = (outs TensorOf<[I1]>:$result);
  let assemblyFormat =
      "$predicate `,` $lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let builtins = ["eq", "ne", "lt", "le", "gt", "ge"];
  let builder = "emitCompare";
  let extraClassDefinition = NN_ScalarBody<[{
    return scalarCompare(b, l, getPredicate(), args[0], args[1]);
  }]>.extraClassDefinition;
}

def NN_ConstantOp
    : NN_Op<"constant", [Pure, VJP, ConstantLike, AllTypesMatch<["value", "result"]>]> {
  let summary = "a scalar or dense constant";
  let description = [{
    ```mlir
    %half = nn.constant dense<5.000000e-01> : tensor<f32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$value attr-dict";
  let hasFolder = 1;
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Linear algebra, shapes
//===----------------------------------------------------------------------===//

def NN_MatmulOp : NN_Op<"matmul", [Pure, VJP]> {
  let summary = "matrix product with batch broadcasting";
  let builtins = ["matmul"];
  let builder = "emitMatmul";
  let description = [{
    `[..., M, K] x [..., K, N] -> [..., M, N]`; leading (batch) dimensions
    broadcast. The inner dimensions must agree.

    ```mlir
    %y = nn.matmul %x, %w : (tensor<?x784xf32>, tensor<784x256xf32>) -> tensor<?x256xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$lhs, NN_FloatTensor:$rhs);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def NN_ReshapeOp : NN_Op<"reshape", [Pure, VJP]> {
  let summary = "same elements, new shape";
  let builtins = ["reshape", "flatten", "squeeze", "unsqueeze"];
  let description = [{
    The result type gives the new shape; a dynamic result dimension takes
    the remaining elements (at most one may be dynamic). `flatten` lowers
    to this op.

    ```mlir
    %f = nn.reshape %x : tensor<?x28x28xf32> to tensor<?x784xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def NN_TransposeOp : NN_Op<"transpose", [Pure, VJP]> {
  let summary = "permute dimensions";
  let builtins = ["transpose"];
  let builder = "emitTranspose";
  let description = [{
    Result dimension `i` is operand dimension `perm[i]`.

    ```mlir
    %t = nn.transpose %x {perm = array<i64: 1, 0>} : tensor<?x4xf32> -> tensor<4x?xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def NN_SliceOp : NN_Op<"slice", [Pure, VJP]> {
  let summary = "strided slice, optionally dropping unit dimensions";
  let builtins = ["slice"];
  let builder = "emitSlice";
  let description = [{
    For each operand dimension: `starts[i]`, `sizes[i]` (-1: the whole,
    dynamic dimension) and `strides[i]`; the dimensions listed in `squeeze`
    (which must have size 1) are dropped from the result.

    ```mlir
    %s = nn.slice %x {starts = array<i64: 0, 3>, sizes = array<i64: -1, 1>,
                      strides = array<i64: 1, 1>, squeeze = array<i64: 1>}
         : tensor<?x10xf32> -> tensor<?xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$starts,
                   DenseI64ArrayAttr:$sizes, DenseI64ArrayAttr:$strides,
                   DenseI64ArrayAttr:$squeeze);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def NN_ConcatOp : NN_Op<"concat", [Pure, VJP]> {
  let summary = "join tensors along an axis";
  let builtins = ["concat", "stack"];
  let builder = "emitConcat";
  let description = [{
    ```mlir
    %c = nn.concat %a, %b {axis = 1 : i64} : (tensor<?x3xf32>, tensor<?x5xf32>) -> tensor<?x8xf32>
    ```
  }];
  let arguments = (ins Variadic<NN_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat =
      "$inputs attr-dict `:` functional-type($inputs, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Reductions and normalisation
//===----------------------------------------------------------------------===//

def NN_ReduceOp : NN_Op<"reduce", [Pure, VJP]> {
  let summary = "reduce over axes: sum, mean, max, min, prod, logsumexp, argmax, argmin";
  let builtins = ["sum", "mean", "max", "min", "prod", "logsumexp", "argmax", "argmin", "global_avgpool"];
  let builder = "emitReduce";
  let description = [{
    ```mlir
    %s = nn.reduce sum, %x {axes = array<i64: 1>, keepdims = false} : tensor<?x10xf32> -> tensor<?xf32>
    ```
  }];
  let arguments = (ins NN_ReduceKind:$kind, NN_Tensor:$input,
                   DenseI64ArrayAttr:$axes, BoolAttr:$keepdims);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat =
      "$kind `,` $input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def NN_SoftmaxOp
    : NN_Op<"softmax", [Pure, VJP, AllTypesMatch<["input", "result"]>]> {
  let summary = "softmax (or log-softmax) along an axis, numerically stable";
  let builtins = ["softmax", "log_softmax"];
  let builder = "emitSoftmax";
  let description = [{
    ```mlir
    %p = nn.softmax %x {axis = 1 : i64, log = true} : tensor<?x10xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, I64Attr:$axis, BoolAttr:$log);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def NN_OneHotOp : NN_Op<"one_hot", [Pure, VJP]> {
  let summary = "integer labels to one-hot vectors";
  let builtins = ["one_hot"];
  let description = [{
    ```mlir
    %o = nn.one_hot %labels : tensor<?xi64> -> tensor<?x10xf32>
    ```
  }];
  let arguments = (ins TensorOf<[I32, I64]>:$input);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Convolution and pooling (NHWC)
//===----------------------------------------------------------------------===//

def NN_Conv2DOp : NN_Op<"conv2d", [Pure, VJP]> {
  let summary = "2-D convolution, NHWC input, HWCF weights";
  let builtins = ["conv"];
  let builder = "emitConv";
  let description = [{
    `padding` is `[top, bottom, left, right]`.

    ```mlir
    %y = nn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
                           dilation = array<i64: 1, 1>, groups = 1 : i64}
         : (tensor<?x28x28x1xf32>, tensor<3x3x1x32xf32>) -> tensor<?x26x26x32xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$filter,
                   DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                   DenseI64ArrayAttr:$dilation, I64Attr:$groups);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat =
      "$input `,` $filter attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def NN_Conv2DFilterGradOp : NN_Op<"conv2d_filter_grad", [Pure, VJP]> {
  let summary = "the filter cotangent of nn.conv2d";
  let description = [{
    Given the input of an `nn.conv2d` and the cotangent of its result, the
    cotangent of its filter:
    `out[kh, kw, c, f] = sum_{n, y, x} in[n, y*s0 + kh*d0, x*s1 + kw*d1, c]
    * grad[n, y, x, f]` with `in` zero-padded by `padding` (`[top, bottom,
    left, right]`); with `groups` G, filter f of group g (f / (F / G))
    reads input channel g * (C / G) + c. The result has the filter's
    shape; the input and the cotangent keep their layouts (no
    transposes).

    ```mlir
    %dw = nn.conv2d_filter_grad %x, %g {stride = array<i64: 1, 1>,
              padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>}
          : (tensor<?x28x28x1xf32>, tensor<?x28x28x32xf32>) -> tensor<3x3x1x32xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$grad,
                   DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                   DenseI64ArrayAttr:$dilation,
                   DefaultValuedAttr<I64Attr, "1">:$groups);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat =
      "$input `,` $grad attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def NN_ConvTranspose2DOp : NN_Op<"conv_transpose2d", [Pure, VJP]> {
  let summary = "transposed 2-D convolution (learned upsampling), NHWC, HWCF";
  let builtins = ["conv_transpose"];
  let builder = "emitConvTranspose";
  let description = [{
    The gradient of a strided convolution with respect to its input:
    `out = (in - 1) * stride - 2 * padding + kernel` per spatial dimension.
    Filter `[KH, KW, C_in, C_out]`.

    ```mlir
    %y = nn.conv_transpose2d %x, %w {stride = array<i64: 2, 2>, padding = array<i64: 0, 0>}
         : (tensor<?x7x7x16xf32>, tensor<3x3x16x8xf32>) -> tensor<?x15x15x8xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$filter,
                   DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat =
      "$input `,` $filter attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def NN_Pool2DOp : NN_Op<"pool2d", [Pure, VJP]> {
  let summary = "max or average pooling over windows, NHWC";
  let builtins = ["maxpool", "avgpool"];
  let builder = "emitPool";
  let description = [{
    ```mlir
    %p = nn.pool2d max, %x {window = array<i64: 2, 2>, stride = array<i64: 2, 2>,
                            padding = array<i64: 0, 0, 0, 0>}
         : tensor<?x24x24x32xf32> -> tensor<?x12x12x32xf32>
    ```
  }];
  let arguments = (ins NN_PoolKind:$kind, NN_FloatTensor:$input,
                   DenseI64ArrayAttr:$window, DenseI64ArrayAttr:$stride,
                   DenseI64ArrayAttr:$padding);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat =
      "$kind `,` $input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def NN_Pool2DGradOp : NN_Op<"pool2d_grad", [Pure, VJP,
                                           AllTypesMatch<["input", "result"]>]> {
  let summary = "the input cotangent of nn.pool2d, for any windows";
  let description = [{
    The backward of `nn.pool2d` with the same attributes, given its input
    and the cotangent of its result: `max` sends each window's cotangent to
    the first position (row-major) holding the window's maximum, as
    PyTorch does; `avg` spreads it evenly over the window (padding
    included, like the forward). Windows may overlap and be padded.

    ```mlir
    %dx = nn.pool2d_grad max, %x, %g {window = array<i64: 3, 3>, stride = array<i64: 1, 1>,
                                       padding = array<i64: 1, 1, 1, 1>}
          : (tensor<?x14x14x8xf32>, tensor<?x14x14x8xf32>) -> tensor<?x14x14x8xf32>
    ```
  }];
  let arguments = (ins NN_PoolKind:$kind, NN_FloatTensor:$input,
                   NN_FloatTensor:$grad, DenseI64ArrayAttr:$window,
                   DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $kind `,` $input `,` $grad attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_Pool2DTakeOp : NN_Op<"pool2d_take", [Pure, VJP,
                                           AllTypesMatch<["input", "source"]>]> {
  let summary = "values of a tensor at the arg-max of each max-pool window";
  let description = [{
    For every window of max pooling `input` (same attributes as
    `nn.pool2d`), the value of `source` at the first position (row-major)
    holding the window's maximum. The adjoint of `nn.pool2d_grad max` in
    its cotangent, so second derivatives through max pooling exist; its own
    derivative in `source` routes back with `nn.pool2d_grad`.

    ```mlir
    %y = nn.pool2d_take %x, %u {window = array<i64: 2, 2>, stride = array<i64: 2, 2>,
                                padding = array<i64: 0, 0, 0, 0>}
         : (tensor<?x8x8x3xf32>, tensor<?x8x8x3xf32>) -> tensor<?x4x4x3xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$source,
                   DenseI64ArrayAttr:$window, DenseI64ArrayAttr:$stride,
                   DenseI64ArrayAttr:$padding);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $source attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Selection, embeddings, normalisation, regularisation
//===----------------------------------------------------------------------===//

def NN_SelectOp : NN_Op<"select", [Pure, VJP, EW]> {
  let summary = "element-wise `cond ? a : b` with broadcasting (`where`)";
  let description = [{
    ```mlir
    %y = nn.select %m, %a, %b : (tensor<?x10xi1>, tensor<?x10xf32>, tensor<f32>) -> tensor<?x10xf32>
    ```
  }];
  let arguments = (ins TensorOf<[I1]>:$cond, NN_Tensor:$lhs, NN_Tensor:$rhs);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat =
      "$cond `,` $lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let builtins = ["where"];
  let extraClassDefinition = NN_ScalarBody<[{
    return arith::SelectOp::create(b, l, args[0], args[1], args[2]);
  }]>.extraClassDefinition;
}

def NN_CastOp : NN_Op<"cast", [Pure, VJP, EW]> {
  let summary = "convert the element type (floats truncate toward zero to ints)";
  let description = [{
    ```mlir
    %f = nn.cast %labels : tensor<?xi64> to tensor<?xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let builtins = ["cast"];
  let extraClassDefinition = NN_ScalarBody<[{
    return scalarCast(b, l, args[0], et);
  }]>.extraClassDefinition;
}

def NN_ClipOp : NN_Op<"clip", [Pure, VJP, EW,
                               AllTypesMatch<["input", "result"]>]> {
  let summary = "clamp to [low, high]";
  let builder = "emitClip";
  let description = [{
    ```mlir
    %c = nn.clip %x {low = 0.0 : f64, high = 1.0 : f64} : tensor<?x784xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, F64Attr:$low, F64Attr:$high);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
  let builtins = ["clip"];
  let extraClassDefinition = NN_ScalarBody<[{
    Value v = arith::MinimumFOp::create(b, l, args[0],
                                        c(getHigh().convertToDouble()));
    return arith::MaximumFOp::create(b, l, v, c(getLow().convertToDouble()));
  }]>.extraClassDefinition;
}

def NN_StopGradientOp
    : NN_Op<"stop_gradient", [Pure, VJP, AllTypesMatch<["input", "result"]>]> {
  let summary = "identity in the forward pass; no gradient flows through";
  let builtins = ["stop_gradient"];
  let description = [{
    ```mlir
    %f = nn.stop_gradient %fake : tensor<?x784xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def NN_GatherOp : NN_Op<"gather", [Pure, VJP]> {
  let summary = "rows of a table by integer index (embedding lookup)";
  let builtins = ["gather"];
  let description = [{
    `table[V, D...]`, `index[I...]` -> `[I..., D...]`. An index outside
    `[0, V)` reads row 0 (the runtime checks data before it gets here).

    ```mlir
    %e = nn.gather %table, %ids : (tensor<128x64xf32>, tensor<?x?xi64>) -> tensor<?x?x64xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$table, TensorOf<[I32, I64]>:$index);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat =
      "$table `,` $index attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def NN_LayerNormOp
    : NN_Op<"layer_norm", [Pure, VJP, AllTypesMatch<["input", "result"]>]> {
  let summary = "normalise over the trailing dimensions of the scale";
  let builtins = ["layer_norm"];
  let builder = "emitLayerNorm";
  let description = [{
    `(x - mean) / sqrt(var + eps) * gamma + beta`, the statistics taken
    over the last `rank(gamma)` dimensions (biased variance, like PyTorch).

    ```mlir
    %y = nn.layer_norm %x, %g, %b {eps = 1.0e-05 : f64}
         : (tensor<?x16x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x16x64xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$gamma,
                   NN_FloatTensor:$beta, F64Attr:$eps);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat =
      "$input `,` $gamma `,` $beta attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def NN_BatchNormOp
    : NN_Op<"batch_norm", [Pure, VJP, AllTypesMatch<["input", "result"]>]> {
  let summary = "batch normalisation over all dimensions but the last";
  let builtins = ["batch_norm"];
  let builder = "emitBatchNorm";
  let description = [{
    In evaluation (`training = false`) it uses the running statistics
    `mean`/`var`; in training the batch's own (biased) statistics. The
    running statistics are updated by the training step, not by this op.

    ```mlir
    %y = nn.batch_norm %x, %g, %b, %m, %v {eps = 1.0e-05 : f64, training = false}
         : (tensor<?x28x28x32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>)
         -> tensor<?x28x28x32xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$gamma,
                   NN_FloatTensor:$beta, NN_FloatTensor:$mean,
                   NN_FloatTensor:$var, F64Attr:$eps, BoolAttr:$training);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $gamma `,` $beta `,` $mean `,` $var attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_ChannelMomentsOp : NN_Op<"channel_moments", [Pure, VJP]> {
  let summary = "per-channel mean and biased variance of a batch";
  let description = [{
    Batch norm's statistics: the mean and the biased variance of `x` over
    every dimension but the last, each shaped `[C]`, in two passes over
    `x` (the sum, then the corrected sums of `x - mean` and its square).
    A training step's forward, backward and running-statistics update all
    ask for the same op, so CSE leaves one.

    ```mlir
    %m, %v = nn.channel_moments %x : tensor<?x28x28x32xf32> -> tensor<32xf32>, tensor<32xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input);
  let results = (outs NN_FloatTensor:$mean, NN_FloatTensor:$var);
  let assemblyFormat =
      "$input attr-dict `:` type($input) `->` type($mean) `,` type($var)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The axes batch norm's statistics of `x` are taken over: every one
    /// but the last.
    static ::llvm::SmallVector<int64_t> axesOf(::mlir::Value x);
  }];
}

def NN_BatchNormGradOp : NN_Op<"batch_norm_grad", [Pure, VJP]> {
  let summary = "the cotangents of training-mode nn.batch_norm";
  let description = [{
    Given the result's cotangent `g`, the input `x`, the scale and the
    batch's own statistics (`nn.channel_moments` of `x`): with
    `x^ = (x - mean) rsqrt(var + eps)` and `n` elements per channel,
    `dbeta = sum(g)`, `dgamma = sum(g x^)` over every dimension but the
    last, and `dx = gamma rsqrt(var + eps) (g - (dbeta + x^ dgamma) / n)`.
    Lowered to one loop taking both sums and one element-wise loop.

    ```mlir
    %dx, %dg, %db = nn.batch_norm_grad %g, %x, %gamma, %m, %v {eps = 1.0e-05 : f64}
         : (tensor<?x4x4x8xf32>, tensor<?x4x4x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>)
         -> (tensor<?x4x4x8xf32>, tensor<8xf32>, tensor<8xf32>)
    ```
  }];
  let arguments = (ins NN_FloatTensor:$grad, NN_FloatTensor:$input,
                   NN_FloatTensor:$gamma, NN_FloatTensor:$mean,
                   NN_FloatTensor:$var, F64Attr:$eps);
  let results = (outs NN_FloatTensor:$input_grad, NN_FloatTensor:$gamma_grad,
                 NN_FloatTensor:$beta_grad);
  let assemblyFormat = [{
    $grad `,` $input `,` $gamma `,` $mean `,` $var attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_DropoutOp : NN_Op<"dropout", [Pure, VJP, AllTypesMatch<["input", "result"]>]> {
  let summary = "zero elements with probability `rate` in training";
  let builtins = ["dropout"];
  let builder = "emitDropout";
  let description = [{
    Identity in evaluation. In training, element i is kept (and scaled by
    1 / (1 - rate)) when the Philox stream `seed` gives u_i >= rate, so the
    backward pass regenerates the same mask. The optional `stream` (a train
    step's step number) goes into the high counter words: a fresh mask
    every step.

    ```mlir
    %y = nn.dropout %x {rate = 5.0e-01 : f64, seed = 7 : i64, training = false} : tensor<?x256xf32>
    %z = nn.dropout %x stream %step : tensor<i64> {rate = 5.0e-01 : f64, seed = 7 : i64, training = true} : tensor<?x256xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, Optional<0DTensorOf<[I64]>>:$stream,
                   F64Attr:$rate, I64Attr:$seed, BoolAttr:$training);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`stream` $stream^ `:` type($stream))? attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

def NN_UpsampleOp : NN_Op<"upsample", [Pure, VJP]> {
  let summary = "nearest-neighbour upsampling of NHWC images";
  let builtins = ["upsample"];
  let builder = "emitUpsample";
  let description = [{
    ```mlir
    %u = nn.upsample %x {factor = 2 : i64} : tensor<?x7x7x8xf32> -> tensor<?x14x14x8xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, I64Attr:$factor);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Random numbers
//===----------------------------------------------------------------------===//

def NN_RandomOp : NN_Op<"random", [Pure, VJP, AttrSizedOperandSegments]> {
  let summary = "counter-based random tensor (Philox4x32-10)";
  let builtins = ["normal", "uniform", "gumbel", "normal_like", "uniform_like", "gumbel_like"];
  let builder = "emitRandom";
  let description = [{
    Element i (row-major) is drawn from the Philox block at counter
    `offset + i / 4` with key `seed`, word `i % 4` — the stream of the
    runtime's `nnc_rng_*` functions, so JIT, executables and the runtime
    agree, and a backward pass can regenerate the same noise. `kind` is
    `uniform` (in [a, b)), `normal` (mean a, std b, Box-Muller on word
    pairs) or `gumbel`. `dynamic_sizes` give the `?` dimensions. The
    optional `stream` fills the counter's high words (fresh noise per train
    step; 0 is the runtime's stream).

    ```mlir
    %eps = nn.random normal %b {seed = 7 : i64, offset = 0 : i64, a = 0.0 : f64, b = 1.0 : f64} : tensor<?x16xf32>
    ```
  }];
  let arguments = (ins NN_RandomKind:$kind, Variadic<Index>:$dynamic_sizes,
                   Optional<0DTensorOf<[I64]>>:$stream,
                   I64Attr:$seed, I64Attr:$offset, F64Attr:$a, F64Attr:$b);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $kind ($dynamic_sizes^)? (`stream` $stream^ `:` type($stream))? attr-dict
    `:` type($result)
  }];
  let hasVerifier = 1;
}

def NN_FillOp : NN_Op<"fill", [Pure, VJP]> {
  let summary = "a tensor of one value (zeros, ones, full)";
  let builtins = ["zeros", "ones", "full", "zeros_like", "ones_like"];
  let builder = "emitFill";
  let description = [{
    ```mlir
    %o = nn.fill %b {value = 1.0 : f64} : tensor<?x1xf32>
    ```
  }];
  let arguments = (ins Variadic<Index>:$dynamic_sizes, F64Attr:$value);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "($dynamic_sizes^)? attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def NN_BernoulliOp : NN_Op<"bernoulli", [Pure, VJP, AllTypesMatch<["p", "result"]>]> {
  let summary = "1 with probability p, else 0 (Philox stream as nn.random)";
  let builtins = ["bernoulli"];
  let builder = "emitBernoulli";
  let description = [{
    ```mlir
    %m = nn.bernoulli %p {seed = 3 : i64, offset = 0 : i64} : tensor<?x256xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$p, Optional<0DTensorOf<[I64]>>:$stream,
                   I64Attr:$seed, I64Attr:$offset);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $p (`stream` $stream^ `:` type($stream))? attr-dict `:` type($p)
  }];
}

//===----------------------------------------------------------------------===//
// The gradient exchange of data-parallel training (a train step compiled to
// run under MPI): each rank's gradients are summed across ranks, weighted
// by the rank's share of the global batch, before the optimizer reads them.
// Tensor form in the step; bufferization turns them into the memref form
// (no results), which nnc-collective-calls lowers to runtime calls
// (runtime/src/Collectives.cpp). Outside MPI the calls do nothing.
//===----------------------------------------------------------------------===//

def NN_AllreduceStartOp
    : NN_Op<
          "allreduce_start",
          [DeclareOpInterfaceMethods<MemoryEffectsOpInterface>,
           DeclareOpInterfaceMethods<
               BufferizableOpInterface, ["bufferizesToMemoryRead",
                                         "bufferizesToMemoryWrite",
                                         "getAliasingValues", "bufferize"]>]> {
  let summary = "hands gradient `index` to the exchange as soon as it is known";
  let description = [{
    Copies the gradient into the exchange's buckets (the runtime starts a
    bucket's allreduce once it is full); `nn.allreduce_wait` gives the
    summed values back. Placed right after the gradient's producer so that
    the exchange of early buckets overlaps the rest of the backward pass.

    ```mlir
    nn.allreduce_start %g {index = 0 : i64} : tensor<784x128xf32>
    ```
  }];
  let arguments = (ins AnyTypeOf<[F32Tensor, F32MemRef]>:$grad, I64Attr:$index);
  let assemblyFormat = "$grad attr-dict `:` type($grad)";
  let hasVerifier = 1;
}

def NN_AllreduceWaitOp
    : NN_Op<
          "allreduce_wait",
          [DeclareOpInterfaceMethods<MemoryEffectsOpInterface>,
           DeclareOpInterfaceMethods<
               BufferizableOpInterface, ["bufferizesToMemoryRead",
                                         "bufferizesToMemoryWrite",
                                         "getAliasingValues", "bufferize"]>]> {
  let summary = "the gradients summed across ranks (operand k: index k)";
  let description = [{
    Waits for every bucket of the step's exchange and writes gradient k's
    summed value into operand k (memref form) or returns it as result k
    (tensor form).

    ```mlir
    %s:2 = nn.allreduce_wait %g0, %g1 : tensor<784x128xf32>, tensor<128xf32>
               -> tensor<784x128xf32>, tensor<128xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyTypeOf<[F32Tensor, F32MemRef]>>:$grads);
  let results = (outs Variadic<F32Tensor>:$results);
  let assemblyFormat =
      "$grads attr-dict `:` type($grads) (`->` type($results)^)?";
  let hasVerifier = 1;
}

#endif // NNC_DIALECT_NNOPS_TD
