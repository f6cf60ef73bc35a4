// The reverse-mode pass on hand-written nn IR: which backward ops each rule
// emits, how broadcast cotangents are summed back, and that gradients no
// argument needs are removed by the canonicaliser and CSE.
// RUN: nnc-opt %s --split-input-file --nn-reverse-mode --canonicalize --cse | FileCheck %s

// A dense layer: d/dW = x^T g, d/db = sum over the batch; the gradient of
// the input x is not asked for (nn.wrt lists 1, 2) and disappears.
// CHECK-LABEL: func.func @dense
// CHECK-SAME: -> (tensor<f32>, tensor<4x3xf32> {nn.name = "grad.w"}, tensor<3xf32> {nn.name = "grad.b"})
// CHECK-NOT: nn.transpose %arg1
// CHECK: %[[SUMB:.*]] = nn.reduce "sum", %[[G:.*]] {axes = array<i64: 0>, keepdims = false} : tensor<?x3xf32> -> tensor<3xf32>
// CHECK: %[[XT:.*]] = nn.transpose %arg0 {perm = array<i64: 1, 0>} : tensor<?x4xf32> -> tensor<4x?xf32>
// CHECK: %[[DW:.*]] = nn.matmul %[[XT]], %[[G]] : (tensor<4x?xf32>, tensor<?x3xf32>) -> tensor<4x3xf32>
// CHECK: return %{{.*}}, %[[DW]], %[[SUMB]]
func.func @dense(%x: tensor<?x4xf32>, %w: tensor<4x3xf32> {nn.name = "w"},
                 %b: tensor<3xf32> {nn.name = "b"}) -> tensor<f32>
    attributes {nn.wrt = array<i64: 1, 2>} {
  %0 = nn.matmul %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
  %1 = nn.add %0, %b : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %2 = nn.reduce "sum", %1 {axes = array<i64: 0, 1>, keepdims = false} : tensor<?x3xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// A value used twice gets the sum of both cotangents; relu masks with the
// forward input; a mean over the symbolic batch divides by its run-time size.
// CHECK-LABEL: func.func @reuse
// CHECK: %[[DIM:.*]] = tensor.dim
// CHECK: arith.index_cast %[[DIM]]
// CHECK: arith.sitofp
// CHECK: nn.div
// CHECK: %[[MASK:.*]] = nn.compare "gt", %arg0
// CHECK: nn.select %[[MASK]]
// CHECK: nn.add
// CHECK: return
func.func @reuse(%x: tensor<?x5xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.relu %x : tensor<?x5xf32>
  %1 = nn.mul %0, %x : (tensor<?x5xf32>, tensor<?x5xf32>) -> tensor<?x5xf32>
  %2 = nn.reduce "mean", %1 {axes = array<i64: 0, 1>, keepdims = false} : tensor<?x5xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// Log-softmax: g - exp(y) * sum(g) along the axis.
// CHECK-LABEL: func.func @log_softmax
// CHECK: %[[Y:.*]] = nn.softmax %arg0 {axis = 1 : i64, log = true}
// CHECK: %[[P:.*]] = nn.exp %[[Y]]
// CHECK: %[[S:.*]] = nn.reduce "sum", %{{.*}} {axes = array<i64: 1>, keepdims = true} : tensor<2x7xf32> -> tensor<2x1xf32>
// CHECK: %[[PS:.*]] = nn.mul %[[P]], %[[S]]
// CHECK: nn.sub %{{.*}}, %[[PS]]
func.func @log_softmax(%x: tensor<2x7xf32>, %t: tensor<2x7xf32>) -> tensor<f32>
    attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.softmax %x {axis = 1 : i64, log = true} : tensor<2x7xf32>
  %1 = nn.mul %0, %t : (tensor<2x7xf32>, tensor<2x7xf32>) -> tensor<2x7xf32>
  %2 = nn.reduce "sum", %1 {axes = array<i64: 0, 1>, keepdims = false} : tensor<2x7xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// stop_gradient: the argument only reaches the loss through it, so its
// gradient is zeros.
// CHECK-LABEL: func.func @stopped
// CHECK: %[[Z:.*]] = nn.fill {value = 0.000000e+00 : f64} : tensor<3xf32>
// CHECK: return %{{.*}}, %[[Z]]
func.func @stopped(%x: tensor<3xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.stop_gradient %x : tensor<3xf32>
  %1 = nn.reduce "sum", %0 {axes = array<i64: 0>, keepdims = false} : tensor<3xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// Dropout's transpose is the same dropout (same seed, same mask).
// CHECK-LABEL: func.func @dropout
// CHECK: nn.dropout %arg0 {rate = 2.500000e-01 : f64, seed = 11 : i64, training = true}
// CHECK: nn.dropout %{{.*}} {rate = 2.500000e-01 : f64, seed = 11 : i64, training = true}
func.func @dropout(%x: tensor<4x8xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.dropout %x {rate = 2.5e-01 : f64, seed = 11 : i64, training = true} : tensor<4x8xf32>
  %1 = nn.square %0 : tensor<4x8xf32>
  %2 = nn.reduce "sum", %1 {axes = array<i64: 0, 1>, keepdims = false} : tensor<4x8xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
