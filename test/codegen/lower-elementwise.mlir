// nn-lower-to-linalg of the element-wise ops, one case per op: each is one
// parallel linalg.generic whose body computes the op's scalar formula
// (binary ops on integers use the integer arith ops), plus the ops that
// lower to a constant, a fill or nothing. Broadcasting and the bias + relu
// case are in lower-to-linalg.mlir.
// RUN: nnc-opt %s --split-input-file --nn-lower-to-linalg | FileCheck %s

// CHECK-LABEL: func.func @sigmoid(
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel"]
// CHECK-NEXT: ^bb0(%[[X:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[N:.*]] = arith.negf %[[X]] : f32
// CHECK: %[[E:.*]] = math.exp %[[N]] : f32
// CHECK: %[[D:.*]] = arith.addf %[[ONE]], %[[E]] : f32
// CHECK: %[[R:.*]] = arith.divf %[[ONE]], %[[D]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
// CHECK-NOT: nn.
func.func @sigmoid(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.sigmoid %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @tanh(
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel"]
// CHECK-NEXT: ^bb0(%[[X:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT: %[[R:.*]] = math.tanh %[[X]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @tanh(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.tanh %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// gelu, erf form: x/2 * (1 + erf(x / sqrt(2))).
// CHECK-LABEL: func.func @gelu(
// CHECK: ^bb0(%[[X:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-DAG: %[[RS2:.*]] = arith.constant 0.707106769 : f32
// CHECK-DAG: %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[S:.*]] = arith.mulf %[[X]], %[[RS2]] : f32
// CHECK-DAG: %[[E:.*]] = math.erf %[[S]] : f32
// CHECK-DAG: %[[H:.*]] = arith.mulf %[[X]], %[[HALF]] : f32
// CHECK-DAG: %[[P:.*]] = arith.addf %[[ONE]], %[[E]] : f32
// CHECK: %[[R:.*]] = arith.mulf %[[H]], %[[P]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @gelu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.gelu %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @erf(
// CHECK: ^bb0(%[[X:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT: %[[R:.*]] = math.erf %[[X]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @erf(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.erf %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// softplus without overflow: max(x, 0) + log1p(exp(-|x|)).
// CHECK-LABEL: func.func @softplus(
// CHECK: ^bb0(%[[X:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-DAG: %[[A:.*]] = math.absf %[[X]] : f32
// CHECK-DAG: %[[N:.*]] = arith.negf %[[A]] : f32
// CHECK-DAG: %[[E:.*]] = math.exp %[[N]] : f32
// CHECK-DAG: %[[L:.*]] = math.log1p %[[E]] : f32
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[M:.*]] = arith.maximumf %[[X]], %[[ZERO]] : f32
// CHECK: %[[R:.*]] = arith.addf %[[M]], %[[L]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @softplus(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.softplus %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// On f64 and a dynamic dimension: the body is f64, the result's size is
// read from the operand.
// CHECK-LABEL: func.func @exp(
// CHECK: %[[D:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x3xf64>
// CHECK: tensor.empty(%[[D]]) : tensor<?x3xf64>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK-NEXT: ^bb0(%[[X:[^:]*]]: f64, %{{[^:]*}}: f64):
// CHECK-NEXT: %[[R:.*]] = math.exp %[[X]] : f64
// CHECK-NEXT: linalg.yield %[[R]] : f64
func.func @exp(%x: tensor<?x3xf64>) -> tensor<?x3xf64> {
  %0 = nn.exp %x : tensor<?x3xf64>
  return %0 : tensor<?x3xf64>
}

// -----

// CHECK-LABEL: func.func @log(
// CHECK: ^bb0(%[[X:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT: %[[R:.*]] = math.log %[[X]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @log(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.log %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @sqrt(
// CHECK: ^bb0(%[[X:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT: %[[R:.*]] = math.sqrt %[[X]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @sqrt(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.sqrt %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @rsqrt(
// CHECK: ^bb0(%[[X:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT: %[[R:.*]] = math.rsqrt %[[X]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @rsqrt(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.rsqrt %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @abs(
// CHECK: ^bb0(%[[X:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT: %[[R:.*]] = math.absf %[[X]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @abs(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.abs %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @neg(
// CHECK: ^bb0(%[[X:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT: %[[R:.*]] = arith.negf %[[X]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @neg(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.neg %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @sin(
// CHECK: ^bb0(%[[X:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT: %[[R:.*]] = math.sin %[[X]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @sin(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.sin %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @cos(
// CHECK: ^bb0(%[[X:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT: %[[R:.*]] = math.cos %[[X]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @cos(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.cos %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// silu: x * sigmoid(x), in the same loop.
// CHECK-LABEL: func.func @silu(
// CHECK: ^bb0(%[[X:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[N:.*]] = arith.negf %[[X]] : f32
// CHECK: %[[E:.*]] = math.exp %[[N]] : f32
// CHECK: %[[D:.*]] = arith.addf %[[ONE]], %[[E]] : f32
// CHECK: %[[S:.*]] = arith.divf %[[ONE]], %[[D]] : f32
// CHECK: %[[R:.*]] = arith.mulf %[[X]], %[[S]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @silu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.silu %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @square(
// CHECK: ^bb0(%[[X:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT: %[[R:.*]] = arith.mulf %[[X]], %[[X]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @square(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.square %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @floor(
// CHECK: ^bb0(%[[X:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT: %[[R:.*]] = math.floor %[[X]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @floor(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.floor %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// sign: 1 if x > 0, else -1 if x < 0, else 0 (so sign(NaN) = 0).
// CHECK-LABEL: func.func @sign(
// CHECK: ^bb0(%[[X:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-DAG: %[[POS:.*]] = arith.cmpf ogt, %[[X]], %{{.*}} : f32
// CHECK-DAG: %[[NEG:.*]] = arith.cmpf olt, %[[X]], %{{.*}} : f32
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[MONE:.*]] = arith.constant -1.000000e+00 : f32
// CHECK: %[[IN:.*]] = arith.select %[[NEG]], %[[MONE]], %{{.*}} : f32
// CHECK: %[[R:.*]] = arith.select %[[POS]], %[[ONE]], %[[IN]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @sign(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.sign %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @log1p(
// CHECK: ^bb0(%[[X:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT: %[[R:.*]] = math.log1p %[[X]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @log1p(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.log1p %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// elu: x if x > 0 else expm1(x).
// CHECK-LABEL: func.func @elu(
// CHECK: ^bb0(%[[X:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-DAG: %[[POS:.*]] = arith.cmpf ogt, %[[X]], %{{.*}} : f32
// CHECK-DAG: %[[E:.*]] = math.expm1 %[[X]] : f32
// CHECK: %[[R:.*]] = arith.select %[[POS]], %[[X]], %[[E]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @elu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.elu %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// leaky_relu: x if x > 0 else slope * x.
// CHECK-LABEL: func.func @leaky_relu(
// CHECK: ^bb0(%[[X:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-DAG: %[[POS:.*]] = arith.cmpf ogt, %[[X]], %{{.*}} : f32
// CHECK-DAG: %[[SLOPE:.*]] = arith.constant 2.000000e-01 : f32
// CHECK-DAG: %[[S:.*]] = arith.mulf %[[X]], %[[SLOPE]] : f32
// CHECK: %[[R:.*]] = arith.select %[[POS]], %[[X]], %[[S]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @leaky_relu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.leaky_relu %x {slope = 0.2 : f64} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Both operands stretched along a unit dimension: the constant 0 in their
// indexing maps.
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @sub(
// CHECK: linalg.generic {indexing_maps = [#[[COL]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%arg0, %arg1 : tensor<4x1xf32>, tensor<1x3xf32>) outs(%{{.*}} : tensor<4x3xf32>)
// CHECK-NEXT: ^bb0(%[[A:[^:]*]]: f32, %[[B:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT: %[[R:.*]] = arith.subf %[[A]], %[[B]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @sub(%a: tensor<4x1xf32>, %b: tensor<1x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.sub %a, %b : (tensor<4x1xf32>, tensor<1x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// CHECK-LABEL: func.func @mul(
// CHECK: ^bb0(%[[A:[^:]*]]: f32, %[[B:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT: %[[R:.*]] = arith.mulf %[[A]], %[[B]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @mul(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.mul %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @maximum(
// CHECK: ^bb0(%[[A:[^:]*]]: f32, %[[B:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT: %[[R:.*]] = arith.maximumf %[[A]], %[[B]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @maximum(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.maximum %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @minimum(
// CHECK: ^bb0(%[[A:[^:]*]]: f32, %[[B:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT: %[[R:.*]] = arith.minimumf %[[A]], %[[B]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @minimum(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.minimum %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// A scalar exponent: its map has no results.
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0) -> ()>
// CHECK-LABEL: func.func @pow(
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[SCALAR]], #{{.*}}]
// CHECK-NEXT: ^bb0(%[[A:[^:]*]]: f32, %[[B:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT: %[[R:.*]] = math.powf %[[A]], %[[B]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @pow(%a: tensor<4xf32>, %b: tensor<f32>) -> tensor<4xf32> {
  %0 = nn.pow %a, %b : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// rem (`%`): the remainder with the sign of the dividend (C's fmod;
// truncated division for integers).
// CHECK-LABEL: func.func @rem(
// CHECK: ^bb0(%[[A:[^:]*]]: f32, %[[B:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT: %[[R:.*]] = arith.remf %[[A]], %[[B]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
// CHECK: ^bb0(%[[I:[^:]*]]: i64, %[[J:[^:]*]]: i64, %{{[^:]*}}: i64):
// CHECK-NEXT: %[[K:.*]] = arith.remsi %[[I]], %[[J]] : i64
// CHECK-NEXT: linalg.yield %[[K]] : i64
func.func @rem(%a: tensor<4xf32>, %b: tensor<f32>, %i: tensor<4xi64>, %j: tensor<4xi64>) -> (tensor<4xf32>, tensor<4xi64>) {
  %0 = nn.rem %a, %b : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = nn.rem %i, %j : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  return %0, %1 : tensor<4xf32>, tensor<4xi64>
}

// -----

// and, or (`&&`, `||`) on bool tensors: the bitwise ops on i1.
// CHECK-LABEL: func.func @logical(
// CHECK: ^bb0(%[[P:[^:]*]]: i1, %[[Q:[^:]*]]: i1, %{{[^:]*}}: i1):
// CHECK-NEXT: %[[A:.*]] = arith.andi %[[P]], %[[Q]] : i1
// CHECK-NEXT: linalg.yield %[[A]] : i1
// CHECK: ^bb0(%[[P2:[^:]*]]: i1, %[[Q2:[^:]*]]: i1, %{{[^:]*}}: i1):
// CHECK-NEXT: %[[O:.*]] = arith.ori %[[P2]], %[[Q2]] : i1
// CHECK-NEXT: linalg.yield %[[O]] : i1
func.func @logical(%p: tensor<4xi1>, %q: tensor<4xi1>) -> (tensor<4xi1>, tensor<4xi1>) {
  %0 = nn.and %p, %q : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %1 = nn.or %p, %q : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  return %0, %1 : tensor<4xi1>, tensor<4xi1>
}

// -----

// Integer operands: the integer arith ops (signed division, min and max).
// CHECK-LABEL: func.func @integer_binary(
// CHECK: arith.addi %{{.*}}, %{{.*}} : i64
// CHECK: arith.subi %{{.*}}, %{{.*}} : i64
// CHECK: arith.muli %{{.*}}, %{{.*}} : i64
// CHECK: arith.divsi %{{.*}}, %{{.*}} : i64
// CHECK: arith.maxsi %{{.*}}, %{{.*}} : i64
// CHECK: arith.minsi %{{.*}}, %{{.*}} : i64
// CHECK: math.ipowi %{{.*}}, %{{.*}} : i64
// CHECK-NOT: arith.{{[a-z]+}}f
func.func @integer_binary(%a: tensor<4xi64>, %b: tensor<4xi64>) -> (tensor<4xi64>, tensor<4xi64>, tensor<4xi64>, tensor<4xi64>, tensor<4xi64>, tensor<4xi64>, tensor<4xi64>) {
  %0 = nn.add %a, %b : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %1 = nn.sub %a, %b : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %2 = nn.mul %a, %b : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %3 = nn.div %a, %b : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %4 = nn.maximum %a, %b : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %5 = nn.minimum %a, %b : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %6 = nn.pow %a, %b : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<4xi64>, tensor<4xi64>, tensor<4xi64>, tensor<4xi64>, tensor<4xi64>, tensor<4xi64>, tensor<4xi64>
}

// -----

// Comparisons of floats are ordered except "ne" (unordered: NaN != x).
// CHECK-LABEL: func.func @compare_float(
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<4xi1>)
// CHECK-NEXT: ^bb0(%{{[^:]*}}: f32, %{{[^:]*}}: f32, %{{[^:]*}}: i1):
// CHECK-NEXT: arith.cmpf oeq
// CHECK: arith.cmpf une
// CHECK: arith.cmpf olt
// CHECK: arith.cmpf ole
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpf oge
func.func @compare_float(%a: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>) {
  %0 = nn.compare eq, %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %1 = nn.compare ne, %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %2 = nn.compare lt, %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %3 = nn.compare le, %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %4 = nn.compare gt, %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %5 = nn.compare ge, %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  return %0, %1, %2, %3, %4, %5 : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>
}

// -----

// Comparisons of integers are signed.
// CHECK-LABEL: func.func @compare_int(
// CHECK: arith.cmpi eq
// CHECK: arith.cmpi ne
// CHECK: arith.cmpi slt
// CHECK: arith.cmpi sle
// CHECK: arith.cmpi sgt
// CHECK: arith.cmpi sge
func.func @compare_int(%a: tensor<4xi64>, %b: tensor<i64>) -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>) {
  %0 = nn.compare eq, %a, %b : (tensor<4xi64>, tensor<i64>) -> tensor<4xi1>
  %1 = nn.compare ne, %a, %b : (tensor<4xi64>, tensor<i64>) -> tensor<4xi1>
  %2 = nn.compare lt, %a, %b : (tensor<4xi64>, tensor<i64>) -> tensor<4xi1>
  %3 = nn.compare le, %a, %b : (tensor<4xi64>, tensor<i64>) -> tensor<4xi1>
  %4 = nn.compare gt, %a, %b : (tensor<4xi64>, tensor<i64>) -> tensor<4xi1>
  %5 = nn.compare ge, %a, %b : (tensor<4xi64>, tensor<i64>) -> tensor<4xi1>
  return %0, %1, %2, %3, %4, %5 : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>
}

// -----

// CHECK-LABEL: func.func @constant(
// CHECK-NEXT: %[[C:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-NEXT: return %[[C]]
func.func @constant() -> tensor<2xf32> {
  %0 = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// A scalar otherwise-value broadcast to the mask's shape.
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @select(
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[SCALAR]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%arg0, %arg1, %arg2 : tensor<4x3xi1>, tensor<4x3xf32>, tensor<f32>)
// CHECK-NEXT: ^bb0(%[[M:[^:]*]]: i1, %[[A:[^:]*]]: f32, %[[B:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT: %[[R:.*]] = arith.select %[[M]], %[[A]], %[[B]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @select(%m: tensor<4x3xi1>, %a: tensor<4x3xf32>, %c: tensor<f32>) -> tensor<4x3xf32> {
  %0 = nn.select %m, %a, %c : (tensor<4x3xi1>, tensor<4x3xf32>, tensor<f32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// Casts: one conversion op per pair of element types; to i1 is "!= 0".
// CHECK-LABEL: func.func @cast(
// CHECK: arith.sitofp %{{.*}} : i64 to f32
// CHECK: arith.fptosi %{{.*}} : f32 to i64
// CHECK: arith.cmpf une, %{{.*}}, %{{.*}} : f32
// CHECK: arith.extf %{{.*}} : f32 to f64
// CHECK: arith.uitofp %{{.*}} : i1 to f32
// CHECK: arith.trunci %{{.*}} : i64 to i32
// CHECK: arith.extui %{{.*}} : i1 to i64
func.func @cast(%a: tensor<4xi64>, %b: tensor<4xf32>, %m: tensor<4xi1>) -> (tensor<4xf32>, tensor<4xi64>, tensor<4xi1>, tensor<4xf64>, tensor<4xf32>, tensor<4xi32>, tensor<4xi64>) {
  %0 = nn.cast %a : tensor<4xi64> to tensor<4xf32>
  %1 = nn.cast %b : tensor<4xf32> to tensor<4xi64>
  %2 = nn.cast %b : tensor<4xf32> to tensor<4xi1>
  %3 = nn.cast %b : tensor<4xf32> to tensor<4xf64>
  %4 = nn.cast %m : tensor<4xi1> to tensor<4xf32>
  %5 = nn.cast %a : tensor<4xi64> to tensor<4xi32>
  %6 = nn.cast %m : tensor<4xi1> to tensor<4xi64>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<4xf32>, tensor<4xi64>, tensor<4xi1>, tensor<4xf64>, tensor<4xf32>, tensor<4xi32>, tensor<4xi64>
}

// -----

// clip: max(min(x, high), low).
// CHECK-LABEL: func.func @clip(
// CHECK: ^bb0(%[[X:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-DAG: %[[HI:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-DAG: %[[LO:.*]] = arith.constant -1.000000e+00 : f32
// CHECK-DAG: %[[M:.*]] = arith.minimumf %[[X]], %[[HI]] : f32
// CHECK: %[[R:.*]] = arith.maximumf %[[M]], %[[LO]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @clip(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.clip %x {low = -1.0 : f64, high = 2.0 : f64} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// stop_gradient is the identity: its user reads the argument.
// CHECK-LABEL: func.func @stop_gradient(
// CHECK: linalg.generic {{.*}} ins(%arg0 : tensor<4xf32>)
// CHECK: math.exp
// CHECK-NOT: linalg.generic
func.func @stop_gradient(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.stop_gradient %x : tensor<4xf32>
  %1 = nn.exp %0 : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// fill: linalg.fill of the value in the element type, dynamic sizes from
// the operands.
// CHECK-LABEL: func.func @fill(
// CHECK-SAME: %[[B:[^:]*]]: index)
// CHECK: %[[E:.*]] = tensor.empty(%[[B]]) : tensor<?x3xf32>
// CHECK: %[[V:.*]] = arith.constant 1.500000e+00 : f32
// CHECK: linalg.fill ins(%[[V]] : f32) outs(%[[E]] : tensor<?x3xf32>)
// CHECK: %[[I:.*]] = arith.constant 7 : i64
// CHECK: linalg.fill ins(%[[I]] : i64) outs(%{{.*}} : tensor<2xi64>)
func.func @fill(%b: index) -> (tensor<?x3xf32>, tensor<2xi64>) {
  %0 = nn.fill %b {value = 1.5 : f64} : tensor<?x3xf32>
  %1 = nn.fill {value = 7.0 : f64} : tensor<2xi64>
  return %0, %1 : tensor<?x3xf32>, tensor<2xi64>
}

// -----

// The remainder keeps the dividend's sign (C fmod; remsi on integers);
// && and || are andi / ori on i1.
// CHECK-LABEL: func.func @remainder_logical
// CHECK: linalg.generic
// CHECK: arith.remf
// CHECK: linalg.generic
// CHECK: arith.remsi
// CHECK: linalg.generic
// CHECK: arith.andi
// CHECK: linalg.generic
// CHECK: arith.ori
func.func @remainder_logical(%x: tensor<4xf32>, %i: tensor<4xi64>, %m: tensor<4xi1>) -> (tensor<4xf32>, tensor<4xi64>, tensor<4xi1>) {
  %0 = nn.rem %x, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = nn.rem %i, %i : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %2 = nn.and %m, %m : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %3 = nn.or %2, %m : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  return %0, %1, %3 : tensor<4xf32>, tensor<4xi64>, tensor<4xi1>
}
