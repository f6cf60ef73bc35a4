// Folders: identity transposes and reshapes disappear, constants fold.
// RUN: nnc-opt %s --split-input-file --canonicalize | FileCheck %s

// CHECK-LABEL: func.func @identity_transpose
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @identity_transpose(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.transpose %x {perm = array<i64: 0, 1>} : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @identity_reshape
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @identity_reshape(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.reshape %x : tensor<2x3xf32> to tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// A real transpose stays.
// CHECK-LABEL: func.func @swap
// CHECK: nn.transpose
func.func @swap(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %0 = nn.transpose %x {perm = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// Unused pure ops and constants are removed.
// CHECK-LABEL: func.func @dead
// CHECK-NOT: nn.
// CHECK: return
func.func @dead(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %c = nn.constant dense<1.0> : tensor<f32>
  %0 = nn.relu %x : tensor<2x3xf32>
  return %x : tensor<2x3xf32>
}

// -----

// Two transposes that undo each other disappear.
// CHECK-LABEL: func.func @transpose_pair
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: return %[[X]]
func.func @transpose_pair(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = nn.transpose %x {perm = array<i64: 0, 2, 1>} : tensor<2x3x4xf32> -> tensor<2x4x3xf32>
  %1 = nn.transpose %0 {perm = array<i64: 0, 2, 1>} : tensor<2x4x3xf32> -> tensor<2x3x4xf32>
  return %1 : tensor<2x3x4xf32>
}

// -----

// A chain of reshapes is one reshape.
// CHECK-LABEL: func.func @reshape_chain
// CHECK-NEXT: %[[R:.*]] = nn.reshape %arg0 : tensor<?x28x28xf32> to tensor<?x784xf32>
// CHECK-NEXT: return %[[R]]
func.func @reshape_chain(%x: tensor<?x28x28xf32>) -> tensor<?x784xf32> {
  %0 = nn.reshape %x : tensor<?x28x28xf32> to tensor<?x28x28x1xf32>
  %1 = nn.reshape %0 : tensor<?x28x28x1xf32> to tensor<?x784xf32>
  return %1 : tensor<?x784xf32>
}
