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

// -----

// conv2d: dX is a transposed convolution with the channel-swapped filter,
// padded back to the input's size where the stride skipped a row/column;
// dW is nn.conv2d_filter_grad of the input and the cotangent (no
// transposes).
// CHECK-LABEL: func.func @conv
// CHECK: %[[WS:.*]] = nn.transpose %arg1 {perm = array<i64: 0, 1, 3, 2>} : tensor<3x3x2x4xf32> -> tensor<3x3x4x2xf32>
// CHECK: %[[DX:.*]] = nn.conv_transpose2d %{{.*}}, %[[WS]] {padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x3x3x4xf32>, tensor<3x3x4x2xf32>) -> tensor<?x7x7x2xf32>
// CHECK: %[[Z:.*]] = nn.fill %{{.*}} {value = 0.000000e+00 : f64} : tensor<?x1x7x2xf32>
// CHECK: nn.concat %[[DX]], %[[Z]] {axis = 1 : i64}
// CHECK: nn.conv2d_filter_grad %arg0, %{{.*}} {dilation = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x8x8x2xf32>, tensor<?x3x3x4xf32>) -> tensor<3x3x2x4xf32>
func.func @conv(%x: tensor<?x8x8x2xf32>, %w: tensor<3x3x2x4xf32>) -> tensor<f32>
    attributes {nn.wrt = array<i64: 0, 1>} {
  %0 = nn.conv2d %x, %w {stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>,
                         dilation = array<i64: 1, 1>, groups = 1 : i64}
       : (tensor<?x8x8x2xf32>, tensor<3x3x2x4xf32>) -> tensor<?x3x3x4xf32>
  %1 = nn.square %0 : tensor<?x3x3x4xf32>
  %2 = nn.reduce "sum", %1 {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : tensor<?x3x3x4xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// A loss with an auxiliary result (a train step's metric): the aux result
// is passed through untouched and the gradients follow it.
// CHECK-LABEL: func.func @aux
// CHECK-SAME: -> (tensor<f32>, tensor<3xf32> {nn.name = "correct"}, tensor<3xf32> {nn.name = "grad.x"})
// CHECK: %[[SQ:.*]] = nn.mul %arg0, %arg0
// CHECK: %[[L:.*]] = nn.reduce "sum", %[[SQ]]
// CHECK: %[[D:.*]] = nn.mul %{{.*}}, %arg0
// CHECK: %[[G:.*]] = nn.add %[[D]], %[[D]]
// CHECK: return %[[L]], %[[SQ]], %[[G]]
func.func @aux(%x: tensor<3xf32> {nn.name = "x"}) -> (tensor<f32>, tensor<3xf32> {nn.name = "correct"})
    attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.mul %x, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %1 = nn.reduce "sum", %0 {axes = array<i64: 0>, keepdims = false} : tensor<3xf32> -> tensor<f32>
  return %1, %0 : tensor<f32>, tensor<3xf32>
}

// -----

// Max pooling (and any pooling with overlapping or padded windows) sends
// its cotangent back through nn.pool2d_grad with the forward's windows.
// CHECK-LABEL: func.func @maxpool_same
// CHECK: %[[P:.*]] = nn.pool2d "max", %arg0
// CHECK: %[[G:.*]] = nn.pool2d_grad "max", %arg0, %{{.*}} {padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>, window = array<i64: 3, 3>} : (tensor<2x5x5x3xf32>, tensor<2x5x5x3xf32>) -> tensor<2x5x5x3xf32>
// CHECK: return %{{.*}}, %[[G]]
func.func @maxpool_same(%x: tensor<2x5x5x3xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.pool2d "max", %x {window = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>} : tensor<2x5x5x3xf32> -> tensor<2x5x5x3xf32>
  %1 = nn.reduce "sum", %0 {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : tensor<2x5x5x3xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// A loop with constant bounds is unrolled, then differentiated like
// straight-line code: the gradient of w (x * w * w * w, three iterations)
// flows through every iteration's product.
// CHECK-LABEL: func.func @loop
// CHECK-NOT: scf.for
// CHECK: return %{{.*}}, %{{.*}} : tensor<f32>, tensor<3xf32>
func.func @loop(%x: tensor<3xf32>, %w: tensor<3xf32> {nn.name = "w"}) -> tensor<f32> attributes {nn.wrt = array<i64: 1>} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %0 = scf.for %i = %c0 to %c3 step %c1 iter_args(%acc = %x) -> (tensor<3xf32>) {
    %m = nn.mul %acc, %w : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
    scf.yield %m : tensor<3xf32>
  }
  %1 = nn.reduce "sum", %0 {axes = array<i64: 0>, keepdims = false} : tensor<3xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// conv2d_filter_grad is bilinear: the cotangent's cotangent is the
// convolution of the input with the result's cotangent U, the input's is
// that convolution's input cotangent (a transposed convolution of the
// cotangent with U's channels swapped).
// CHECK-LABEL: func.func @filter_grad
// CHECK: %[[U:.*]] = nn.mul %{{.*}}, %{{.*}} : (tensor<3x3x3x4xf32>, tensor<3x3x3x4xf32>)
// CHECK: %[[DG:.*]] = nn.conv2d %arg0, %[[U]] {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<2x6x6x3xf32>, tensor<3x3x3x4xf32>) -> tensor<2x6x6x4xf32>
// CHECK: %[[US:.*]] = nn.transpose %[[U]] {perm = array<i64: 0, 1, 3, 2>}
// CHECK: %[[DX:.*]] = nn.conv_transpose2d %arg1, %[[US]] {padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<2x6x6x4xf32>, tensor<3x3x4x3xf32>) -> tensor<2x6x6x3xf32>
// CHECK: return %{{.*}}, %[[DX]], %[[DG]]
func.func @filter_grad(%x: tensor<2x6x6x3xf32>, %g: tensor<2x6x6x4xf32>) -> tensor<f32>
    attributes {nn.wrt = array<i64: 0, 1>} {
  %0 = nn.conv2d_filter_grad %x, %g {stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>} : (tensor<2x6x6x3xf32>, tensor<2x6x6x4xf32>) -> tensor<3x3x3x4xf32>
  %1 = nn.square %0 : tensor<3x3x3x4xf32>
  %2 = nn.reduce "sum", %1 {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : tensor<3x3x3x4xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
