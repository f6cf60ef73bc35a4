// nn-lower-to-linalg of the shape and indexing ops, one case per op:
// transpose, reshape (expansion), slice, concat, gather, one_hot, upsample,
// and the matrix products that are not a plain linalg.matmul (batched
// with a broadcast batch, a transposed right operand). Collapsing and
// regrouping reshapes, 2-D products and a transposed left operand are in
// lower-to-linalg.mlir.
// RUN: nnc-opt %s --split-input-file --nn-lower-to-linalg | FileCheck %s

// The result's dynamic dimension is the input's dimension perm[d].
// CHECK-LABEL: func.func @transpose(
// CHECK: %[[D:.*]] = tensor.dim %arg0, %{{c[0-9_]*}} : tensor<?x3x5xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[D]]) : tensor<5x?x3xf32>
// CHECK: linalg.transpose ins(%arg0 : tensor<?x3x5xf32>) outs(%[[E]] : tensor<5x?x3xf32>) permutation = [2, 0, 1]
// CHECK-NOT: nn.
func.func @transpose(%x: tensor<?x3x5xf32>) -> tensor<5x?x3xf32> {
  %0 = nn.transpose %x {perm = array<i64: 2, 0, 1>} : tensor<?x3x5xf32> -> tensor<5x?x3xf32>
  return %0 : tensor<5x?x3xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_expand(
// CHECK: %[[D:.*]] = tensor.dim %arg0, %{{c[0-9_]*}} : tensor<?x12xf32>
// CHECK: tensor.expand_shape %arg0 {{\[}}[0], [1, 2]] output_shape [%[[D]], 3, 4] : tensor<?x12xf32> into tensor<?x3x4xf32>
func.func @reshape_expand(%x: tensor<?x12xf32>) -> tensor<?x3x4xf32> {
  %0 = nn.reshape %x : tensor<?x12xf32> to tensor<?x3x4xf32>
  return %0 : tensor<?x3x4xf32>
}

// -----

// A strided slice keeps its strides; a size of -1 takes the whole
// dimension; squeezed dimensions are dropped by the slice's result type.
// CHECK-LABEL: func.func @slice(
// CHECK: %[[D:.*]] = tensor.dim %arg0, %{{c[0-9_]*}} : tensor<?x10xf32>
// CHECK: tensor.extract_slice %arg0[0, 1] [%[[D]], 3] [1, 4] : tensor<?x10xf32> to tensor<?x3xf32>
// CHECK: tensor.extract_slice %arg0[0, 3] [%{{.*}}, 1] [1, 1] : tensor<?x10xf32> to tensor<?xf32>
func.func @slice(%x: tensor<?x10xf32>) -> (tensor<?x3xf32>, tensor<?xf32>) {
  %0 = nn.slice %x {starts = array<i64: 0, 1>, sizes = array<i64: -1, 3>, strides = array<i64: 1, 4>, squeeze = array<i64>} : tensor<?x10xf32> -> tensor<?x3xf32>
  %1 = nn.slice %x {starts = array<i64: 0, 3>, sizes = array<i64: -1, 1>, strides = array<i64: 1, 1>, squeeze = array<i64: 1>} : tensor<?x10xf32> -> tensor<?xf32>
  return %0, %1 : tensor<?x3xf32>, tensor<?xf32>
}

// -----

// concat: an empty tensor of the summed size along the axis, each input
// inserted at the running offset.
// CHECK-LABEL: func.func @concat(
// CHECK: %[[DA:.*]] = tensor.dim %arg0, %{{c[0-9_]*}} : tensor<2x?xf32>
// CHECK: %[[S1:.*]] = arith.addi %{{c[0-9_]*}}, %[[DA]] : index
// CHECK: %[[S2:.*]] = arith.addi %[[S1]], %{{.*}} : index
// CHECK: %[[E:.*]] = tensor.empty(%[[S2]]) : tensor<2x?xf32>
// CHECK: %[[A:.*]] = tensor.insert_slice %arg0 into %[[E]][0, %{{.*}}] [2, %{{.*}}] [1, 1] : tensor<2x?xf32> into tensor<2x?xf32>
// CHECK: %[[OFF:.*]] = arith.addi %{{.*}}, %{{.*}} : index
// CHECK: %[[B:.*]] = tensor.insert_slice %arg1 into %[[A]][0, %[[OFF]]] [2, 3] [1, 1] : tensor<2x3xf32> into tensor<2x?xf32>
// CHECK: return %[[B]]
func.func @concat(%a: tensor<2x?xf32>, %b: tensor<2x3xf32>) -> tensor<2x?xf32> {
  %0 = nn.concat %a, %b {axis = 1 : i64} : (tensor<2x?xf32>, tensor<2x3xf32>) -> tensor<2x?xf32>
  return %0 : tensor<2x?xf32>
}

// -----

// gather: a parallel loop over (index dims..., row dims...) that reads the
// id, clamps it to the table and extracts the table's element.
// CHECK-DAG: #[[IDX:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @gather(
// CHECK: linalg.generic {indexing_maps = [#[[IDX]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg1 : tensor<?x2xi64>) outs(%{{.*}} : tensor<?x2x4xf32>)
// CHECK-NEXT: ^bb0(%[[ID:[^:]*]]: i64, %{{[^:]*}}: f32):
// CHECK: %[[ROW:.*]] = arith.index_cast %[[ID]] : i64 to index
// CHECK-DAG: %[[LAST:.*]] = arith.constant 9 : index
// CHECK-DAG: %[[LO:.*]] = arith.maxsi %[[ROW]], %{{.*}} : index
// CHECK: %[[HI:.*]] = arith.minsi %[[LO]], %[[LAST]] : index
// CHECK: %[[COL:.*]] = linalg.index 2 : index
// CHECK: %[[V:.*]] = tensor.extract %arg0[%[[HI]], %[[COL]]] : tensor<10x4xf32>
// CHECK: linalg.yield %[[V]] : f32
func.func @gather(%t: tensor<10x4xf32>, %i: tensor<?x2xi64>) -> tensor<?x2x4xf32> {
  %0 = nn.gather %t, %i : (tensor<10x4xf32>, tensor<?x2xi64>) -> tensor<?x2x4xf32>
  return %0 : tensor<?x2x4xf32>
}

// -----

// one_hot: 1.0 where the class index (the last loop) equals the label.
// CHECK-DAG: #[[LBL:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @one_hot(
// CHECK: linalg.generic {indexing_maps = [#[[LBL]], #{{.*}}], iterator_types = ["parallel", "parallel"]} ins(%arg0 : tensor<?xi64>) outs(%{{.*}} : tensor<?x10xf32>)
// CHECK-NEXT: ^bb0(%[[L:[^:]*]]: i64, %{{[^:]*}}: f32):
// CHECK-NEXT: %[[I:.*]] = linalg.index 1 : index
// CHECK-NEXT: %[[C:.*]] = arith.index_cast %[[I]] : index to i64
// CHECK-NEXT: %[[EQ:.*]] = arith.cmpi eq, %[[L]], %[[C]] : i64
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[R:.*]] = arith.select %[[EQ]], %[[ONE]], %[[ZERO]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @one_hot(%l: tensor<?xi64>) -> tensor<?x10xf32> {
  %0 = nn.one_hot %l : tensor<?xi64> -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// Nearest-neighbour upsampling: a copy through floordiv indexing maps.
// CHECK-DAG: #[[SRC:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1 floordiv 2, d2 floordiv 2, d3)>
// CHECK-LABEL: func.func @upsample(
// CHECK: linalg.generic {indexing_maps = [#[[SRC]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%arg0 : tensor<?x7x7x4xf32>) outs(%{{.*}} : tensor<?x14x14x4xf32>)
// CHECK-NEXT: ^bb0(%[[X:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT: linalg.yield %[[X]] : f32
func.func @upsample(%x: tensor<?x7x7x4xf32>) -> tensor<?x14x14x4xf32> {
  %0 = nn.upsample %x {factor = 2 : i64} : tensor<?x7x7x4xf32> -> tensor<?x14x14x4xf32>
  return %0 : tensor<?x14x14x4xf32>
}

// -----

// A batched product whose right operand has a batch of 1: a contraction
// over (b, m, n, k), the broadcast batch indexed with 0, into a zero fill.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2, d3) -> (0, d3, d2)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @matmul_batched(
// CHECK: %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x4x6xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%arg0, %arg1 : tensor<?x4x5xf32>, tensor<1x5x6xf32>) outs(%[[Z]] : tensor<?x4x6xf32>)
// CHECK-NEXT: ^bb0(%[[X:[^:]*]]: f32, %[[Y:[^:]*]]: f32, %[[ACC:[^:]*]]: f32):
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[X]], %[[Y]] : f32
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK-NOT: linalg.matmul
func.func @matmul_batched(%a: tensor<?x4x5xf32>, %b: tensor<1x5x6xf32>) -> tensor<?x4x6xf32> {
  %0 = nn.matmul %a, %b : (tensor<?x4x5xf32>, tensor<1x5x6xf32>) -> tensor<?x4x6xf32>
  return %0 : tensor<?x4x6xf32>
}

// -----

// x @ w^T (a dense layer's input cotangent): the product reads w through
// swapped indices, (m, n, k) -> (n, k), not the transpose.
// CHECK-DAG: #[[WT:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @matmul_transposed_rhs(
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[WT]], #{{.*}}], iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %arg1 : tensor<?x3xf32>, tensor<5x3xf32>) outs(%{{.*}} : tensor<?x5xf32>)
func.func @matmul_transposed_rhs(%x: tensor<?x3xf32>, %w: tensor<5x3xf32>) -> tensor<?x5xf32> {
  %t = nn.transpose %w {perm = array<i64: 1, 0>} : tensor<5x3xf32> -> tensor<3x5xf32>
  %0 = nn.matmul %x, %t : (tensor<?x3xf32>, tensor<3x5xf32>) -> tensor<?x5xf32>
  return %0 : tensor<?x5xf32>
}

// -----

// A scalar and a tensor of ones reshape into each other with no groups
// (a reduction over every axis with keepdims; ONNX's conformance tests).
// CHECK-LABEL: func.func @scalar_to_ones(
// CHECK: tensor.expand_shape %arg0 [] output_shape [1, 1, 1] : tensor<f32> into tensor<1x1x1xf32>
// CHECK-LABEL: func.func @ones_to_scalar(
// CHECK: tensor.collapse_shape %arg0 [] : tensor<1x1xf32> into tensor<f32>
func.func @scalar_to_ones(%x: tensor<f32>) -> tensor<1x1x1xf32> {
  %0 = nn.reshape %x : tensor<f32> to tensor<1x1x1xf32>
  return %0 : tensor<1x1x1xf32>
}
func.func @ones_to_scalar(%x: tensor<1x1xf32>) -> tensor<f32> {
  %0 = nn.reshape %x : tensor<1x1xf32> to tensor<f32>
  return %0 : tensor<f32>
}
