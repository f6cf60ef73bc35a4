// nn-lower-to-linalg of the reductions, one case per kind of nn.reduce
// (sum, mean, max, min, prod, logsumexp, argmax, argmin, keepdims) and of
// nn.softmax (plain and log): each reduction is a linalg.generic with
// "reduction" iterators on the reduced axes into a linalg.fill of the
// kind's identity. Batch norm's moments are in lower-to-linalg.mlir.
// RUN: nnc-opt %s --split-input-file --nn-lower-to-linalg | FileCheck %s

// Two reduced axes around a kept one.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[KEPT:.*]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func.func @sum(
// CHECK: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[F:.*]] = linalg.fill ins(%[[Z]] : f32) outs(%{{.*}} : tensor<3xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[KEPT]]], iterator_types = ["reduction", "parallel", "reduction"]} ins(%arg0 : tensor<?x3x4xf32>) outs(%[[F]] : tensor<3xf32>)
// CHECK-NEXT: ^bb0(%[[X:[^:]*]]: f32, %[[ACC:[^:]*]]: f32):
// CHECK-NEXT: %[[R:.*]] = arith.addf %[[ACC]], %[[X]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
// CHECK-NOT: nn.
func.func @sum(%x: tensor<?x3x4xf32>) -> tensor<3xf32> {
  %0 = nn.reduce sum, %x {axes = array<i64: 0, 2>, keepdims = false} : tensor<?x3x4xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// mean over a dynamic axis: the sum, kept as [1, 3], divided by the
// run-time count (nnc-invariant-reciprocals, a later pass, turns that into a
// multiplication).
// CHECK-LABEL: func.func @mean_keepdims(
// CHECK: %[[S:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]} ins(%arg0 : tensor<?x3xf32>) outs(%{{.*}} : tensor<3xf32>)
// CHECK: arith.addf
// CHECK: %[[K:.*]] = tensor.expand_shape %[[S]] {{\[}}[0, 1]] output_shape [1, 3] : tensor<3xf32> into tensor<1x3xf32>
// CHECK: %[[D:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x3xf32>
// CHECK: %[[N:.*]] = arith.muli %{{.*}}, %[[D]] : index
// CHECK: %[[NI:.*]] = arith.index_cast %[[N]] : index to i64
// CHECK: %[[NF:.*]] = arith.uitofp %[[NI]] : i64 to f32
// CHECK: linalg.generic {{.*}} ins(%[[K]] : tensor<1x3xf32>)
// CHECK-NEXT: ^bb0(%[[X:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT: %[[R:.*]] = arith.divf %[[X]], %[[NF]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @mean_keepdims(%x: tensor<?x3xf32>) -> tensor<1x3xf32> {
  %0 = nn.reduce mean, %x {axes = array<i64: 0>, keepdims = true} : tensor<?x3xf32> -> tensor<1x3xf32>
  return %0 : tensor<1x3xf32>
}

// -----

// CHECK-LABEL: func.func @max(
// CHECK: %[[INIT:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[F:.*]] = linalg.fill ins(%[[INIT]] : f32)
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%arg0 : tensor<2x3xf32>) outs(%[[F]] : tensor<2xf32>)
// CHECK-NEXT: ^bb0(%[[X:[^:]*]]: f32, %[[ACC:[^:]*]]: f32):
// CHECK-NEXT: %[[R:.*]] = arith.maximumf %[[ACC]], %[[X]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @max(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  %0 = nn.reduce max, %x {axes = array<i64: 1>, keepdims = false} : tensor<2x3xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// CHECK-LABEL: func.func @min(
// CHECK: %[[INIT:.*]] = arith.constant 0x7F800000 : f32
// CHECK: %[[F:.*]] = linalg.fill ins(%[[INIT]] : f32)
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%arg0 : tensor<2x3xf32>) outs(%[[F]] : tensor<2xf32>)
// CHECK-NEXT: ^bb0(%[[X:[^:]*]]: f32, %[[ACC:[^:]*]]: f32):
// CHECK-NEXT: %[[R:.*]] = arith.minimumf %[[ACC]], %[[X]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @min(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  %0 = nn.reduce min, %x {axes = array<i64: 1>, keepdims = false} : tensor<2x3xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// CHECK-LABEL: func.func @prod(
// CHECK: %[[INIT:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[F:.*]] = linalg.fill ins(%[[INIT]] : f32)
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%arg0 : tensor<2x3xf32>) outs(%[[F]] : tensor<2xf32>)
// CHECK-NEXT: ^bb0(%[[X:[^:]*]]: f32, %[[ACC:[^:]*]]: f32):
// CHECK-NEXT: %[[R:.*]] = arith.mulf %[[ACC]], %[[X]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @prod(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  %0 = nn.reduce prod, %x {axes = array<i64: 1>, keepdims = false} : tensor<2x3xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Stable logsumexp: log(sum(exp(x - max))) + max.
// CHECK-LABEL: func.func @logsumexp(
// CHECK: %[[M1:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%arg0
// CHECK: arith.maximumf
// CHECK: %[[MK:.*]] = tensor.expand_shape %[[M1]] {{\[}}[0, 1]] output_shape [2, 1]
// CHECK: %[[E:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins(%arg0, %[[MK]] : tensor<2x3xf32>, tensor<2x1xf32>)
// CHECK: %[[D:.*]] = arith.subf
// CHECK: math.exp %[[D]]
// CHECK: %[[S:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[E]]
// CHECK: arith.addf
// CHECK: %[[M2:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%arg0
// CHECK: arith.maximumf
// CHECK: %[[R:.*]] = linalg.generic {{.*}}iterator_types = ["parallel"]} ins(%[[S]], %[[M2]] : tensor<2xf32>, tensor<2xf32>)
// CHECK-NEXT: ^bb0(%[[SS:[^:]*]]: f32, %[[MM:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT: %[[L:.*]] = math.log %[[SS]] : f32
// CHECK-NEXT: arith.addf %[[L]], %[[MM]] : f32
// CHECK: return %[[R]]
func.func @logsumexp(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  %0 = nn.reduce logsumexp, %x {axes = array<i64: 1>, keepdims = false} : tensor<2x3xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// argmax: one loop with two accumulators (value, index); a strictly
// greater element replaces both, so the first maximum wins ties.
// CHECK-LABEL: func.func @argmax(
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[V:.*]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.*}} : tensor<?xf32>)
// CHECK: %[[I:.*]] = linalg.fill ins(%{{.*}} : i64) outs(%{{.*}} : tensor<?xi64>)
// CHECK: %[[R:.*]]:2 = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%arg0 : tensor<?x10xf32>) outs(%[[V]], %[[I]] : tensor<?xf32>, tensor<?xi64>)
// CHECK-NEXT: ^bb0(%[[X:[^:]*]]: f32, %[[BEST:[^:]*]]: f32, %[[BI:[^:]*]]: i64):
// CHECK-NEXT: %[[IDX:.*]] = linalg.index 1 : index
// CHECK-NEXT: %[[II:.*]] = arith.index_cast %[[IDX]] : index to i64
// CHECK-NEXT: %[[GT:.*]] = arith.cmpf ogt, %[[X]], %[[BEST]] : f32
// CHECK-NEXT: %[[NV:.*]] = arith.select %[[GT]], %[[X]], %[[BEST]] : f32
// CHECK-NEXT: %[[NI:.*]] = arith.select %[[GT]], %[[II]], %[[BI]] : i64
// CHECK-NEXT: linalg.yield %[[NV]], %[[NI]] : f32, i64
// CHECK: return %[[R]]#1
func.func @argmax(%x: tensor<?x10xf32>) -> tensor<?xi64> {
  %0 = nn.reduce argmax, %x {axes = array<i64: 1>, keepdims = false} : tensor<?x10xf32> -> tensor<?xi64>
  return %0 : tensor<?xi64>
}

// -----

// argmin with keepdims: "less than" from +inf, the index result expanded.
// CHECK-LABEL: func.func @argmin_keepdims(
// CHECK: arith.constant 0x7F800000 : f32
// CHECK: %[[R:.*]]:2 = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]}
// CHECK: arith.cmpf olt
// CHECK: %[[K:.*]] = tensor.expand_shape %[[R]]#1 {{\[}}[0, 1]] output_shape [%{{.*}}, 1] : tensor<?xi64> into tensor<?x1xi64>
// CHECK: return %[[K]]
func.func @argmin_keepdims(%x: tensor<?x10xf32>) -> tensor<?x1xi64> {
  %0 = nn.reduce argmin, %x {axes = array<i64: 1>, keepdims = true} : tensor<?x10xf32> -> tensor<?x1xi64>
  return %0 : tensor<?x1xi64>
}

// -----

// Stable softmax: exp(x - max) / sum, the row values broadcast back
// through a unit dimension (constant 0 in the map).
// CHECK-DAG: #[[BC:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-LABEL: func.func @softmax(
// CHECK: %[[M:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%arg0
// CHECK: arith.maximumf
// CHECK: %[[MK:.*]] = tensor.expand_shape %[[M]]
// CHECK: %[[SH:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #[[BC]], #{{.*}}], {{.*}} ins(%arg0, %[[MK]] :
// CHECK: arith.subf
// CHECK: %[[E:.*]] = linalg.generic {{.*}} ins(%[[SH]] :
// CHECK: math.exp
// CHECK: %[[S:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[E]] :
// CHECK: arith.addf
// CHECK: %[[SK:.*]] = tensor.expand_shape %[[S]]
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #[[BC]], #{{.*}}], {{.*}} ins(%[[E]], %[[SK]] :
// CHECK-NEXT: ^bb0(%[[A:[^:]*]]: f32, %[[B:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT: arith.divf %[[A]], %[[B]] : f32
// CHECK: return %[[R]]
func.func @softmax(%x: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %0 = nn.softmax %x {axis = 1 : i64, log = false} : tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

// log_softmax: (x - max) - log(sum(exp(x - max))), no division.
// CHECK-LABEL: func.func @log_softmax(
// CHECK: %[[SH:.*]] = linalg.generic {{.*}} ins(%arg0, %{{.*}} : tensor<2x5xf32>, tensor<2x1xf32>)
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: %[[S:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]}
// CHECK: %[[SK:.*]] = tensor.expand_shape %[[S]]
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%[[SH]], %[[SK]] :
// CHECK-NEXT: ^bb0(%[[A:[^:]*]]: f32, %[[B:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT: %[[L:.*]] = math.log %[[B]] : f32
// CHECK-NEXT: arith.subf %[[A]], %[[L]] : f32
// CHECK-NOT: arith.divf
// CHECK: return %[[R]]
func.func @log_softmax(%x: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %0 = nn.softmax %x {axis = 1 : i64, log = true} : tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}
