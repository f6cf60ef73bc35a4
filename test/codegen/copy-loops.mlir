// RUN: nnc-opt %s --nnc-copy-loops | FileCheck %s

// A copy into the interior of a padded image (a strided view) becomes a
// linalg.copy; a copy between dense buffers stays memref.copy (memcpy).
// CHECK-LABEL: func.func @pad
// CHECK: %[[V:.*]] = memref.subview
// CHECK-NOT: memref.copy
// CHECK: linalg.copy ins(%arg0 : memref<4x28x28x1xf32>) outs(%[[V]]
func.func @pad(%x: memref<4x28x28x1xf32>, %p: memref<4x30x30x1xf32>) {
  %v = memref.subview %p[0, 1, 1, 0] [4, 28, 28, 1] [1, 1, 1, 1]
      : memref<4x30x30x1xf32> to memref<4x28x28x1xf32, strided<[900, 30, 1, 1], offset: 31>>
  memref.copy %x, %v : memref<4x28x28x1xf32> to memref<4x28x28x1xf32, strided<[900, 30, 1, 1], offset: 31>>
  return
}

// CHECK-LABEL: func.func @dense
// CHECK: memref.copy %arg0, %arg1
// CHECK-NOT: linalg.copy
func.func @dense(%a: memref<?x8xf32>, %b: memref<?x8xf32>) {
  memref.copy %a, %b : memref<?x8xf32> to memref<?x8xf32>
  return
}
