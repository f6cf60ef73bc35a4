// nn-lower-to-linalg: broadcasting in indexing maps, named ops where they
// exist, no nn op left.
// RUN: nnc-opt %s --split-input-file --nn-lower-to-linalg | FileCheck %s

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @bias_relu
// CHECK: %[[D:.*]] = tensor.dim %arg0
// CHECK: tensor.empty(%[[D]]) : tensor<?x256xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]]
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK: arith.maximumf
// CHECK-NOT: nn.
func.func @bias_relu(%x: tensor<?x256xf32>, %b: tensor<256xf32>) -> tensor<?x256xf32> {
  %0 = nn.add %x, %b : (tensor<?x256xf32>, tensor<256xf32>) -> tensor<?x256xf32>
  %1 = nn.relu %0 : tensor<?x256xf32>
  return %1 : tensor<?x256xf32>
}

// -----

// CHECK-LABEL: func.func @mm
// CHECK: linalg.fill
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<?x784xf32>, tensor<784x256xf32>)
func.func @mm(%x: tensor<?x784xf32>, %w: tensor<784x256xf32>) -> tensor<?x256xf32> {
  %0 = nn.matmul %x, %w : (tensor<?x784xf32>, tensor<784x256xf32>) -> tensor<?x256xf32>
  return %0 : tensor<?x256xf32>
}

// -----

// CHECK-LABEL: func.func @flatten
// CHECK: tensor.collapse_shape %arg0 {{\[}}[0], [1, 2]] : tensor<?x28x28xf32> into tensor<?x784xf32>
func.func @flatten(%x: tensor<?x28x28xf32>) -> tensor<?x784xf32> {
  %0 = nn.reshape %x : tensor<?x28x28xf32> to tensor<?x784xf32>
  return %0 : tensor<?x784xf32>
}

// -----

// CHECK-LABEL: func.func @conv_pool
// CHECK: tensor.pad %arg0 low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK: linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK: linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
func.func @conv_pool(%x: tensor<?x9x9x3xf32>, %w: tensor<3x3x3x8xf32>) -> tensor<?x2x2x8xf32> {
  %0 = nn.conv2d %x, %w {stride = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<?x9x9x3xf32>, tensor<3x3x3x8xf32>) -> tensor<?x5x5x8xf32>
  %1 = nn.pool2d max, %0 {window = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x5x5x8xf32> -> tensor<?x2x2x8xf32>
  return %1 : tensor<?x2x2x8xf32>
}


// -----

// Grouped convolution: one contraction over (n, oy, ox, ky, kx, c, g, f),
// the groups and their filters innermost (contiguous channels).
// CHECK-DAG: #[[GX:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1 + d3, d2 + d4, d6 * 2 + d5)>
// CHECK-DAG: #[[GW:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d3, d4, d5, d6 * 4 + d7)>
// CHECK-LABEL: func.func @grouped
// CHECK: linalg.generic {indexing_maps = [#[[GX]], #[[GW]], #{{[a-z0-9]+}}], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel", "parallel"]}
// CHECK: tensor.collapse_shape {{.*}} {{\[}}[0], [1], [2], [3, 4]] : tensor<?x7x7x2x4xf32> into tensor<?x7x7x8xf32>
func.func @grouped(%x: tensor<?x9x9x4xf32>, %w: tensor<3x3x2x8xf32>) -> tensor<?x7x7x8xf32> {
  %0 = nn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 2 : i64} : (tensor<?x9x9x4xf32>, tensor<3x3x2x8xf32>) -> tensor<?x7x7x8xf32>
  return %0 : tensor<?x7x7x8xf32>
}

// -----

// A grouped filter cotangent: one contraction over (kh, kw, c, n, y, x, g,
// f) on the result viewed as [KH, KW, C/G, G, F/G], not marked for the
// kernels (which are ungrouped).
// CHECK-DAG: #[[DX:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d3, d4 * 2 + d0, d5 * 2 + d1, d2 + d6)>
// CHECK-DAG: #[[DG:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d3, d4, d5, d6 * 2 + d7)>
// CHECK-LABEL: func.func @grouped_filter_grad
// CHECK: linalg.generic {indexing_maps = [#[[DX]], #[[DG]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel", "parallel"]}
// CHECK-NOT: nn.conv2d_filter_grad =
// CHECK: tensor.collapse_shape {{.*}} {{\[}}[0], [1], [2], [3, 4]] : tensor<3x3x1x3x2xf32> into tensor<3x3x1x6xf32>
func.func @grouped_filter_grad(%x: tensor<?x9x9x3xf32>, %g: tensor<?x5x5x6xf32>) -> tensor<3x3x1x6xf32> {
  %0 = nn.conv2d_filter_grad %x, %g {stride = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>, groups = 3 : i64} : (tensor<?x9x9x3xf32>, tensor<?x5x5x6xf32>) -> tensor<3x3x1x6xf32>
  return %0 : tensor<3x3x1x6xf32>
}

// -----

// The filter cotangent: the padded input and the cotangent in their own
// layouts, one contraction over (kh, kw, c, f, n, y, x), marked for
// nnc-kernel-calls.
// CHECK-DAG: #[[FX:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d5 * 2 + d0, d6 * 2 + d1, d2)>
// CHECK-DAG: #[[FG:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d5, d6, d3)>
// CHECK-LABEL: func.func @filter_grad
// CHECK: %[[P:.*]] = tensor.pad %arg0 low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK: linalg.generic {indexing_maps = [#[[FX]], #[[FG]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%[[P]], %arg1 : tensor<?x11x11x3xf32>, tensor<?x5x5x8xf32>)
// CHECK-SAME: attrs =  {nn.conv2d_filter_grad = array<i64: 2, 2, 1, 1>}
func.func @filter_grad(%x: tensor<?x9x9x3xf32>, %g: tensor<?x5x5x8xf32>) -> tensor<3x3x3x8xf32> {
  %0 = nn.conv2d_filter_grad %x, %g {stride = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>} : (tensor<?x9x9x3xf32>, tensor<?x5x5x8xf32>) -> tensor<3x3x3x8xf32>
  return %0 : tensor<3x3x3x8xf32>
}

// -----

// Dropout: identity in evaluation; in training a Philox mask (10 rounds
// of mulhilo) keeps u >= rate and scales by 1 / (1 - rate).
// CHECK-LABEL: func.func @dropout
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>)
// CHECK: linalg.generic
// CHECK-COUNT-20: arith.mului_extended
// CHECK: arith.cmpf oge
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: arith.select
// CHECK: return %[[X]], %{{.*}}
func.func @dropout(%x: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %0 = nn.dropout %x {rate = 0.25 : f64, seed = 9 : i64, training = false} : tensor<?x8xf32>
  %1 = nn.dropout %x {rate = 0.25 : f64, seed = 9 : i64, training = true} : tensor<?x8xf32>
  return %0, %1 : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// A product of a transposed operand (what reverse mode makes for the
// weight gradient, x^T @ dy) reads it through swapped indices (the
// transpose is left unused, for the canonicaliser to remove).
// CHECK-LABEL: func.func @matmul_transposed_lhs
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %arg1 : tensor<?x784xf32>, tensor<?x256xf32>) outs(%{{.*}} : tensor<784x256xf32>)
func.func @matmul_transposed_lhs(%x: tensor<?x784xf32>, %dy: tensor<?x256xf32>) -> tensor<784x256xf32> {
  %t = nn.transpose %x {perm = array<i64: 1, 0>} : tensor<?x784xf32> -> tensor<784x?xf32>
  %0 = nn.matmul %t, %dy : (tensor<784x?xf32>, tensor<?x256xf32>) -> tensor<784x256xf32>
  return %0 : tensor<784x256xf32>
}

// -----

// A reshape that no one collapse or expansion does (a unit dimension moved
// next to a dynamic one, as the cotangent of a strided slice needs): through
// one dimension, the dynamic size the element count over the static ones.
// CHECK-LABEL: func.func @reshape_regroup
// CHECK: %[[F:.*]] = tensor.collapse_shape %arg0 {{\[}}[0, 1, 2, 3]] : tensor<?x3x4x1xf32> into tensor<?xf32>
// CHECK: %[[N:.*]] = tensor.dim %[[F]], %{{.*}} : tensor<?xf32>
// CHECK: %[[B:.*]] = arith.divui %[[N]], %{{.*}} : index
// CHECK: tensor.expand_shape %[[F]] {{\[}}[0, 1, 2]] output_shape [%[[B]], 12, 1] : tensor<?xf32> into tensor<?x12x1xf32>
func.func @reshape_regroup(%x: tensor<?x3x4x1xf32>) -> tensor<?x12x1xf32> {
  %0 = nn.reshape %x : tensor<?x3x4x1xf32> to tensor<?x12x1xf32>
  return %0 : tensor<?x12x1xf32>
}

// -----

// nn.pool2d_take: the windows' arg-max (as for the max-pool backward),
// then a gather of the source at those positions.
// CHECK-LABEL: func.func @pool_take
// CHECK: %[[IDX:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
// CHECK: linalg.generic {{.*}} ins(%[[IDX]]#1 : tensor<2x2x2x1xi64>) outs(%{{.*}} : tensor<2x2x2x1xf32>)
// CHECK: arith.divui
// CHECK: arith.remui
// CHECK: tensor.extract %arg1
func.func @pool_take(%x: tensor<2x4x4x1xf32>, %u: tensor<2x4x4x1xf32>) -> tensor<2x2x2x1xf32> {
  %0 = nn.pool2d_take %x, %u {window = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<2x4x4x1xf32>, tensor<2x4x4x1xf32>) -> tensor<2x2x2x1xf32>
  return %0 : tensor<2x2x2x1xf32>
}

// -----

// nn.pool2d_grad of windows that tile the input (stride = window, no
// padding): one parallel loop over the input reading the window's
// cotangent and its four elements, no stored arg-max.
// CHECK-LABEL: func.func @pool_grad_tiled
// CHECK-NOT: tensor.pad
// CHECK: linalg.generic {indexing_maps = [#[[G:map[0-9]*]], #[[X00:map[0-9]*]], #[[X01:map[0-9]*]], #[[X10:map[0-9]*]], #[[X11:map[0-9]*]], #{{map[0-9]*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%arg1, %arg0, %arg0, %arg0, %arg0 :
// CHECK: arith.cmpf ogt
// CHECK: arith.remui
// CHECK: arith.cmpi eq
// CHECK: arith.select
// CHECK-NOT: linalg.generic
func.func @pool_grad_tiled(%x: tensor<?x4x6x3xf32>, %g: tensor<?x2x3x3xf32>) -> tensor<?x4x6x3xf32> {
  %0 = nn.pool2d_grad max, %x, %g {window = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<?x4x6x3xf32>, tensor<?x2x3x3xf32>) -> tensor<?x4x6x3xf32>
  return %0 : tensor<?x4x6x3xf32>
}

// -----

// Overlapping windows keep the general lowering: the arg-max, then a
// gather over the padded cotangent.
// CHECK-LABEL: func.func @pool_grad_overlapping
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
// CHECK: tensor.pad
func.func @pool_grad_overlapping(%x: tensor<?x5x5x3xf32>, %g: tensor<?x2x2x3xf32>) -> tensor<?x5x5x3xf32> {
  %0 = nn.pool2d_grad max, %x, %g {window = array<i64: 3, 3>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<?x5x5x3xf32>, tensor<?x2x2x3xf32>) -> tensor<?x5x5x3xf32>
  return %0 : tensor<?x5x5x3xf32>
}

// -----

// Batch norm's statistics: one loop for the sum, then one loop for both
// corrected sums of x - mean (its values and their squares).
// CHECK-LABEL: func.func @channel_moments
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "reduction", "parallel"]} ins(%{{.*}} : tensor<?x4x3xf32>) outs(%{{.*}} : tensor<3xf32>)
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<3xf32>)
// CHECK: %[[SUMS:.*]]:2 = linalg.generic {{.*}}iterator_types = ["reduction", "reduction", "parallel"]} ins(%{{.*}}, %[[MEAN]] : tensor<?x4x3xf32>, tensor<3xf32>) outs(%{{.*}}, %{{.*}} : tensor<3xf32>, tensor<3xf32>)
// CHECK: %[[D:.*]] = arith.subf
// CHECK: %[[D2:.*]] = arith.mulf %[[D]], %[[D]]
// CHECK: linalg.yield
// CHECK: %[[VAR:.*]] = linalg.generic {{.*}} ins(%[[SUMS]]#0, %[[SUMS]]#1 : tensor<3xf32>, tensor<3xf32>)
// CHECK: return %[[MEAN]], %[[VAR]]
func.func @channel_moments(%x: tensor<?x4x3xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  %m, %v = nn.channel_moments %x : tensor<?x4x3xf32> -> tensor<3xf32>, tensor<3xf32>
  return %m, %v : tensor<3xf32>, tensor<3xf32>
}

// -----

// Batch norm's backward: both sums (dbeta, dgamma) in one loop, then the
// input's cotangent element-wise; no other pass over the activations.
// CHECK-LABEL: func.func @batch_norm_grad
// CHECK: %[[RSTD:.*]] = linalg.generic
// CHECK: math.rsqrt
// CHECK: %[[SUMS:.*]]:2 = linalg.generic {{.*}}iterator_types = ["reduction", "reduction", "parallel"]} ins(%[[DY:[^,]*]], %[[X:[^,]*]], %{{.*}}, %[[RSTD]] : {{.*}}) outs(%{{.*}}, %{{.*}} : tensor<3xf32>, tensor<3xf32>)
// CHECK: ^bb0(%[[G:[^:]*]]: f32, {{.*}}, %[[ACCB:[^:]*]]: f32, %[[ACCG:[^:]*]]: f32)
// CHECK: %[[XH:.*]] = arith.mulf
// CHECK: %[[GXH:.*]] = arith.mulf %[[G]], %[[XH]]
// CHECK: %[[B:.*]] = arith.addf %[[ACCB]], %[[G]]
// CHECK: %[[GM:.*]] = arith.addf %[[ACCG]], %[[GXH]]
// CHECK: linalg.yield %[[B]], %[[GM]]
// CHECK: %[[DX:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[DY]], %[[X]], {{.*}}, %[[SUMS]]#0, %[[SUMS]]#1 :
// CHECK-NOT: linalg.generic
// CHECK: return %[[DX]], %[[SUMS]]#1, %[[SUMS]]#0
func.func @batch_norm_grad(%dy: tensor<?x4x3xf32>, %x: tensor<?x4x3xf32>, %g: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> (tensor<?x4x3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %dx, %dg, %db = nn.batch_norm_grad %dy, %x, %g, %m, %v {eps = 1.0e-03 : f64} : (tensor<?x4x3xf32>, tensor<?x4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<?x4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %dx, %dg, %db : tensor<?x4x3xf32>, tensor<3xf32>, tensor<3xf32>
}
