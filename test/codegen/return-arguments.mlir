// RUN: nnc-opt %s --pass-pipeline="builtin.module(func.func(nnc-return-arguments))" | FileCheck %s

// A parameter updated in place is returned as itself, not as the copy
// ownership-based deallocation made of it; a copy that is written after
// being made is a different value and stays.
// CHECK-LABEL: func.func @step(
// CHECK-NOT: memref.alloc() : memref<8xf32>
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<4xf32>
// CHECK: memref.copy %arg1, %[[OUT]]
// CHECK: linalg.fill {{.*}} outs(%[[OUT]]
// CHECK-NOT: memref.copy %arg0
// CHECK: return %arg0, %[[OUT]], %arg0
func.func @step(%w: memref<8xf32>, %v: memref<4xf32>)
    -> (memref<8xf32>, memref<4xf32>, memref<8xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%w : memref<8xf32>)
  %out = memref.alloc() : memref<4xf32>
  memref.copy %v, %out : memref<4xf32> to memref<4xf32>
  linalg.fill ins(%zero : f32) outs(%out : memref<4xf32>)
  %tmp = memref.alloc() : memref<8xf32>
  %c1 = memref.alloc() : memref<8xf32>
  memref.copy %w, %c1 : memref<8xf32> to memref<8xf32>
  %c2 = memref.alloc() : memref<8xf32>
  memref.copy %w, %c2 : memref<8xf32> to memref<8xf32>
  memref.dealloc %tmp : memref<8xf32>
  return %c1, %out, %c2 : memref<8xf32>, memref<4xf32>, memref<8xf32>
}
