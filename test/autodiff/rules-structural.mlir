// The derivative rules of products, shape ops, reductions, softmax and
// selection, one case per op or kind (the dense layer, a mean over the
// batch, log-softmax, a strided slice and a gather from a rank-3 table
// are in rules.mlir). G is the seed of the final sum (ones, broadcast);
// where the loss multiplies by an argument %t, the op's cotangent is G * t.
// RUN: nnc-opt %s --split-input-file --nn-reverse-mode --canonicalize --cse | FileCheck %s

// A batched product with a shared right operand: dA = G @ B^T, dB = the
// per-batch A^T @ G summed over the batch.
// CHECK-LABEL: func.func @matmul_batched(
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<3x2x5xf32>, tensor<f32>) -> tensor<3x2x5xf32>
// CHECK: %[[BT:.*]] = nn.transpose %arg1 {perm = array<i64: 1, 0>} : tensor<4x5xf32> -> tensor<5x4xf32>
// CHECK: %[[DA:.*]] = nn.matmul %[[G]], %[[BT]] : (tensor<3x2x5xf32>, tensor<5x4xf32>) -> tensor<3x2x4xf32>
// CHECK: %[[AT:.*]] = nn.transpose %arg0 {perm = array<i64: 0, 2, 1>} : tensor<3x2x4xf32> -> tensor<3x4x2xf32>
// CHECK: %[[P:.*]] = nn.matmul %[[AT]], %[[G]] : (tensor<3x4x2xf32>, tensor<3x2x5xf32>) -> tensor<3x4x5xf32>
// CHECK: %[[DB:.*]] = nn.reduce sum, %[[P]] {axes = array<i64: 0>, keepdims = false} : tensor<3x4x5xf32> -> tensor<4x5xf32>
// CHECK: return %{{.*}}, %[[DA]], %[[DB]]
func.func @matmul_batched(%a: tensor<3x2x4xf32>, %b: tensor<4x5xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0, 1>} {
  %0 = nn.matmul %a, %b : (tensor<3x2x4xf32>, tensor<4x5xf32>) -> tensor<3x2x5xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0, 1, 2>, keepdims = false} : tensor<3x2x5xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// reshape: the cotangent reshaped back.
// CHECK-LABEL: func.func @reshape(
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<2x3x2xf32>, tensor<f32>) -> tensor<2x3x2xf32>
// CHECK: %[[C:.*]] = nn.mul %[[G]], %arg1 : (tensor<2x3x2xf32>, tensor<2x3x2xf32>) -> tensor<2x3x2xf32>
// CHECK: %[[DX:.*]] = nn.reshape %[[C]] : tensor<2x3x2xf32> to tensor<2x6xf32>
// CHECK: return %{{.*}}, %[[DX]]
func.func @reshape(%x: tensor<2x6xf32>, %t: tensor<2x3x2xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.reshape %x : tensor<2x6xf32> to tensor<2x3x2xf32>
  %m = nn.mul %0, %t : (tensor<2x3x2xf32>, tensor<2x3x2xf32>) -> tensor<2x3x2xf32>
  %1 = nn.reduce sum, %m {axes = array<i64: 0, 1, 2>, keepdims = false} : tensor<2x3x2xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// transpose: the cotangent through the inverse permutation ([2, 0, 1] -> [1, 2, 0]).
// CHECK-LABEL: func.func @transpose(
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<4x2x3xf32>, tensor<f32>) -> tensor<4x2x3xf32>
// CHECK: %[[C:.*]] = nn.mul %[[G]], %arg1 : (tensor<4x2x3xf32>, tensor<4x2x3xf32>) -> tensor<4x2x3xf32>
// CHECK: %[[DX:.*]] = nn.transpose %[[C]] {perm = array<i64: 1, 2, 0>} : tensor<4x2x3xf32> -> tensor<2x3x4xf32>
// CHECK: return %{{.*}}, %[[DX]]
func.func @transpose(%x: tensor<2x3x4xf32>, %t: tensor<4x2x3xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.transpose %x {perm = array<i64: 2, 0, 1>} : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  %m = nn.mul %0, %t : (tensor<4x2x3xf32>, tensor<4x2x3xf32>) -> tensor<4x2x3xf32>
  %1 = nn.reduce sum, %m {axes = array<i64: 0, 1, 2>, keepdims = false} : tensor<4x2x3xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// A unit-stride slice with a squeezed column (x[1:3, 2]): the squeezed
// dimension restored, then zero blocks before and after along each cut
// dimension (rows 1 + 2 + 1, columns 2 + 1 + 7).
// CHECK-LABEL: func.func @slice(
// CHECK: %[[C:.*]] = nn.mul %{{.*}}, %{{.*}} : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
// CHECK: %[[U:.*]] = nn.reshape %[[C]] : tensor<2xf32> to tensor<2x1xf32>
// CHECK: %[[Z1:.*]] = nn.fill {value = 0.000000e+00 : f64} : tensor<1x1xf32>
// CHECK: %[[R:.*]] = nn.concat %[[Z1]], %[[U]], %[[Z1]] {axis = 0 : i64} : (tensor<1x1xf32>, tensor<2x1xf32>, tensor<1x1xf32>) -> tensor<4x1xf32>
// CHECK: %[[ZL:.*]] = nn.fill {value = 0.000000e+00 : f64} : tensor<4x2xf32>
// CHECK: %[[ZR:.*]] = nn.fill {value = 0.000000e+00 : f64} : tensor<4x7xf32>
// CHECK: %[[DX:.*]] = nn.concat %[[ZL]], %[[R]], %[[ZR]] {axis = 1 : i64} : (tensor<4x2xf32>, tensor<4x1xf32>, tensor<4x7xf32>) -> tensor<4x10xf32>
// CHECK: return %{{.*}}, %[[DX]]
func.func @slice(%x: tensor<4x10xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.slice %x {starts = array<i64: 1, 2>, sizes = array<i64: 2, 1>, strides = array<i64: 1, 1>, squeeze = array<i64: 1>} : tensor<4x10xf32> -> tensor<2xf32>
  %1 = nn.square %0 : tensor<2xf32>
  %2 = nn.reduce sum, %1 {axes = array<i64: 0>, keepdims = false} : tensor<2xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// A cut of a symbolic dimension: the cotangent inserted into zeros of the
// input's run-time shape.
// CHECK-LABEL: func.func @slice_symbolic(
// CHECK: %[[C:.*]] = nn.mul %{{.*}}, %{{.*}} : (tensor<2x10xf32>, tensor<2x10xf32>) -> tensor<2x10xf32>
// CHECK: %[[D:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x10xf32>
// CHECK: %[[Z:.*]] = nn.fill %[[D]] {value = 0.000000e+00 : f64} : tensor<?x10xf32>
// CHECK: %[[DX:.*]] = tensor.insert_slice %[[C]] into %[[Z]][1, 0] [2, 10] [1, 1] : tensor<2x10xf32> into tensor<?x10xf32>
// CHECK: return %{{.*}}, %[[DX]]
func.func @slice_symbolic(%x: tensor<?x10xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.slice %x {starts = array<i64: 1, 0>, sizes = array<i64: 2, 10>, strides = array<i64: 1, 1>, squeeze = array<i64>} : tensor<?x10xf32> -> tensor<2x10xf32>
  %1 = nn.square %0 : tensor<2x10xf32>
  %2 = nn.reduce sum, %1 {axes = array<i64: 0, 1>, keepdims = false} : tensor<2x10xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// concat: each input's cotangent is its slice of the result's.
// CHECK-LABEL: func.func @concat(
// CHECK: %[[C:.*]] = nn.mul %{{.*}}, %{{.*}} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK: %[[DA:.*]] = nn.slice %[[C]] {sizes = array<i64: 2, 3>, squeeze = array<i64>, starts = array<i64: 0, 0>, strides = array<i64: 1, 1>} : tensor<2x8xf32> -> tensor<2x3xf32>
// CHECK: %[[DB:.*]] = nn.slice %[[C]] {sizes = array<i64: 2, 5>, squeeze = array<i64>, starts = array<i64: 0, 3>, strides = array<i64: 1, 1>} : tensor<2x8xf32> -> tensor<2x5xf32>
// CHECK: return %{{.*}}, %[[DA]], %[[DB]]
func.func @concat(%a: tensor<2x3xf32>, %b: tensor<2x5xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0, 1>} {
  %0 = nn.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<2x8xf32>
  %1 = nn.square %0 : tensor<2x8xf32>
  %2 = nn.reduce sum, %1 {axes = array<i64: 0, 1>, keepdims = false} : tensor<2x8xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// Along a symbolic axis: slices at offsets read at run time.
// CHECK-LABEL: func.func @concat_symbolic(
// CHECK: %[[C:.*]] = nn.mul %{{.*}}, %{{.*}} : (tensor<2x?xf32>, tensor<2x?xf32>) -> tensor<2x?xf32>
// CHECK: %[[N:.*]] = tensor.dim %arg0, %{{.*}} : tensor<2x?xf32>
// CHECK: %[[DA:.*]] = tensor.extract_slice %[[C]][0, 0] [2, %[[N]]] [1, 1] : tensor<2x?xf32> to tensor<2x?xf32>
// CHECK: %[[DB:.*]] = tensor.extract_slice %[[C]][0, %[[N]]] [2, 5] [1, 1] : tensor<2x?xf32> to tensor<2x5xf32>
// CHECK: return %{{.*}}, %[[DA]], %[[DB]]
func.func @concat_symbolic(%a: tensor<2x?xf32>, %b: tensor<2x5xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0, 1>} {
  %0 = nn.concat %a, %b {axis = 1 : i64} : (tensor<2x?xf32>, tensor<2x5xf32>) -> tensor<2x?xf32>
  %1 = nn.square %0 : tensor<2x?xf32>
  %2 = nn.reduce sum, %1 {axes = array<i64: 0, 1>, keepdims = false} : tensor<2x?xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// max: the cotangent, stretched back over the reduced axis, split evenly
// between the elements equal to the maximum: g * [x == y] / count(x == y).
// CHECK-LABEL: func.func @reduce_max(
// CHECK: %[[Y:.*]] = nn.reduce max, %arg0 {axes = array<i64: 1>, keepdims = false} : tensor<2x5xf32> -> tensor<2xf32>
// CHECK: %[[C:.*]] = nn.mul %{{.*}}, %{{.*}} : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
// CHECK: %[[CK:.*]] = nn.reshape %[[C]] : tensor<2xf32> to tensor<2x1xf32>
// CHECK: %[[Z:.*]] = nn.fill {value = 0.000000e+00 : f64} : tensor<2x5xf32>
// CHECK: %[[CS:.*]] = nn.add %[[CK]], %[[Z]] : (tensor<2x1xf32>, tensor<2x5xf32>) -> tensor<2x5xf32>
// CHECK: %[[YK:.*]] = nn.reshape %[[Y]] : tensor<2xf32> to tensor<2x1xf32>
// CHECK: %[[YS:.*]] = nn.add %[[YK]], %[[Z]]
// CHECK: %[[EQ:.*]] = nn.compare eq, %arg0, %[[YS]] : (tensor<2x5xf32>, tensor<2x5xf32>) -> tensor<2x5xi1>
// CHECK: %[[HIT:.*]] = nn.cast %[[EQ]] : tensor<2x5xi1> to tensor<2x5xf32>
// CHECK: %[[GH:.*]] = nn.mul %[[CS]], %[[HIT]]
// CHECK: %[[TIES:.*]] = nn.reduce sum, %[[HIT]] {axes = array<i64: 1>, keepdims = true} : tensor<2x5xf32> -> tensor<2x1xf32>
// CHECK: %[[DX:.*]] = nn.div %[[GH]], %[[TIES]] : (tensor<2x5xf32>, tensor<2x1xf32>) -> tensor<2x5xf32>
// CHECK: return %{{.*}}, %[[DX]]
func.func @reduce_max(%x: tensor<2x5xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.reduce max, %x {axes = array<i64: 1>, keepdims = false} : tensor<2x5xf32> -> tensor<2xf32>
  %1 = nn.square %0 : tensor<2xf32>
  %2 = nn.reduce sum, %1 {axes = array<i64: 0>, keepdims = false} : tensor<2xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// min with keepdims: the same rule; the kept unit dimension broadcasts
// directly (no reshape).
// CHECK-LABEL: func.func @reduce_min_keepdims(
// CHECK: %[[Y:.*]] = nn.reduce min, %arg0 {axes = array<i64: 1>, keepdims = true} : tensor<2x5xf32> -> tensor<2x1xf32>
// CHECK-NOT: nn.reshape
// CHECK: %[[YS:.*]] = nn.add %[[Y]], %{{.*}} : (tensor<2x1xf32>, tensor<2x5xf32>) -> tensor<2x5xf32>
// CHECK: %[[EQ:.*]] = nn.compare eq, %arg0, %[[YS]]
// CHECK: %[[HIT:.*]] = nn.cast %[[EQ]]
// CHECK: nn.reduce sum, %[[HIT]] {axes = array<i64: 1>, keepdims = true}
// CHECK: %[[DX:.*]] = nn.div
// CHECK: return %{{.*}}, %[[DX]]
func.func @reduce_min_keepdims(%x: tensor<2x5xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.reduce min, %x {axes = array<i64: 1>, keepdims = true} : tensor<2x5xf32> -> tensor<2x1xf32>
  %1 = nn.square %0 : tensor<2x1xf32>
  %2 = nn.reduce sum, %1 {axes = array<i64: 0, 1>, keepdims = false} : tensor<2x1xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// prod: g * y / x (exact where no factor is zero).
// CHECK-LABEL: func.func @reduce_prod(
// CHECK: %[[Y:.*]] = nn.reduce prod, %arg0
// CHECK: %[[GS:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<2x1xf32>, tensor<2x5xf32>) -> tensor<2x5xf32>
// CHECK: %[[YK:.*]] = nn.reshape %[[Y]] : tensor<2xf32> to tensor<2x1xf32>
// CHECK: %[[YS:.*]] = nn.add %[[YK]], %{{.*}} : (tensor<2x1xf32>, tensor<2x5xf32>) -> tensor<2x5xf32>
// CHECK: %[[Q:.*]] = nn.div %[[YS]], %arg0
// CHECK: %[[DX:.*]] = nn.mul %[[GS]], %[[Q]]
// CHECK: return %{{.*}}, %[[DX]]
func.func @reduce_prod(%x: tensor<2x5xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.reduce prod, %x {axes = array<i64: 1>, keepdims = false} : tensor<2x5xf32> -> tensor<2xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0>, keepdims = false} : tensor<2xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// logsumexp: g * exp(x - y) (the softmax, from the result).
// CHECK-LABEL: func.func @reduce_logsumexp(
// CHECK: %[[Y:.*]] = nn.reduce logsumexp, %arg0
// CHECK: %[[GS:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<2x1xf32>, tensor<2x5xf32>) -> tensor<2x5xf32>
// CHECK: %[[YK:.*]] = nn.reshape %[[Y]] : tensor<2xf32> to tensor<2x1xf32>
// CHECK: %[[YS:.*]] = nn.add %[[YK]], %{{.*}} : (tensor<2x1xf32>, tensor<2x5xf32>) -> tensor<2x5xf32>
// CHECK: %[[D:.*]] = nn.sub %arg0, %[[YS]]
// CHECK: %[[P:.*]] = nn.exp %[[D]]
// CHECK: %[[DX:.*]] = nn.mul %[[GS]], %[[P]]
// CHECK: return %{{.*}}, %[[DX]]
func.func @reduce_logsumexp(%x: tensor<2x5xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.reduce logsumexp, %x {axes = array<i64: 1>, keepdims = false} : tensor<2x5xf32> -> tensor<2xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0>, keepdims = false} : tensor<2xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// mean over static axes: the cotangent divided by the constant count (10).
// CHECK-LABEL: func.func @reduce_mean_static(
// CHECK-DAG: %[[N:.*]] = nn.constant dense<1.000000e+01> : tensor<f32>
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<2x5xf32>, tensor<f32>) -> tensor<2x5xf32>
// CHECK: %[[DX:.*]] = nn.div %[[G]], %[[N]]
// CHECK-NOT: tensor.dim
// CHECK: return %{{.*}}, %[[DX]]
func.func @reduce_mean_static(%x: tensor<2x5xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.reduce mean, %x {axes = array<i64: 0, 1>, keepdims = false} : tensor<2x5xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// argmax (an integer result) and the cast from it pass no gradient: the
// input's is zeros.
// CHECK-LABEL: func.func @argmax(
// CHECK: nn.reduce argmax, %arg0
// CHECK: %[[DX:.*]] = nn.fill {value = 0.000000e+00 : f64} : tensor<2x5xf32>
// CHECK-NEXT: return %{{.*}}, %[[DX]]
func.func @argmax(%x: tensor<2x5xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.reduce argmax, %x {axes = array<i64: 1>, keepdims = false} : tensor<2x5xf32> -> tensor<2xi64>
  %c = nn.cast %0 : tensor<2xi64> to tensor<2xf32>
  %m = nn.mul %c, %c : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %1 = nn.reduce sum, %m {axes = array<i64: 0>, keepdims = false} : tensor<2xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// softmax: y * (c - sum(c * y)) along the axis, c the cotangent.
// CHECK-LABEL: func.func @softmax(
// CHECK: %[[Y:.*]] = nn.softmax %arg0 {axis = 1 : i64, log = false}
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<2x5xf32>, tensor<f32>) -> tensor<2x5xf32>
// CHECK: %[[C:.*]] = nn.mul %[[G]], %arg1 : (tensor<2x5xf32>, tensor<2x5xf32>) -> tensor<2x5xf32>
// CHECK: %[[CY:.*]] = nn.mul %[[C]], %[[Y]]
// CHECK: %[[S:.*]] = nn.reduce sum, %[[CY]] {axes = array<i64: 1>, keepdims = true} : tensor<2x5xf32> -> tensor<2x1xf32>
// CHECK: %[[D:.*]] = nn.sub %[[C]], %[[S]] : (tensor<2x5xf32>, tensor<2x1xf32>) -> tensor<2x5xf32>
// CHECK: %[[DX:.*]] = nn.mul %[[Y]], %[[D]]
// CHECK-NOT: nn.exp
// CHECK: return %{{.*}}, %[[DX]]
func.func @softmax(%x: tensor<2x5xf32>, %t: tensor<2x5xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.softmax %x {axis = 1 : i64, log = false} : tensor<2x5xf32>
  %m = nn.mul %0, %t : (tensor<2x5xf32>, tensor<2x5xf32>) -> tensor<2x5xf32>
  %1 = nn.reduce sum, %m {axes = array<i64: 0, 1>, keepdims = false} : tensor<2x5xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// select: the cotangent where the mask chose the operand, zero elsewhere;
// the broadcast operand's summed back; the mask gets none.
// CHECK-LABEL: func.func @select(
// CHECK-DAG: %[[ZERO:.*]] = nn.constant dense<0.000000e+00> : tensor<f32>
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
// CHECK: %[[DA:.*]] = nn.select %arg0, %[[G]], %[[ZERO]]
// CHECK: %[[DBF:.*]] = nn.select %arg0, %[[ZERO]], %[[G]]
// CHECK: %[[DB:.*]] = nn.reduce sum, %[[DBF]] {axes = array<i64: 0>, keepdims = false} : tensor<2x4xf32> -> tensor<4xf32>
// CHECK: return %{{.*}}, %[[DA]], %[[DB]] : tensor<f32>, tensor<2x4xf32>, tensor<4xf32>
func.func @select(%m: tensor<2x4xi1>, %a: tensor<2x4xf32>, %b: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 1, 2>} {
  %0 = nn.select %m, %a, %b : (tensor<2x4xi1>, tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0, 1>, keepdims = false} : tensor<2x4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// cast between float types: the cotangent cast back (the loss computed in
// f64, the gradient returned in f32).
// CHECK-LABEL: func.func @cast(
// CHECK: %[[X64:.*]] = nn.cast %arg0 : tensor<4xf32> to tensor<4xf64>
// CHECK: %[[SEED:.*]] = nn.cast %{{.*}} : tensor<f32> to tensor<f64>
// CHECK: %[[D64:.*]] = nn.mul %{{.*}}, %{{.*}} : (tensor<4xf64>, tensor<4xf64>) -> tensor<4xf64>
// CHECK: %[[DX:.*]] = nn.cast %[[D64]] : tensor<4xf64> to tensor<4xf32>
// CHECK: return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @cast(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.cast %x : tensor<4xf32> to tensor<4xf64>
  %1 = nn.square %0 : tensor<4xf64>
  %2 = nn.reduce sum, %1 {axes = array<i64: 0>, keepdims = false} : tensor<4xf64> -> tensor<f64>
  %3 = nn.cast %2 : tensor<f64> to tensor<f32>
  return %3 : tensor<f32>
}

// -----

// A gather with a 2-D index: one_hot(ids)^T @ g per index row, summed over
// the rows.
// CHECK-LABEL: func.func @gather_batched_ids(
// CHECK: %[[C:.*]] = nn.mul %{{.*}}, %{{.*}} : (tensor<2x4x3xf32>, tensor<2x4x3xf32>) -> tensor<2x4x3xf32>
// CHECK: %[[H:.*]] = nn.one_hot %arg1 : tensor<2x4xi64> -> tensor<2x4x5xf32>
// CHECK: %[[HT:.*]] = nn.transpose %[[H]] {perm = array<i64: 0, 2, 1>} : tensor<2x4x5xf32> -> tensor<2x5x4xf32>
// CHECK: %[[P:.*]] = nn.matmul %[[HT]], %[[C]] : (tensor<2x5x4xf32>, tensor<2x4x3xf32>) -> tensor<2x5x3xf32>
// CHECK: %[[DT:.*]] = nn.reduce sum, %[[P]] {axes = array<i64: 0>, keepdims = false} : tensor<2x5x3xf32> -> tensor<5x3xf32>
// CHECK: return %{{.*}}, %[[DT]]
func.func @gather_batched_ids(%t: tensor<5x3xf32>, %ids: tensor<2x4xi64>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.gather %t, %ids : (tensor<5x3xf32>, tensor<2x4xi64>) -> tensor<2x4x3xf32>
  %1 = nn.square %0 : tensor<2x4x3xf32>
  %2 = nn.reduce sum, %1 {axes = array<i64: 0, 1, 2>, keepdims = false} : tensor<2x4x3xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// upsample: each input pixel's cotangent is the sum of its factor x factor
// block: an average pooling times factor^2.
// CHECK-LABEL: func.func @upsample(
// CHECK-DAG: %[[K2:.*]] = nn.constant dense<4.000000e+00> : tensor<f32>
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<1x4x4x3xf32>, tensor<f32>) -> tensor<1x4x4x3xf32>
// CHECK: %[[C:.*]] = nn.mul %[[G]], %arg1 : (tensor<1x4x4x3xf32>, tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32>
// CHECK: %[[A:.*]] = nn.pool2d avg, %[[C]] {padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>, window = array<i64: 2, 2>} : tensor<1x4x4x3xf32> -> tensor<1x2x2x3xf32>
// CHECK: %[[DX:.*]] = nn.mul %[[A]], %[[K2]]
// CHECK: return %{{.*}}, %[[DX]]
func.func @upsample(%x: tensor<1x2x2x3xf32>, %t: tensor<1x4x4x3xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.upsample %x {factor = 2 : i64} : tensor<1x2x2x3xf32> -> tensor<1x4x4x3xf32>
  %m = nn.mul %0, %t : (tensor<1x4x4x3xf32>, tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32>
  %1 = nn.reduce sum, %m {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : tensor<1x4x4x3xf32> -> tensor<f32>
  return %1 : tensor<f32>
}
