// RUN: nnc-opt %s --pass-pipeline='builtin.module(func.func(nnc-gpu-tile-products, canonicalize, cse))' | FileCheck %s
// nnc-gpu-tile-products: a matrix product or a convolution becomes loops
// over 64x64 output tiles (one loop, marked, which the canonicalizer
// keeps), each with scratch for two operand tiles (padded by a column)
// and the tile's sums, and thread phases:
// sums from the output; per 16-long reduction tile the operand tiles'
// loads (consecutive iterations read consecutive elements) and 256
// threads' 4x4 multiply-adds in order of k; sums back to the output.

// CHECK-LABEL: func.func @mm(
// CHECK-SAME: %[[A:[^:]*]]: memref<256x256xf32>, %[[B:[^:]*]]: memref<256x96xf32>, %[[C:[^:]*]]: memref<256x96xf32>)
// CHECK: scf.parallel (%[[T:.*]]) = (%c0) to (%c8) step (%c1) {
// CHECK-NEXT: %[[CT:.*]] = arith.remui %[[T]], %c2
// CHECK-NEXT: %{{.*}} = arith.muli %[[CT]], %c64
// CHECK-NEXT: %[[REST:.*]] = arith.divui %[[T]], %c2
// CHECK-NEXT: %[[RT:.*]] = arith.remui %[[REST]], %c4
// CHECK-NEXT: %{{.*}} = arith.muli %[[RT]], %c64
// CHECK-NEXT: %[[AS:.*]] = memref.alloc() : memref<64x17xf32>
// CHECK-NEXT: %[[BS:.*]] = memref.alloc() : memref<16x65xf32>
// CHECK-NEXT: %[[SUMS:.*]] = memref.alloc() : memref<64x65xf32>
// CHECK-NEXT: scf.parallel (%{{.*}}) = (%c0) to (%c256) step (%c1) {
// CHECK: memref.load %[[C]][
// CHECK: memref.store %{{.*}}, %[[SUMS]][
// CHECK: } {nnc.gpu_threads}
// CHECK-NEXT: scf.for %[[K0:.*]] = %c0 to %c256 step %c16 {
// CHECK-NEXT: %[[LEFT:.*]] = arith.subi %c256, %[[K0]]
// CHECK-NEXT: %[[KEND:.*]] = arith.minui %[[LEFT]], %c16
// CHECK-NEXT: scf.parallel (%[[I:.*]]) = (%c0) to (%c1024) step (%c1) {
// CHECK-NEXT: %[[R:.*]] = arith.divui %[[I]], %c16
// CHECK-NEXT: %[[K:.*]] = arith.remui %[[I]], %c16
// CHECK: %[[X:.*]] = memref.load %[[A]][
// CHECK-NEXT: memref.store %[[X]], %[[AS]][%[[R]], %[[K]]]
// CHECK: } {nnc.gpu_threads}
// CHECK-NEXT: scf.parallel (%[[J:.*]]) = (%c0) to (%c1024) step (%c1) {
// CHECK-NEXT: %[[COL:.*]] = arith.remui %[[J]], %c64
// CHECK-NEXT: %[[KB:.*]] = arith.divui %[[J]], %c64
// CHECK: %[[Y:.*]] = memref.load %[[B]][
// CHECK-NEXT: memref.store %[[Y]], %[[BS]][%[[KB]], %[[COL]]]
// CHECK: } {nnc.gpu_threads}
// CHECK-NEXT: scf.parallel (%{{.*}}) = (%c0) to (%c256) step (%c1) {
// CHECK-COUNT-16: memref.load %[[SUMS]][
// CHECK: %{{.*}}:16 = scf.for %[[KK:.*]] = %c0 to %[[KEND]] step %c1 iter_args(%[[S0:[^ ]*]] = %{{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK-NEXT: %[[A0:.*]] = memref.load %[[AS]][%{{.*}}, %[[KK]]]
// CHECK-NEXT: %[[B0:.*]] = memref.load %[[BS]][%[[KK]], %{{.*}}]
// CHECK-COUNT-3: memref.load %[[AS]]
// CHECK: %[[P0:.*]] = arith.mulf %[[A0]], %[[B0]]
// CHECK-NEXT: arith.addf %[[S0]], %[[P0]]
// CHECK: scf.yield
// CHECK-COUNT-16: memref.store %{{.*}}, %[[SUMS]][
// CHECK: } {nnc.gpu_threads}
// CHECK-NEXT: }
// CHECK-NEXT: scf.parallel (%{{.*}}) = (%c0) to (%c256) step (%c1) {
// CHECK: memref.load %[[SUMS]][
// CHECK-NEXT: memref.store %{{.*}}, %[[C]][
// CHECK: } {nnc.gpu_threads}
// CHECK-NEXT: memref.dealloc %[[AS]]
// CHECK-NEXT: memref.dealloc %[[BS]]
// CHECK-NEXT: memref.dealloc %[[SUMS]]
// CHECK-NEXT: scf.reduce
// CHECK-NEXT: } {nnc.gpu_tiles = 256 : i64}
// CHECK-NOT: linalg.matmul
func.func @mm(%a: memref<256x256xf32>, %b: memref<256x96xf32>, %c: memref<256x96xf32>) {
  linalg.matmul ins(%a, %b : memref<256x256xf32>, memref<256x96xf32>) outs(%c : memref<256x96xf32>)
  return
}

// A weight gradient (X^T dY, the batch unknown): X's tile is read along
// its rows, in memory order; the tiles are 13 x 4.
// CHECK-LABEL: func.func @at(
// CHECK-SAME: %[[X:[^:]*]]: memref<?x784xf32>
// CHECK: %[[N:.*]] = memref.dim %[[X]], %c0
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c52) step (%c1) {
// CHECK: scf.for %[[K0:.*]] = %c0 to %[[N]] step %c16 {
// CHECK: scf.parallel (%[[I:.*]]) = (%c0) to (%c1024) step (%c1) {
// CHECK-NEXT: %[[R:.*]] = arith.remui %[[I]], %c64
// CHECK-NEXT: %[[K:.*]] = arith.divui %[[I]], %c64
// CHECK-NEXT: %[[ROW:.*]] = arith.addi %{{.*}}, %[[R]]
// CHECK-NEXT: %[[KG:.*]] = arith.addi %[[K0]], %[[K]]
// CHECK: memref.load %[[X]][%[[KG]], %[[ROW]]]
#at = affine_map<(i, j, k) -> (k, i)>
#b = affine_map<(i, j, k) -> (k, j)>
#c = affine_map<(i, j, k) -> (i, j)>
func.func @at(%a: memref<?x784xf32>, %b: memref<?x256xf32>, %c: memref<784x256xf32>) {
  linalg.generic {indexing_maps = [#at, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : memref<?x784xf32>, memref<?x256xf32>) outs(%c : memref<784x256xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// Thin products (10 columns) and products of few tiles (one here) stay as
// they are.
// CHECK-LABEL: func.func @thin(
// CHECK-NOT: scf.parallel
// CHECK: linalg.matmul
func.func @thin(%a: memref<128x256xf32>, %b: memref<256x10xf32>, %c: memref<128x10xf32>) {
  linalg.matmul ins(%a, %b : memref<128x256xf32>, memref<256x10xf32>) outs(%c : memref<128x10xf32>)
  return
}
// CHECK-LABEL: func.func @one(
// CHECK-NOT: scf.parallel
// CHECK: linalg.matmul
func.func @one(%a: memref<64x64xf32>, %b: memref<64x64xf32>, %c: memref<64x64xf32>) {
  linalg.matmul ins(%a, %b : memref<64x64xf32>, memref<64x64xf32>) outs(%c : memref<64x64xf32>)
  return
}

// Batched: 6 x 2 x 2 tiles; the batch index is the slowest.
// CHECK-LABEL: func.func @bmm(
// CHECK-SAME: %[[A:[^:]*]]: memref<6x100x32xf32>
// CHECK: scf.parallel (%[[T:.*]]) = (%c0) to (%c24) step (%c1) {
// CHECK-NEXT: %[[CT:.*]] = arith.remui %[[T]], %c2
// CHECK-NEXT: %{{.*}} = arith.muli %[[CT]], %c64
// CHECK-NEXT: %[[REST:.*]] = arith.divui %[[T]], %c2
// CHECK-NEXT: %[[RT:.*]] = arith.remui %[[REST]], %c2
// CHECK-NEXT: %{{.*}} = arith.muli %[[RT]], %c64
// CHECK-NEXT: %[[BI:.*]] = arith.divui %[[REST]], %c2
// CHECK: memref.load %[[A]][%[[BI]],
// CHECK-NOT: linalg.batch_matmul
func.func @bmm(%a: memref<6x100x32xf32>, %b: memref<6x32x70xf32>, %c: memref<6x100x70xf32>) {
  linalg.batch_matmul ins(%a, %b : memref<6x100x32xf32>, memref<6x32x70xf32>) outs(%c : memref<6x100x70xf32>)
  return
}

// A convolution is an implicit GEMM: rows are (image, y, x) of the output,
// N * 24 * 24 of them; columns its 64 channels; the depth the window and
// the input channels, 3 * 3 * 32 = 288 in loop order (dy, dx, c). The
// input tile is read along c (its memory order), at y + dy, x + dx.
// CHECK-LABEL: func.func @conv(
// CHECK-SAME: %[[X:[^:]*]]: memref<?x26x26x32xf32>, %[[W:[^:]*]]: memref<3x3x32x64xf32>, %[[Y:[^:]*]]: memref<?x24x24x64xf32>)
// CHECK: %[[N:.*]] = memref.dim %[[X]], %c0
// CHECK: %[[ROWS:.*]] = arith.muli %[[N]], %c576
// CHECK: %[[TILES:.*]] = arith.ceildivui %[[ROWS]], %c64
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%[[TILES]]) step (%c1) {
// CHECK: scf.for %[[K0:.*]] = %c0 to %c288 step %c16 {
// CHECK: scf.parallel (%[[I:.*]]) = (%c0) to (%c1024) step (%c1) {
// CHECK-NEXT: %[[R:.*]] = arith.divui %[[I]], %c16
// CHECK-NEXT: %[[K:.*]] = arith.remui %[[I]], %c16
// CHECK-NEXT: %[[ROW:.*]] = arith.addi %{{.*}}, %[[R]]
// CHECK-NEXT: %[[KG:.*]] = arith.addi %[[K0]], %[[K]]
// CHECK: scf.if
// CHECK-NEXT: %[[XX:.*]] = arith.remui %[[ROW]], %c24
// CHECK-NEXT: %[[NY:.*]] = arith.divui %[[ROW]], %c24
// CHECK-NEXT: %[[YY:.*]] = arith.remui %[[NY]], %c24
// CHECK-NEXT: %[[IMG:.*]] = arith.divui %[[NY]], %c24
// CHECK-NEXT: %[[C:.*]] = arith.remui %[[KG]], %c32
// CHECK-NEXT: %[[DYX:.*]] = arith.divui %[[KG]], %c32
// CHECK-NEXT: %[[DX:.*]] = arith.remui %[[DYX]], %c3
// CHECK-NEXT: %[[DY:.*]] = arith.divui %[[DYX]], %c3
// CHECK-NEXT: %[[IY:.*]] = affine.apply #{{.*}}(%[[YY]], %[[DY]])
// CHECK-NEXT: %[[IX:.*]] = affine.apply #{{.*}}(%[[XX]], %[[DX]])
// CHECK-NEXT: memref.load %[[X]][%[[IMG]], %[[IY]], %[[IX]], %[[C]]]
// CHECK: memref.load %[[W]][
// CHECK: memref.store %{{.*}}, %[[Y]][
// CHECK-NOT: linalg.conv
func.func @conv(%x: memref<?x26x26x32xf32>, %w: memref<3x3x32x64xf32>, %y: memref<?x24x24x64xf32>) {
  linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<?x26x26x32xf32>, memref<3x3x32x64xf32>) outs(%y : memref<?x24x24x64xf32>)
  return
}

// Not products: a depthwise convolution (both inputs vary along the
// output's channels) and a body that is not out + a * b.
// CHECK-LABEL: func.func @depthwise(
// CHECK-NOT: scf.parallel
// CHECK: linalg.depthwise_conv_2d_nhwc_hwc
func.func @depthwise(%x: memref<?x26x26x64xf32>, %w: memref<3x3x64xf32>, %y: memref<?x24x24x64xf32>) {
  linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<?x26x26x64xf32>, memref<3x3x64xf32>) outs(%y : memref<?x24x24x64xf32>)
  return
}
// CHECK-LABEL: func.func @maxplus(
// CHECK-NOT: scf.parallel
// CHECK: linalg.generic
func.func @maxplus(%a: memref<256x256xf32>, %b: memref<256x96xf32>, %c: memref<256x96xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, k)>, affine_map<(i, j, k) -> (k, j)>, affine_map<(i, j, k) -> (i, j)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : memref<256x256xf32>, memref<256x96xf32>) outs(%c : memref<256x96xf32>) {
  ^bb0(%x: f32, %w: f32, %acc: f32):
    %s = arith.addf %x, %w : f32
    %m = arith.maximumf %acc, %s : f32
    linalg.yield %m : f32
  }
  return
}

// Loops in another order (the reduction first) and a transposed output:
// the output's last dimension (i here) is still the columns, B (which
// does not vary with i) the row operand.
// CHECK-LABEL: func.func @kfirst(
// CHECK-SAME: %[[A:[^:]*]]: memref<192x256xf32>, %[[B:[^:]*]]: memref<256x256xf32>, %[[C:[^:]*]]: memref<256x192xf32>)
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c12) step (%c1) {
// CHECK: scf.for %{{.*}} = %c0 to %c256 step %c16 {
// CHECK: memref.load %[[B]][
// CHECK: memref.load %[[A]][
// CHECK: memref.store %{{.*}}, %[[C]][
// CHECK-NOT: linalg.generic
func.func @kfirst(%a: memref<192x256xf32>, %b: memref<256x256xf32>, %c: memref<256x192xf32>) {
  linalg.generic {indexing_maps = [affine_map<(k, i, j) -> (i, k)>, affine_map<(k, i, j) -> (k, j)>, affine_map<(k, i, j) -> (j, i)>], iterator_types = ["reduction", "parallel", "parallel"]} ins(%a, %b : memref<192x256xf32>, memref<256x256xf32>) outs(%c : memref<256x192xf32>) {
  ^bb0(%x: f32, %w: f32, %acc: f32):
    %m = arith.mulf %x, %w : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}
