// nnc-outline-kernels: every linalg op on buffers becomes a call of a
// private, never-inlined kernel; identical ops share one kernel; constants
// are cloned in; buffers no other argument reaches are listed for noalias.
// RUN: nnc-opt %s --nnc-outline-kernels | FileCheck %s

// Two identical ops on different buffers call one kernel; the fill's
// constant is cloned into its kernel, not passed.
// CHECK-LABEL: func.func @step
// CHECK: call @[[FILL:nn_kernel[_0-9]*]](%[[V0:.*]]) : (memref<16xf32>) -> ()
// CHECK: call @[[ADD:nn_kernel[_0-9]*]](%arg0, %[[V0]], %[[V1:.*]]) :
// CHECK: call @[[ADD]](%arg0, %[[V1]], %[[V0]]) :
// CHECK-NOT: linalg.
// CHECK: return
func.func @step(%x: memref<16xf32>, %ws: memref<?xi8>) {
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %a = memref.view %ws[%c0][] : memref<?xi8> to memref<16xf32>
  %b = memref.view %ws[%c64][] : memref<?xi8> to memref<16xf32>
  linalg.fill ins(%zero : f32) outs(%a : memref<16xf32>)
  linalg.add ins(%x, %a : memref<16xf32>, memref<16xf32>) outs(%b : memref<16xf32>)
  linalg.add ins(%x, %b : memref<16xf32>, memref<16xf32>) outs(%a : memref<16xf32>)
  return
}

// An op that reads one view of a buffer and writes another view of it
// declares no noalias for them (the views may overlap); the disjoint
// argument still gets it. A read-only pair of views of one buffer may.
// CHECK-LABEL: func.func @views
// CHECK: call @[[SHIFT:nn_kernel[_0-9]*]](
// CHECK: call @[[READS:nn_kernel[_0-9]*]](
func.func @views(%x: memref<16xf32>, %y: memref<8xf32>) {
  %lo = memref.subview %x[0] [8] [1] : memref<16xf32> to memref<8xf32, strided<[1]>>
  %hi = memref.subview %x[8] [8] [1] : memref<16xf32> to memref<8xf32, strided<[1], offset: 8>>
  linalg.add ins(%lo, %y : memref<8xf32, strided<[1]>>, memref<8xf32>) outs(%hi : memref<8xf32, strided<[1], offset: 8>>)
  linalg.add ins(%lo, %hi : memref<8xf32, strided<[1]>>, memref<8xf32, strided<[1], offset: 8>>) outs(%y : memref<8xf32>)
  return
}

// Inside a loop, a buffer carried by the loop has no known root: no
// noalias at all.
// CHECK-LABEL: func.func @loop
// CHECK: scf.for
// CHECK: call @[[LOOPK:nn_kernel[_0-9]*]](
func.func @loop(%x: memref<8xf32>, %y: memref<8xf32>) -> memref<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %r = scf.for %i = %c0 to %c4 step %c1 iter_args(%acc = %x) -> memref<8xf32> {
    linalg.add ins(%acc, %y : memref<8xf32>, memref<8xf32>) outs(%acc : memref<8xf32>)
    scf.yield %acc : memref<8xf32>
  }
  return %r : memref<8xf32>
}

// The kernels: LLVM's internal linkage, no inlining; the fill's constant
// inside; for memref<16xf32> (5 LLVM arguments each) the aligned pointers
// are arguments 1, 6 and 11.
// CHECK: func.func private @[[FILL]](%{{.*}}: memref<16xf32>) attributes {llvm.linkage = #llvm.linkage<internal>, nn.kernel, nn.noalias_args = array<i32: 1>, passthrough = ["noinline"]}
// CHECK-NEXT: arith.constant 0.000000e+00 : f32
// CHECK-NEXT: linalg.fill
// CHECK: func.func private @[[ADD]]({{.*}}) attributes {{{.*}}nn.noalias_args = array<i32: 1, 6, 11>
// CHECK-NEXT: linalg.add
// @views' first op: %lo and %hi share a root and %hi is written, so only
// %y (arguments 5-9, aligned pointer 6) is noalias.
// CHECK: func.func private @[[SHIFT]]({{.*}}) attributes {{{.*}}nn.noalias_args = array<i32: 6>,
// CHECK: func.func private @[[READS]]({{.*}}) attributes {{{.*}}nn.noalias_args = array<i32: 1, 6, 11>,
// CHECK: func.func private @[[LOOPK]]({{.*}}) attributes {llvm.linkage = #llvm.linkage<internal>, nn.kernel, passthrough = ["noinline"]}

// A second run leaves the kernels alone.
// RUN: nnc-opt %s --nnc-outline-kernels --nnc-outline-kernels | FileCheck %s --check-prefix=TWICE
// TWICE-COUNT-5: func.func private @nn_kernel
// TWICE-NOT: func.func private @nn_kernel
