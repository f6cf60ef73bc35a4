// RUN: nnc-opt %s --nnc-gpu-sink-operands | FileCheck %s
// nnc-gpu-sink-operands: constants, constant tensors and views of them
// move into the launches that use them (the GPU cannot read the host's
// copy); a view's offsets known only at run time go in as values.

memref.global "private" constant @table : memref<2x2xf32> = dense<[[1.0, 2.0], [3.0, 4.0]]>

// CHECK-LABEL: func.func @sink(
// CHECK: gpu.launch
// CHECK-DAG: arith.constant 0 : index
// CHECK-DAG: %[[G:.*]] = memref.get_global @table
// CHECK-DAG: %[[FLAT:.*]] = memref.collapse_shape %[[G]]
// CHECK: memref.load %[[FLAT]]
// CHECK: gpu.terminator
func.func @sink(%out: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %g = memref.get_global @table : memref<2x2xf32>
  %flat = memref.collapse_shape %g [[0, 1]] : memref<2x2xf32> into memref<4xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%a = %c1, %b = %c1, %c = %c1) {
    %v = memref.load %flat[%c0] : memref<4xf32>
    memref.store %v, %out[] : memref<f32>
    gpu.terminator
  }
  return
}

// CHECK-LABEL: func.func @dynamic(
// CHECK: gpu.launch
// CHECK: %[[G:.*]] = memref.get_global @table
// CHECK-NEXT: %[[SUB:.*]] = memref.subview %[[G]][%arg1, 0] [1, 2] [1, 1]
// CHECK: memref.load %[[SUB]]
func.func @dynamic(%out: memref<f32>, %i: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %g = memref.get_global @table : memref<2x2xf32>
  %sub = memref.subview %g[%i, 0] [1, 2] [1, 1] : memref<2x2xf32> to memref<2xf32, strided<[1], offset: ?>>
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%a = %c1, %b = %c1, %c = %c1) {
    %v = memref.load %sub[%c0] : memref<2xf32, strided<[1], offset: ?>>
    memref.store %v, %out[] : memref<f32>
    gpu.terminator
  }
  return
}
