// RUN: nnc-opt %s --pass-pipeline='builtin.module(func.func(nnc-private-inits))' | FileCheck %s

// One zero tensor (merged by CSE) as the destination of two products and
// an input of an addition: each destination gets its own empty tensor and
// fill right before its op, so bufferization copies nothing; the input
// keeps reading the original.
// CHECK-LABEL: func.func @shared
// CHECK: %[[E0:.*]] = tensor.empty
// CHECK: %[[Z:.*]] = linalg.fill {{.*}} outs(%[[E0]]
// CHECK: %[[E1:.*]] = tensor.empty
// CHECK: %[[F1:.*]] = linalg.fill {{.*}} outs(%[[E1]]
// CHECK: %[[P1:.*]] = linalg.matmul {{.*}} outs(%[[F1]]
// CHECK: %[[E2:.*]] = tensor.empty
// CHECK: %[[F2:.*]] = linalg.fill {{.*}} outs(%[[E2]]
// CHECK: %[[P2:.*]] = linalg.matmul {{.*}} outs(%[[F2]]
// CHECK: linalg.add ins(%[[P2]], %[[Z]]
func.func @shared(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>)
    -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %p1 = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>)
                      outs(%z : tensor<4x16xf32>) -> tensor<4x16xf32>
  %p2 = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>)
                      outs(%z : tensor<4x16xf32>) -> tensor<4x16xf32>
  %e3 = tensor.empty() : tensor<4x16xf32>
  %s = linalg.add ins(%p2, %z : tensor<4x16xf32>, tensor<4x16xf32>)
                  outs(%e3 : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %p1, %s : tensor<4x16xf32>, tensor<4x16xf32>
}

// A fill used once is left as it is.
// CHECK-LABEL: func.func @single
// CHECK: tensor.empty
// CHECK-NEXT: linalg.fill
// CHECK-NEXT: linalg.matmul
// CHECK-NOT: linalg.fill
func.func @single(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> tensor<4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %p = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>)
                     outs(%z : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %p : tensor<4x16xf32>
}
