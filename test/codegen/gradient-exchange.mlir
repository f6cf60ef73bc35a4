// The gradient exchange of data-parallel training through the codegen
// passes: each start moves right after its gradient's producer
// (nnc-early-exchange); bufferization keeps the gradients' own buffers
// (the wait writes the sums in place); nnc-collective-calls makes runtime
// calls of address and element count, copying a strided gradient.
// RUN: nnc-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(nnc-early-exchange))" | FileCheck %s --check-prefix=EARLY
// RUN: nnc-opt %s --split-input-file --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" | FileCheck %s --check-prefix=BUF
// RUN: nnc-opt %s --split-input-file --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --nnc-collective-calls | FileCheck %s --check-prefix=CALLS

// EARLY-LABEL: func.func @step
// EARLY: %[[G1:.*]] = linalg.mul
// EARLY-NEXT: nn.allreduce_start %[[G1]] {index = 1 : i64}
// EARLY: %[[G0:.*]] = linalg.add
// EARLY-NEXT: nn.allreduce_start %[[G0]] {index = 0 : i64}
// EARLY-NEXT: nn.allreduce_wait %[[G0]], %[[G1]]

// BUF-LABEL: func.func @step
// BUF: nn.allreduce_start %[[B0:.*]] {index = 0 : i64} : memref<4xf32>
// BUF: nn.allreduce_start %[[B1:.*]] {index = 1 : i64} : memref<4xf32>
// BUF: nn.allreduce_wait %[[B0]], %[[B1]] : memref<4xf32>, memref<4xf32>{{$}}
// BUF: linalg.sub ins(%{{.*}}, %[[B0]] :

// CALLS-LABEL: func.func @step
// CALLS: call @nnc_allreduce_start(%{{.*}}, %{{.*}}, %{{.*}}) : (i64, i64, i64) -> ()
// CALLS: call @nnc_allreduce_start
// CALLS: call @nnc_allreduce_wait() : () -> ()
// CALLS: call @nnc_allreduce_result
// CALLS: call @nnc_allreduce_result
// CALLS-NOT: nn.allreduce
func.func @step(%x: tensor<4xf32>, %y: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  %g1 = linalg.mul ins(%x, %y : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %g0 = linalg.add ins(%x, %y : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  nn.allreduce_start %g0 {index = 0 : i64} : tensor<4xf32>
  nn.allreduce_start %g1 {index = 1 : i64} : tensor<4xf32>
  %s:2 = nn.allreduce_wait %g0, %g1 : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>, tensor<4xf32>
  %u = linalg.sub ins(%w, %s#0 : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %v = linalg.sub ins(%u, %s#1 : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %v : tensor<4xf32>
}

// -----

// A strided gradient (a column of a matrix) goes through a contiguous
// copy, and the sum is copied back.
// CALLS-LABEL: func.func @strided
// CALLS: %[[C:.*]] = memref.alloc() : memref<4xf32>
// CALLS: memref.copy %{{.*}}, %[[C]]
// CALLS: call @nnc_allreduce_start
// CALLS: memref.dealloc %[[C]]
// CALLS: call @nnc_allreduce_wait()
// CALLS: %[[T:.*]] = memref.alloc() : memref<4xf32>
// CALLS: call @nnc_allreduce_result
// CALLS: memref.copy %[[T]], %{{.*}}
// CALLS: memref.dealloc %[[T]]
func.func @strided(%m: memref<4x2xf32>) {
  %col = memref.subview %m[0, 1] [4, 1] [1, 1] : memref<4x2xf32> to memref<4xf32, strided<[2], offset: 1>>
  nn.allreduce_start %col {index = 0 : i64} : memref<4xf32, strided<[2], offset: 1>>
  nn.allreduce_wait %col : memref<4xf32, strided<[2], offset: 1>>
  return
}
