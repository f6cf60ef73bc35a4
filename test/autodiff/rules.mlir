// The reverse-mode pass on hand-written nn IR: which backward ops each rule
// emits, how broadcast cotangents are summed back, and that gradients no
// argument needs are removed by the canonicaliser and CSE.
// RUN: nnc-opt %s --split-input-file --nn-reverse-mode --canonicalize --cse | FileCheck %s

// A dense layer: d/dW = x^T g, d/db = sum over the batch; the gradient of
// the input x is not asked for (nn.wrt lists 1, 2) and disappears.
// CHECK-LABEL: func.func @dense
// CHECK-SAME: -> (tensor<f32>, tensor<4x3xf32> {nn.name = "grad.w"}, tensor<3xf32> {nn.name = "grad.b"})
// CHECK-NOT: nn.transpose %arg1
// CHECK: %[[SUMB:.*]] = nn.reduce sum, %[[G:.*]] {axes = array<i64: 0>, keepdims = false} : tensor<?x3xf32> -> tensor<3xf32>
// CHECK: %[[XT:.*]] = nn.transpose %arg0 {perm = array<i64: 1, 0>} : tensor<?x4xf32> -> tensor<4x?xf32>
// CHECK: %[[DW:.*]] = nn.matmul %[[XT]], %[[G]] : (tensor<4x?xf32>, tensor<?x3xf32>) -> tensor<4x3xf32>
// CHECK: return %{{.*}}, %[[DW]], %[[SUMB]]
func.func @dense(%x: tensor<?x4xf32>, %w: tensor<4x3xf32> {nn.name = "w"},
                 %b: tensor<3xf32> {nn.name = "b"}) -> tensor<f32>
    attributes {nn.wrt = array<i64: 1, 2>} {
  %0 = nn.matmul %x, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
  %1 = nn.add %0, %b : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %2 = nn.reduce sum, %1 {axes = array<i64: 0, 1>, keepdims = false} : tensor<?x3xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// A value used twice gets the sum of both cotangents; relu masks with its
// forward result (so its input need not be kept); a mean over the symbolic
// batch divides by its run-time size.
// CHECK-LABEL: func.func @reuse
// CHECK: %[[RELU:.*]] = nn.relu %arg0
// CHECK: %[[DIM:.*]] = tensor.dim
// CHECK: arith.index_cast %[[DIM]]
// CHECK: arith.sitofp
// CHECK: nn.div
// CHECK: %[[MASK:.*]] = nn.compare gt, %[[RELU]]
// CHECK: nn.select %[[MASK]]
// CHECK: nn.add
// CHECK: return
func.func @reuse(%x: tensor<?x5xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.relu %x : tensor<?x5xf32>
  %1 = nn.mul %0, %x : (tensor<?x5xf32>, tensor<?x5xf32>) -> tensor<?x5xf32>
  %2 = nn.reduce mean, %1 {axes = array<i64: 0, 1>, keepdims = false} : tensor<?x5xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// Log-softmax: g - exp(y) * sum(g) along the axis.
// CHECK-LABEL: func.func @log_softmax
// CHECK: %[[Y:.*]] = nn.softmax %arg0 {axis = 1 : i64, log = true}
// CHECK: %[[P:.*]] = nn.exp %[[Y]]
// CHECK: %[[S:.*]] = nn.reduce sum, %{{.*}} {axes = array<i64: 1>, keepdims = true} : tensor<2x7xf32> -> tensor<2x1xf32>
// CHECK: %[[PS:.*]] = nn.mul %[[P]], %[[S]]
// CHECK: nn.sub %{{.*}}, %[[PS]]
func.func @log_softmax(%x: tensor<2x7xf32>, %t: tensor<2x7xf32>) -> tensor<f32>
    attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.softmax %x {axis = 1 : i64, log = true} : tensor<2x7xf32>
  %1 = nn.mul %0, %t : (tensor<2x7xf32>, tensor<2x7xf32>) -> tensor<2x7xf32>
  %2 = nn.reduce sum, %1 {axes = array<i64: 0, 1>, keepdims = false} : tensor<2x7xf32> -> tensor<f32>
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
  %1 = nn.reduce sum, %0 {axes = array<i64: 0>, keepdims = false} : tensor<3xf32> -> tensor<f32>
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
  %2 = nn.reduce sum, %1 {axes = array<i64: 0, 1>, keepdims = false} : tensor<4x8xf32> -> tensor<f32>
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
  %2 = nn.reduce sum, %1 {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : tensor<?x3x3x4xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// A loss with an auxiliary result (a train step's metric): the aux result
// is passed through untouched and the gradients follow it.
// CHECK-LABEL: func.func @aux
// CHECK-SAME: -> (tensor<f32>, tensor<3xf32> {nn.name = "correct"}, tensor<3xf32> {nn.name = "grad.x"})
// CHECK: %[[SQ:.*]] = nn.mul %arg0, %arg0
// CHECK: %[[L:.*]] = nn.reduce sum, %[[SQ]]
// CHECK: %[[D:.*]] = nn.mul %{{.*}}, %arg0
// CHECK: %[[G:.*]] = nn.add %[[D]], %[[D]]
// CHECK: return %[[L]], %[[SQ]], %[[G]]
func.func @aux(%x: tensor<3xf32> {nn.name = "x"}) -> (tensor<f32>, tensor<3xf32> {nn.name = "correct"})
    attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.mul %x, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0>, keepdims = false} : tensor<3xf32> -> tensor<f32>
  return %1, %0 : tensor<f32>, tensor<3xf32>
}

// -----

// Max pooling (and any pooling with overlapping or padded windows) sends
// its cotangent back through nn.pool2d_grad with the forward's windows.
// CHECK-LABEL: func.func @maxpool_same
// CHECK: %[[P:.*]] = nn.pool2d max, %arg0
// CHECK: %[[G:.*]] = nn.pool2d_grad max, %arg0, %{{.*}} {padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>, window = array<i64: 3, 3>} : (tensor<2x5x5x3xf32>, tensor<2x5x5x3xf32>) -> tensor<2x5x5x3xf32>
// CHECK: return %{{.*}}, %[[G]]
func.func @maxpool_same(%x: tensor<2x5x5x3xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.pool2d max, %x {window = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>} : tensor<2x5x5x3xf32> -> tensor<2x5x5x3xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : tensor<2x5x5x3xf32> -> tensor<f32>
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
  %1 = nn.reduce sum, %0 {axes = array<i64: 0>, keepdims = false} : tensor<3xf32> -> tensor<f32>
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
  %2 = nn.reduce sum, %1 {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : tensor<3x3x3x4xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// Dilation spreads the filter's taps with zeros (then the ordinary rule);
// "same" padding with an even kernel is asymmetric (1 top, 2 bottom): the
// transposed convolution crops the smaller pad, a slice the rest.
// CHECK-LABEL: func.func @conv_dilated_same
// CHECK: %[[R:.*]] = nn.reshape %arg1 : tensor<2x2x2x3xf32> to tensor<2x1x2x2x3xf32>
// CHECK: %[[Z:.*]] = nn.fill {value = 0.000000e+00 : f64} : tensor<2x2x2x2x3xf32>
// CHECK: nn.concat %[[R]], %[[Z]] {axis = 1 : i64}
// CHECK: nn.slice %{{.*}} {sizes = array<i64: 4, 2, 2, 3>
// CHECK: nn.slice %{{.*}} {sizes = array<i64: 4, 4, 2, 3>
// CHECK: %[[DX:.*]] = nn.conv_transpose2d %{{.*}} {padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x8x8x3xf32>, tensor<4x4x3x2xf32>) -> tensor<?x9x9x2xf32>
// CHECK: nn.slice %[[DX]] {sizes = array<i64: -1, 8, 9, 2>
// CHECK: return %{{.*}}, %{{.*}} : tensor<f32>, tensor<?x8x8x2xf32>
func.func @conv_dilated_same(%x: tensor<?x8x8x2xf32>, %w: tensor<2x2x2x3xf32>) -> tensor<f32>
    attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 1, 2, 1, 2>,
                         dilation = array<i64: 3, 3>, groups = 1 : i64}
       : (tensor<?x8x8x2xf32>, tensor<2x2x2x3xf32>) -> tensor<?x8x8x3xf32>
  %1 = nn.square %0 : tensor<?x8x8x3xf32>
  %2 = nn.reduce sum, %1 {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : tensor<?x8x8x3xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// A grouped convolution over static images is differentiated as whole
// tensors: dX is a convolution in the same groups of the cotangent with
// the spatially flipped filter whose per-group channels swap (padded by
// the filter's span), dW the grouped filter cotangent.
// CHECK-LABEL: func.func @conv_grouped
// CHECK: %[[W5:.*]] = nn.reshape %{{.*}} : tensor<3x3x2x6xf32> to tensor<3x3x2x2x3xf32>
// CHECK: %[[SW:.*]] = nn.transpose %[[W5]] {perm = array<i64: 0, 1, 4, 3, 2>} : tensor<3x3x2x2x3xf32> -> tensor<3x3x3x2x2xf32>
// CHECK: %[[WS:.*]] = nn.reshape %[[SW]] : tensor<3x3x3x2x2xf32> to tensor<3x3x3x4xf32>
// CHECK: %[[DX:.*]] = nn.conv2d %[[G:.*]], %[[WS]] {dilation = array<i64: 1, 1>, groups = 2 : i64, padding = array<i64: 2, 2, 2, 2>, stride = array<i64: 1, 1>} : (tensor<?x4x4x6xf32>, tensor<3x3x3x4xf32>) -> tensor<?x6x6x4xf32>
// CHECK: %[[DW:.*]] = nn.conv2d_filter_grad %arg0, %[[G]] {dilation = array<i64: 1, 1>, groups = 2 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x6x6x4xf32>, tensor<?x4x4x6xf32>) -> tensor<3x3x2x6xf32>
// CHECK: return %{{.*}}, %[[DX]], %[[DW]]
func.func @conv_grouped(%x: tensor<?x6x6x4xf32>, %w: tensor<3x3x2x6xf32>) -> tensor<f32>
    attributes {nn.wrt = array<i64: 0, 1>} {
  %0 = nn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
                         dilation = array<i64: 1, 1>, groups = 2 : i64}
       : (tensor<?x6x6x4xf32>, tensor<3x3x2x6xf32>) -> tensor<?x4x4x6xf32>
  %1 = nn.square %0 : tensor<?x4x4x6xf32>
  %2 = nn.reduce sum, %1 {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : tensor<?x4x4x6xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// A strided slice (x[:, 1:10:4]) spreads its cotangent back with zeros
// between the taken columns, then pads before and after.
// CHECK-LABEL: func.func @strided_slice
// CHECK: %[[U:.*]] = nn.reshape %{{.*}} : tensor<?x3xf32> to tensor<?x3x1xf32>
// CHECK: %[[W:.*]] = nn.concat %[[U]], %{{.*}} {axis = 2 : i64} : (tensor<?x3x1xf32>, tensor<?x3x3xf32>) -> tensor<?x3x4xf32>
// CHECK: %[[F:.*]] = nn.reshape %[[W]] : tensor<?x3x4xf32> to tensor<?x12xf32>
// CHECK: %[[S:.*]] = nn.slice %[[F]] {sizes = array<i64: -1, 9>
// CHECK: %[[D:.*]] = nn.concat %{{.*}}, %[[S]] {axis = 1 : i64} : (tensor<?x1xf32>, tensor<?x9xf32>) -> tensor<?x10xf32>
// CHECK: return %{{.*}}, %[[D]]
func.func @strided_slice(%x: tensor<?x10xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.slice %x {starts = array<i64: 0, 1>, sizes = array<i64: -1, 3>, strides = array<i64: 1, 4>, squeeze = array<i64>} : tensor<?x10xf32> -> tensor<?x3xf32>
  %1 = nn.square %0 : tensor<?x3xf32>
  %2 = nn.reduce sum, %1 {axes = array<i64: 0, 1>, keepdims = false} : tensor<?x3xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// A gather from a rank-3 table: the table is a matrix [rows, 3 * 2] for
// the scatter-add, reshaped back.
// CHECK-LABEL: func.func @gather_3d
// CHECK: %[[G:.*]] = nn.reshape %{{.*}} : tensor<4x3x2xf32> to tensor<4x6xf32>
// CHECK: %[[H:.*]] = nn.one_hot %arg1 : tensor<4xi64> -> tensor<4x5xf32>
// CHECK: %[[T:.*]] = nn.transpose %[[H]]
// CHECK: %[[M:.*]] = nn.matmul %[[T]], %[[G]] : (tensor<5x4xf32>, tensor<4x6xf32>) -> tensor<5x6xf32>
// CHECK: %[[D:.*]] = nn.reshape %[[M]] : tensor<5x6xf32> to tensor<5x3x2xf32>
// CHECK: return %{{.*}}, %[[D]]
func.func @gather_3d(%t: tensor<5x3x2xf32>, %ids: tensor<4xi64>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.gather %t, %ids : (tensor<5x3x2xf32>, tensor<4xi64>) -> tensor<4x3x2xf32>
  %1 = nn.square %0 : tensor<4x3x2xf32>
  %2 = nn.reduce sum, %1 {axes = array<i64: 0, 1, 2>, keepdims = false} : tensor<4x3x2xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// A scan over a run-time length: the forward loop also writes the state
// each iteration starts from into a tape; the backward loop runs the
// iterations in reverse, reads the state back, recomputes the body and
// carries the cotangents of the state, of the stacked output and of the
// outer values the body reads (the sequence, slice by slice; w, summed).
// CHECK-LABEL: func.func @scan
// CHECK: %[[N:.*]] = arith.maxsi
// CHECK: %[[TAPE:.*]] = tensor.empty(%[[N]], %{{.*}}) : tensor<?x?x4xf32>
// CHECK: %[[FWD:.*]]:3 = scf.for %[[I:[a-z0-9]*]] = {{.*}} iter_args(%[[H:[a-z0-9]*]] = %{{.*}}, %{{[a-z0-9]*}} = %{{.*}}, %[[T:[a-z0-9]*]] = %[[TAPE]])
// CHECK:   tensor.insert_slice %[[H]] into %[[T]][%[[I]], 0, 0] [1, %{{.*}}, 4]
// CHECK: nn.reduce mean, %[[FWD]]#1
// CHECK: %[[BWD:.*]]:4 = scf.for %[[J:[a-z0-9]*]] = {{.*}} iter_args(%{{[a-z0-9]*}} = %{{.*}}, %{{[a-z0-9]*}} = %{{.*}}, %[[DX:[a-z0-9]*]] = %{{.*}}, %[[DW:[a-z0-9]*]] = %{{.*}})
// CHECK:   %[[K:.*]] = arith.subi %{{.*}}, %[[J]] : index
// CHECK:   %[[STATE:.*]] = tensor.extract_slice %[[FWD]]#2[%[[K]], 0, 0]
// CHECK:   nn.mul %[[STATE]], %arg1
// CHECK:   nn.tanh
// CHECK:   %[[XS:.*]] = tensor.extract_slice %[[DX]][0, %[[K]], 0]
// CHECK:   %[[XSUM:.*]] = nn.add %[[XS]], %{{.*}}
// CHECK:   %[[DX2:.*]] = tensor.insert_slice %[[XSUM]] into %[[DX]][0, %[[K]], 0]
// CHECK:   %[[DW2:.*]] = nn.add %[[DW]], %{{.*}} : (tensor<4xf32>, tensor<4xf32>)
// CHECK:   scf.yield %{{.*}}, %{{.*}}, %[[DX2]], %[[DW2]]
// CHECK: return %{{.*}}, %[[BWD]]#2, %[[BWD]]#3
func.func @scan(%x: tensor<?x?x4xf32>, %w: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0, 1>} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = tensor.dim %x, %c0 : tensor<?x?x4xf32>
  %t = tensor.dim %x, %c1 : tensor<?x?x4xf32>
  %h0 = nn.fill %b {value = 0.000000e+00 : f64} : tensor<?x4xf32>
  %s0 = tensor.empty(%b, %t) : tensor<?x?x4xf32>
  %r:2 = scf.for %i = %c0 to %t step %c1 iter_args(%h = %h0, %s = %s0) -> (tensor<?x4xf32>, tensor<?x?x4xf32>) {
    %xt = tensor.extract_slice %x[0, %i, 0] [%b, 1, 4] [1, 1, 1] : tensor<?x?x4xf32> to tensor<?x4xf32>
    %m = nn.mul %h, %w : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
    %a = nn.tanh %m : tensor<?x4xf32>
    %h2 = nn.add %a, %xt : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
    %s2 = tensor.insert_slice %h2 into %s[0, %i, 0] [%b, 1, 4] [1, 1, 1] : tensor<?x4xf32> into tensor<?x?x4xf32>
    scf.yield %h2, %s2 : tensor<?x4xf32>, tensor<?x?x4xf32>
  }
  %l = nn.reduce mean, %r#1 {axes = array<i64: 0, 1, 2>, keepdims = false} : tensor<?x?x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Training batch norm: the cotangents come from nn.batch_norm_grad on the
// input's channel moments (the op the forward's expansion and the running
// statistics also use); the running statistics get none.
// CHECK-LABEL: func.func @batch_norm_training
// CHECK-SAME: -> (tensor<f32>, tensor<?x4x3xf32>, tensor<3xf32>, tensor<3xf32>)
// CHECK: %[[M:[^,]*]], %[[V:.*]] = nn.channel_moments %arg0 : tensor<?x4x3xf32> -> tensor<3xf32>, tensor<3xf32>
// CHECK: %[[DX:[^,]*]], %[[DG:[^,]*]], %[[DB:.*]] = nn.batch_norm_grad %{{.*}}, %arg0, %arg1, %[[M]], %[[V]] {eps = 1.000000e-03 : f64}
// CHECK: return %{{.*}}, %[[DX]], %[[DG]], %[[DB]]
func.func @batch_norm_training(%x: tensor<?x4x3xf32>, %gamma: tensor<3xf32>, %beta: tensor<3xf32>, %rm: tensor<3xf32>, %rv: tensor<3xf32>) -> tensor<f32>
    attributes {nn.wrt = array<i64: 0, 1, 2>} {
  %0 = nn.batch_norm %x, %gamma, %beta, %rm, %rv {eps = 1.0e-03 : f64, training = true} : (tensor<?x4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<?x4x3xf32>
  %1 = nn.square %0 : tensor<?x4x3xf32>
  %2 = nn.reduce sum, %1 {axes = array<i64: 0, 1, 2>, keepdims = false} : tensor<?x4x3xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// Over images of run-time size, a grouped convolution is differentiated
// group by group: each group's channels, filters and cotangent sliced out,
// the cotangents concatenated back.
// CHECK-LABEL: func.func @conv_grouped_dynamic
// CHECK-DAG: nn.slice %arg0 {sizes = array<i64: -1, -1, -1, 2>, squeeze = array<i64>, starts = array<i64: 0, 0, 0, 2>
// CHECK-DAG: nn.conv2d_filter_grad {{.*}} : (tensor<?x?x?x2xf32>, tensor<?x?x?x3xf32>) -> tensor<3x3x2x3xf32>
// CHECK: %[[DX:.*]] = nn.concat {{.*}} {axis = 3 : i64} : (tensor<?x?x?x2xf32>, tensor<?x?x?x2xf32>) -> tensor<?x?x?x4xf32>
// CHECK: %[[DW:.*]] = nn.concat {{.*}} {axis = 3 : i64} : (tensor<3x3x2x3xf32>, tensor<3x3x2x3xf32>) -> tensor<3x3x2x6xf32>
// CHECK: return %{{.*}}, %[[DX]], %[[DW]]
func.func @conv_grouped_dynamic(%x: tensor<?x?x?x4xf32>, %w: tensor<3x3x2x6xf32>) -> tensor<f32>
    attributes {nn.wrt = array<i64: 0, 1>} {
  %0 = nn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>,
                         dilation = array<i64: 1, 1>, groups = 2 : i64}
       : (tensor<?x?x?x4xf32>, tensor<3x3x2x6xf32>) -> tensor<?x?x?x6xf32>
  %1 = nn.square %0 : tensor<?x?x?x6xf32>
  %2 = nn.reduce sum, %1 {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : tensor<?x?x?x6xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
