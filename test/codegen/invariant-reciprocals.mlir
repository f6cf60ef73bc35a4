// nnc-invariant-reciprocals: in a linalg.generic, a division by a value that
// is the same for every element (a scalar input, or a value defined
// outside the op) becomes a multiplication by its reciprocal, hoisted out
// of the loop by LLVM; a division by a varying value stays a division.
// RUN: nnc-opt %s --split-input-file --nn-lower-to-linalg --nnc-invariant-reciprocals | FileCheck %s

// CHECK-LABEL: func.func @div_by_scalar
// CHECK: linalg.generic
// CHECK: ^bb0(%[[X:.*]]: f32, %[[S:.*]]: f32, %{{.*}}: f32):
// CHECK:   %[[R:.*]] = arith.divf %cst{{.*}}, %[[S]] : f32
// CHECK:   arith.mulf %[[X]], %[[R]] : f32
// CHECK: linalg.generic
// CHECK: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32):
// CHECK:   arith.divf %[[A]], %[[B]] : f32
func.func @div_by_scalar(%x: tensor<4x8xf32>, %s: tensor<f32>, %y: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %0 = nn.div %x, %s : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %1 = nn.div %x, %y : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0, %1 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// A divisor defined outside the generic (a constant) is invariant too.
// CHECK-LABEL: func.func @div_by_outside
// CHECK: %[[C:.*]] = arith.constant 4.000000e+00 : f32
// CHECK: linalg.generic
// CHECK: %[[R:.*]] = arith.divf %{{.*}}, %[[C]] : f32
// CHECK: arith.mulf %{{.*}}, %[[R]] : f32
// CHECK-NOT: arith.divf
// CHECK: return
func.func @div_by_outside(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = tensor.empty() : tensor<4x8xf32>
  %c = arith.constant 4.0 : f32
  %1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x8xf32>) outs(%0 : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %d = arith.divf %a, %c : f32
    linalg.yield %d : f32
  } -> tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}
