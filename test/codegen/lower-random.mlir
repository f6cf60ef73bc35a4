// nn-lower-to-linalg of the random ops: each element is drawn inline from
// the Philox4x32-10 block at counter offset + i / 4 (i the row-major
// index; ten rounds of two 32-bit multiply-high/low each), word i % 4,
// then turned into the distribution: uniform in [a, b), Box-Muller normal
// (cos on even lanes, sin on odd ones), Gumbel, Bernoulli. Dropout is in
// lower-to-linalg.mlir.
// RUN: nnc-opt %s --split-input-file --nn-lower-to-linalg | FileCheck %s

// The row-major index from linalg.index, the counter offset (5) + i / 4,
// the lane i % 4 choosing the block's word; a + (b - a) * (word >> 8) *
// 2^-24.
// CHECK-LABEL: func.func @uniform(
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} outs(%{{.*}} : tensor<3x8xf32>)
// CHECK: linalg.index 0
// CHECK: linalg.index 1
// CHECK: %[[I:.*]] = arith.index_cast %{{.*}} : index to i64
// CHECK-DAG: %[[FOUR:.*]] = arith.constant 4 : i64
// CHECK-DAG: %[[OFF:.*]] = arith.constant 5 : i64
// CHECK: %[[Q:.*]] = arith.divui %[[I]], %[[FOUR]] : i64
// CHECK: %[[CTR:.*]] = arith.addi %[[OFF]], %[[Q]] : i64
// CHECK: %[[LANE:.*]] = arith.remui %[[I]], %[[FOUR]] : i64
// CHECK: arith.trunci %[[CTR]] : i64 to i32
// CHECK-COUNT-20: arith.mului_extended
// CHECK-NOT: arith.mului_extended
// CHECK: %[[IS0:.*]] = arith.cmpi eq, %[[LANE]], %{{.*}} : i64
// CHECK: %[[IS1:.*]] = arith.cmpi eq, %[[LANE]], %{{.*}} : i64
// CHECK: %[[IS2:.*]] = arith.cmpi eq, %[[LANE]], %{{.*}} : i64
// CHECK: %[[S2:.*]] = arith.select %[[IS2]], %{{.*}}, %{{.*}} : i32
// CHECK: %[[S1:.*]] = arith.select %[[IS1]], %{{.*}}, %[[S2]] : i32
// CHECK: %[[W:.*]] = arith.select %[[IS0]], %{{.*}}, %[[S1]] : i32
// CHECK-DAG: %[[A:.*]] = arith.constant -1.000000e+00 : f32
// CHECK-DAG: %[[BA:.*]] = arith.constant 2.000000e+00 : f32
// CHECK: %[[TOP:.*]] = arith.shrui %[[W]], %{{.*}} : i32
// CHECK: %[[F:.*]] = arith.uitofp %[[TOP]] : i32 to f32
// CHECK: %[[SCALE:.*]] = arith.constant 5.96046448E-8 : f32
// CHECK: %[[U:.*]] = arith.mulf %[[F]], %[[SCALE]] : f32
// CHECK: %[[S:.*]] = arith.mulf %[[BA]], %[[U]] : f32
// CHECK: %[[R:.*]] = arith.addf %[[A]], %[[S]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @uniform() -> tensor<3x8xf32> {
  %0 = nn.random uniform {seed = 1 : i64, offset = 5 : i64, a = -1.0 : f64, b = 1.0 : f64} : tensor<3x8xf32>
  return %0 : tensor<3x8xf32>
}

// -----

// Normal (mean 0.5, std 2): sqrt(-2 log u1) * (sin or cos)(2 pi u2) on
// the lane's word pair; u1 in (0, 1] (the +1 keeps log finite). The
// dynamic size comes from the op's operand.
// CHECK-LABEL: func.func @normal(
// CHECK-SAME: %[[B:[^:]*]]: index
// CHECK: %[[E:.*]] = tensor.empty(%[[B]]) : tensor<?x8xf32>
// CHECK: linalg.generic {{.*}} outs(%[[E]] : tensor<?x8xf32>)
// CHECK: %[[LANE:.*]] = arith.remui
// CHECK-COUNT-20: arith.mului_extended
// CHECK: %[[M2:.*]] = arith.constant -2.000000e+00 : f32
// CHECK: arith.shrui
// CHECK: arith.addi %{{.*}}, %{{.*}} : i32
// CHECK: %[[L:.*]] = math.log %{{.*}} : f32
// CHECK: %[[RR:.*]] = arith.mulf %[[M2]], %[[L]] : f32
// CHECK: %[[RAD:.*]] = math.sqrt %[[RR]] : f32
// CHECK: %[[TWOPI:.*]] = arith.constant 6.28318548 : f32
// CHECK: %[[TH:.*]] = arith.mulf %[[TWOPI]], %{{.*}} : f32
// CHECK: %[[ODD:.*]] = arith.trunci %[[LANE]] : i64 to i1
// CHECK-DAG: %[[SIN:.*]] = math.sin %[[TH]] : f32
// CHECK-DAG: %[[COS:.*]] = math.cos %[[TH]] : f32
// CHECK: %[[TRIG:.*]] = arith.select %[[ODD]], %[[SIN]], %[[COS]] : f32
// CHECK-DAG: %[[MEAN:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-DAG: %[[STD:.*]] = arith.constant 2.000000e+00 : f32
// CHECK: %[[Z:.*]] = arith.mulf %[[RAD]], %[[TRIG]] : f32
// CHECK: %[[SZ:.*]] = arith.mulf %[[STD]], %[[Z]] : f32
// CHECK: %[[R:.*]] = arith.addf %[[MEAN]], %[[SZ]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @normal(%b: index) -> tensor<?x8xf32> {
  %0 = nn.random normal %b {seed = 7 : i64, offset = 0 : i64, a = 0.5 : f64, b = 2.0 : f64} : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// Gumbel: -log(-log(u)), u in (0, 1) (scaled below 1). A stream operand
// is read once, outside the loop, and supplies the counter's high words.
// CHECK-LABEL: func.func @gumbel(
// CHECK: %[[ST:.*]] = tensor.extract %arg0[] : tensor<i64>
// CHECK: linalg.generic
// CHECK: arith.trunci %[[ST]] : i64 to i32
// CHECK: arith.shrui %[[ST]], %{{.*}} : i64
// CHECK-COUNT-20: arith.mului_extended
// CHECK: %[[ALMOST1:.*]] = arith.constant 0.99999994 : f32
// CHECK: %[[U:.*]] = arith.mulf %{{.*}}, %[[ALMOST1]] : f32
// CHECK: %[[L1:.*]] = math.log %[[U]] : f32
// CHECK: %[[N1:.*]] = arith.negf %[[L1]] : f32
// CHECK: %[[L2:.*]] = math.log %[[N1]] : f32
// CHECK: %[[R:.*]] = arith.negf %[[L2]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @gumbel(%s: tensor<i64>) -> tensor<4xf32> {
  %0 = nn.random gumbel stream %s : tensor<i64> {seed = 3 : i64, offset = 0 : i64, a = 0.0 : f64, b = 1.0 : f64} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Bernoulli: 1 where u < p (p read element-wise), else 0.
// CHECK-LABEL: func.func @bernoulli(
// CHECK: linalg.generic {{.*}} ins(%arg0 : tensor<?x8xf32>) outs(%{{.*}} : tensor<?x8xf32>)
// CHECK-NEXT: ^bb0(%[[P:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-COUNT-20: arith.mului_extended
// CHECK: %[[U:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: %[[LT:.*]] = arith.cmpf olt, %[[U]], %[[P]] : f32
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[R:.*]] = arith.select %[[LT]], %[[ONE]], %[[ZERO]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @bernoulli(%p: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = nn.bernoulli %p {seed = 3 : i64, offset = 0 : i64} : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}
