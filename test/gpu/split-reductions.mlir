// RUN: nnc-opt %s --pass-pipeline='builtin.module(func.func(nnc-gpu-split-reductions))' | FileCheck %s
// nnc-gpu-split-reductions: a large whole-tensor sum becomes 1024 partial
// sums (a parallel loop, thread p taking elements p, p + 1024, ...) and
// their total added, in order, to the output element.

// CHECK-LABEL: func.func @norm(
// CHECK-SAME: %[[G:.*]]: memref<256x128xf32>, %[[OUT:.*]]: memref<f32>)
// CHECK: %[[PART:.*]] = memref.alloc() : memref<1024xf32>
// CHECK: %[[N:.*]] = arith.muli
// CHECK: %[[ALL:.*]] = arith.muli %[[N]], %c128
// CHECK: scf.parallel (%[[P:.*]]) = (%{{.*}}) to (%c1024{{.*}}) step (%{{.*}}) {
// CHECK-NEXT: %[[SUM:.*]] = scf.for %[[E:.*]] = %[[P]] to %[[ALL]] step %c1024{{.*}} iter_args(%[[S:.*]] = %cst{{.*}}) -> (f32) {
// CHECK-NEXT: %[[J:.*]] = arith.remui %[[E]], %c128
// CHECK-NEXT: %[[I:.*]] = arith.divui %[[E]], %c128
// CHECK-NEXT: %[[X:.*]] = memref.load %[[G]][%[[I]], %[[J]]]
// CHECK-NEXT: %[[SQ:.*]] = arith.mulf %[[X]], %[[X]]
// CHECK-NEXT: %[[NEXT:.*]] = arith.addf %[[S]], %[[SQ]]
// CHECK-NEXT: scf.yield %[[NEXT]]
// CHECK: memref.store %[[SUM]], %[[PART]][%[[P]]]
// CHECK: %[[INIT:.*]] = memref.load %[[OUT]][]
// CHECK-NEXT: %[[TOTAL:.*]] = scf.for {{.*}} iter_args(%[[T:.*]] = %[[INIT]]) -> (f32) {
// CHECK-NEXT: memref.load %[[PART]][
// CHECK-NEXT: arith.addf %[[T]],
// CHECK: memref.store %[[TOTAL]], %[[OUT]][]
// CHECK-NOT: scf.for
// CHECK: memref.dealloc %[[PART]]
// CHECK-NEXT: return
func.func @norm(%g: memref<256x128xf32>, %out: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  %c256 = arith.constant 256 : index
  scf.for %i = %c0 to %c256 step %c1 {
    scf.for %j = %c0 to %c128 step %c1 {
      %x = memref.load %g[%i, %j] : memref<256x128xf32>
      %a = memref.load %out[] : memref<f32>
      %sq = arith.mulf %x, %x : f32
      %s = arith.addf %a, %sq : f32
      memref.store %s, %out[] : memref<f32>
    }
  }
  return
}

// A sum over a batch (here of 10 known elements, times the batch size):
// small, left as one sum in order.
// CHECK-LABEL: func.func @small(
// CHECK-NOT: memref.alloc
// CHECK-NOT: scf.parallel
func.func @small(%x: memref<?x10xf32>, %out: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c10 = arith.constant 10 : index
  %n = memref.dim %x, %c0 : memref<?x10xf32>
  scf.for %i = %c0 to %n step %c1 {
    scf.for %j = %c0 to %c10 step %c1 {
      %v = memref.load %x[%i, %j] : memref<?x10xf32>
      %a = memref.load %out[] : memref<f32>
      %s = arith.addf %a, %v : f32
      memref.store %s, %out[] : memref<f32>
    }
  }
  return
}

// Not a plain sum: the nest also reads the output buffer elsewhere, or a
// bound depends on an outer loop (a triangle): left alone.
// CHECK-LABEL: func.func @not_plain(
// CHECK-NOT: memref.alloc
// CHECK-NOT: scf.parallel
func.func @not_plain(%x: memref<8192xf32>, %out: memref<2xf32>, %t: memref<128x128xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  %c8192 = arith.constant 8192 : index
  scf.for %i = %c0 to %c8192 step %c1 {
    %v = memref.load %x[%i] : memref<8192xf32>
    %o = memref.load %out[%c1] : memref<2xf32>
    %a = memref.load %out[%c0] : memref<2xf32>
    %w = arith.mulf %v, %o : f32
    %s = arith.addf %a, %w : f32
    memref.store %s, %out[%c0] : memref<2xf32>
  }
  scf.for %i = %c0 to %c128 step %c1 {
    scf.for %j = %c0 to %i step %c1 {
      %v = memref.load %t[%i, %j] : memref<128x128xf32>
      %a = memref.load %out[%c0] : memref<2xf32>
      %s = arith.addf %a, %v : f32
      memref.store %s, %out[%c0] : memref<2xf32>
    }
  }
  return
}
