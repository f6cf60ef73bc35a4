// nn-lower-to-linalg of convolutions and pooling not covered by
// lower-to-linalg.mlir: dilation, the transposed convolution, average
// pooling, padded max pooling and average pooling's backward (windows
// that tile the input, and overlapping padded ones).
// RUN: nnc-opt %s --split-input-file --nn-lower-to-linalg | FileCheck %s

// Dilation goes to the named op's attribute; no padding, no tensor.pad.
// CHECK-LABEL: func.func @conv_dilated(
// CHECK-NOT: tensor.pad
// CHECK: %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x5x5x8xf32>)
// CHECK: linalg.conv_2d_nhwc_hwcf {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%arg0, %arg1 : tensor<?x9x9x3xf32>, tensor<3x3x3x8xf32>) outs(%[[Z]] : tensor<?x5x5x8xf32>)
func.func @conv_dilated(%x: tensor<?x9x9x3xf32>, %w: tensor<3x3x3x8xf32>) -> tensor<?x5x5x8xf32> {
  %0 = nn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 2, 2>, groups = 1 : i64} : (tensor<?x9x9x3xf32>, tensor<3x3x3x8xf32>) -> tensor<?x5x5x8xf32>
  return %0 : tensor<?x5x5x8xf32>
}

// -----

// A transposed convolution (stride 2, 3x3): the input spread with stride 2
// into zeros padded by kernel - 1 = 2 on each side (3 -> 9), the kernel
// flipped in both spatial dimensions, then a stride-1 convolution.
// CHECK-DAG: #[[FLIP:.*]] = affine_map<(d0, d1, d2, d3) -> (-d0 + 2, -d1 + 2, d2, d3)>
// CHECK-LABEL: func.func @conv_transpose(
// CHECK: %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x9x9x4xf32>)
// CHECK: %[[SPREAD:.*]] = tensor.insert_slice %arg0 into %[[Z]][0, 2, 2, 0] [%{{.*}}, 3, 3, 4] [1, 2, 2, 1] : tensor<?x3x3x4xf32> into tensor<?x9x9x4xf32>
// CHECK: %[[W:.*]] = linalg.generic {indexing_maps = [#[[FLIP]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%arg1 : tensor<3x3x4x2xf32>)
// CHECK: linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[SPREAD]], %[[W]] : tensor<?x9x9x4xf32>, tensor<3x3x4x2xf32>) outs(%{{.*}} : tensor<?x7x7x2xf32>)
func.func @conv_transpose(%x: tensor<?x3x3x4xf32>, %w: tensor<3x3x4x2xf32>) -> tensor<?x7x7x2xf32> {
  %0 = nn.conv_transpose2d %x, %w {stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : (tensor<?x3x3x4xf32>, tensor<3x3x4x2xf32>) -> tensor<?x7x7x2xf32>
  return %0 : tensor<?x7x7x2xf32>
}

// -----

// Average pooling: zero padding, a sum pooling, then a multiplication by
// 1 / (window size) (padding counts, as in PyTorch's default).
// CHECK-LABEL: func.func @avgpool(
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[P:.*]] = tensor.pad %arg0 low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK: tensor.yield %[[ZERO]] : f32
// CHECK: %[[WIN:.*]] = tensor.empty() : tensor<3x3xf32>
// CHECK: %[[S:.*]] = linalg.pooling_nhwc_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%[[P]], %[[WIN]] : tensor<?x7x7x3xf32>, tensor<3x3xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[S]] : tensor<?x3x3x3xf32>)
// CHECK: %[[INV:.*]] = arith.constant 0.111111112 : f32
// CHECK: arith.mulf %{{.*}}, %[[INV]] : f32
func.func @avgpool(%x: tensor<?x5x5x3xf32>) -> tensor<?x3x3x3xf32> {
  %0 = nn.pool2d avg, %x {window = array<i64: 3, 3>, stride = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : tensor<?x5x5x3xf32> -> tensor<?x3x3x3xf32>
  return %0 : tensor<?x3x3x3xf32>
}

// -----

// Padded max pooling pads with -inf and starts from -inf.
// CHECK-LABEL: func.func @maxpool_padded(
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[P:.*]] = tensor.pad %arg0 low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK: tensor.yield %[[NEGINF]] : f32
// CHECK: %[[INIT:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[F:.*]] = linalg.fill ins(%[[INIT]] : f32)
// CHECK: linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[P]], %{{.*}} : tensor<?x7x7x3xf32>, tensor<3x3xf32>) outs(%[[F]] : tensor<?x5x5x3xf32>)
func.func @maxpool_padded(%x: tensor<?x5x5x3xf32>) -> tensor<?x5x5x3xf32> {
  %0 = nn.pool2d max, %x {window = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>} : tensor<?x5x5x3xf32> -> tensor<?x5x5x3xf32>
  return %0 : tensor<?x5x5x3xf32>
}

// -----

// Average pooling's backward over tiling windows: one parallel loop over
// the input reading its window's cotangent, times 1/4; the input is not
// read.
// CHECK-DAG: #[[WIN:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1 floordiv 2, d2 floordiv 2, d3)>
// CHECK-LABEL: func.func @avgpool_grad_tiled(
// CHECK: linalg.generic {indexing_maps = [#[[WIN]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%arg1 : tensor<?x2x3x3xf32>) outs(%{{.*}} : tensor<?x4x6x3xf32>)
// CHECK-NEXT: ^bb0(%[[G:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT: %[[Q:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-NEXT: %[[R:.*]] = arith.mulf %[[G]], %[[Q]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
// CHECK-NOT: linalg.generic
func.func @avgpool_grad_tiled(%x: tensor<?x4x6x3xf32>, %g: tensor<?x2x3x3xf32>) -> tensor<?x4x6x3xf32> {
  %0 = nn.pool2d_grad avg, %x, %g {window = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<?x4x6x3xf32>, tensor<?x2x3x3xf32>) -> tensor<?x4x6x3xf32>
  return %0 : tensor<?x4x6x3xf32>
}

// -----

// Overlapping, padded windows: every input position sums, over the window
// offsets (ky, kx) (reduction loops), the padded cotangent of the window
// at ((y + p - ky) / s, (x + p - kx) / s) when the division is exact,
// times 1/9.
// CHECK-DAG: #[[G:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, (d1 - d4 + 3) floordiv 2, (d2 - d5 + 3) floordiv 2, d3)>
// CHECK-DAG: #[[K:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>
// CHECK-LABEL: func.func @avgpool_grad_overlapping(
// CHECK: %[[P:.*]] = tensor.pad %arg1 low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK: linalg.generic {indexing_maps = [#[[G]], #[[K]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%[[P]], %{{.*}} : tensor<1x5x5x2xf32>, tensor<3x3xf32>)
// CHECK-NEXT: ^bb0(%[[IN:[^:]*]]: f32, %{{[^:]*}}: f32, %[[ACC:[^:]*]]: f32):
// CHECK: arith.remsi
// CHECK: arith.andi
// CHECK: arith.remsi
// CHECK: %[[EXACT:.*]] = arith.andi
// CHECK: %[[NINTH:.*]] = arith.constant 0.111111112 : f32
// CHECK: %[[T:.*]] = arith.mulf %[[IN]], %[[NINTH]] : f32
// CHECK: %[[S:.*]] = arith.addf %[[ACC]], %[[T]] : f32
// CHECK: %[[R:.*]] = arith.select %[[EXACT]], %[[S]], %[[ACC]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @avgpool_grad_overlapping(%x: tensor<1x5x5x2xf32>, %g: tensor<1x3x3x2xf32>) -> tensor<1x5x5x2xf32> {
  %0 = nn.pool2d_grad avg, %x, %g {window = array<i64: 3, 3>, stride = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x5x5x2xf32>, tensor<1x3x3x2xf32>) -> tensor<1x5x5x2xf32>
  return %0 : tensor<1x5x5x2xf32>
}
