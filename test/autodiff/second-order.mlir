// Second derivatives: the derivative of max pooling's backward
// (nn.pool2d_grad) in its cotangent reads each window's arg-max
// (nn.pool2d_take); a differentiated function that calls another one
// (a grad(...) inside a loss) inlines the callee after differentiating it.
// The call's results are the callee's after the pass (loss and gradient),
// as MLIRGen emits them, hence no verification while parsing.
// RUN: nnc-opt %s --split-input-file --mlir-very-unsafe-disable-verifier-on-parsing --nn-reverse-mode --canonicalize --cse | FileCheck %s

// CHECK-LABEL: func.func @pool_grad_max
// CHECK: %[[DX:.*]] = nn.pool2d_grad max, %arg0, %arg1
// CHECK: %[[U:.*]] = nn.mul %{{.*}}, %{{.*}} : (tensor<2x4x4x1xf32>, tensor<2x4x4x1xf32>)
// CHECK: %[[DG:.*]] = nn.pool2d_take %arg0, %[[U]] {padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>, window = array<i64: 2, 2>} : (tensor<2x4x4x1xf32>, tensor<2x4x4x1xf32>) -> tensor<2x2x2x1xf32>
// CHECK: return %{{.*}}, %[[DG]]
func.func @pool_grad_max(%x: tensor<2x4x4x1xf32>, %g: tensor<2x2x2x1xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 1>} {
  %0 = nn.pool2d_grad max, %x, %g {window = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<2x4x4x1xf32>, tensor<2x2x2x1xf32>) -> tensor<2x4x4x1xf32>
  %1 = nn.square %0 : tensor<2x4x4x1xf32>
  %2 = nn.reduce sum, %1 {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : tensor<2x4x4x1xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// Average pooling's backward is differentiated by average pooling.
// CHECK-LABEL: func.func @pool_grad_avg
// CHECK: %[[DG:.*]] = nn.pool2d avg, %{{.*}} {padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>, window = array<i64: 3, 3>} : tensor<1x5x5x2xf32> -> tensor<1x3x3x2xf32>
// CHECK: return %{{.*}}, %[[DG]]
func.func @pool_grad_avg(%x: tensor<1x5x5x2xf32>, %g: tensor<1x3x3x2xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 1>} {
  %0 = nn.pool2d_grad avg, %x, %g {window = array<i64: 3, 3>, stride = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x5x5x2xf32>, tensor<1x3x3x2xf32>) -> tensor<1x5x5x2xf32>
  %1 = nn.square %0 : tensor<1x5x5x2xf32>
  %2 = nn.reduce sum, %1 {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : tensor<1x5x5x2xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// L(x) = sum((d/dx sum(x^2))^2) = sum(4 x^2): dL/dx = 8 x. The inner
// function is differentiated first, then inlined into the outer one.
// CHECK-LABEL: func.func private @inner
// CHECK: return %{{.*}}, %{{.*}} : tensor<f32>, tensor<3xf32>
// CHECK-LABEL: func.func @outer
// CHECK-NOT: call
// CHECK-DAG: %[[TWO:.*]] = nn.constant dense<2.000000e+00>
// CHECK: %[[G:.*]] = nn.mul %{{.*}}, %{{.*}} : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
// CHECK: %[[SQ:.*]] = nn.mul %[[G]], %[[G]]
// CHECK: nn.reduce sum, %[[SQ]]
// CHECK: %[[D:.*]] = nn.mul %{{.*}}, %[[TWO]] : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
// CHECK: return %{{.*}}, %[[D]]
func.func private @inner(%x: tensor<3xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.square %x : tensor<3xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0>, keepdims = false} : tensor<3xf32> -> tensor<f32>
  return %1 : tensor<f32>
}
func.func @outer(%x: tensor<3xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0:2 = func.call @inner(%x) : (tensor<3xf32>) -> (tensor<f32>, tensor<3xf32>)
  %1 = nn.mul %0#1, %0#1 : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %2 = nn.reduce sum, %1 {axes = array<i64: 0>, keepdims = false} : tensor<3xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
