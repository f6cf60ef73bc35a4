// The derivative rules of convolution-like ops, pooling, normalisation
// and the ops that pass no gradient, one case per op (conv2d,
// conv2d_filter_grad, max pooling, training batch norm and dropout are in
// rules.mlir, pool2d_grad in second-order.mlir). G is the seed of the
// final sum; a squared result's cotangent is C = G * 2y.
// RUN: nnc-opt %s --split-input-file --nn-reverse-mode --canonicalize --cse | FileCheck %s

// conv_transpose2d is the adjoint of conv2d with the channel-swapped
// filter: the input's cotangent is that convolution of C (same stride,
// padding on both sides), the filter's that convolution's filter cotangent,
// swapped back.
// CHECK-LABEL: func.func @conv_transpose(
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<1x5x5x2xf32>, tensor<f32>) -> tensor<1x5x5x2xf32>
// CHECK: %[[C:.*]] = nn.mul %[[G]], %{{.*}} : (tensor<1x5x5x2xf32>, tensor<1x5x5x2xf32>) -> tensor<1x5x5x2xf32>
// CHECK: %[[WS:.*]] = nn.transpose %arg1 {perm = array<i64: 0, 1, 3, 2>} : tensor<3x3x4x2xf32> -> tensor<3x3x2x4xf32>
// CHECK: %[[DX:.*]] = nn.conv2d %[[C]], %[[WS]] {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : (tensor<1x5x5x2xf32>, tensor<3x3x2x4xf32>) -> tensor<1x3x3x4xf32>
// CHECK: %[[FG:.*]] = nn.conv2d_filter_grad %[[C]], %arg0 {dilation = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : (tensor<1x5x5x2xf32>, tensor<1x3x3x4xf32>) -> tensor<3x3x2x4xf32>
// CHECK: %[[DW:.*]] = nn.transpose %[[FG]] {perm = array<i64: 0, 1, 3, 2>} : tensor<3x3x2x4xf32> -> tensor<3x3x4x2xf32>
// CHECK: return %{{.*}}, %[[DX]], %[[DW]]
func.func @conv_transpose(%x: tensor<1x3x3x4xf32>, %w: tensor<3x3x4x2xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0, 1>} {
  %0 = nn.conv_transpose2d %x, %w {stride = array<i64: 2, 2>, padding = array<i64: 1, 1>} : (tensor<1x3x3x4xf32>, tensor<3x3x4x2xf32>) -> tensor<1x5x5x2xf32>
  %1 = nn.square %0 : tensor<1x5x5x2xf32>
  %2 = nn.reduce sum, %1 {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : tensor<1x5x5x2xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// Average pooling with non-overlapping square windows: C upsampled, times
// 1/4, and a zero row for the input row no window covered (5 = 2 * 2 + 1).
// CHECK-LABEL: func.func @avgpool_tiled(
// CHECK-DAG: %[[Q:.*]] = nn.constant dense<2.500000e-01> : tensor<f32>
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<2x2x2x3xf32>, tensor<f32>) -> tensor<2x2x2x3xf32>
// CHECK: %[[C:.*]] = nn.mul %[[G]], %{{.*}} : (tensor<2x2x2x3xf32>, tensor<2x2x2x3xf32>) -> tensor<2x2x2x3xf32>
// CHECK: %[[U:.*]] = nn.upsample %[[C]] {factor = 2 : i64} : tensor<2x2x2x3xf32> -> tensor<2x4x4x3xf32>
// CHECK: %[[A:.*]] = nn.mul %[[U]], %[[Q]]
// CHECK: %[[Z:.*]] = nn.fill {value = 0.000000e+00 : f64} : tensor<2x1x4x3xf32>
// CHECK: %[[DX:.*]] = nn.concat %[[A]], %[[Z]] {axis = 1 : i64} : (tensor<2x4x4x3xf32>, tensor<2x1x4x3xf32>) -> tensor<2x5x4x3xf32>
// CHECK-NOT: nn.pool2d_grad
// CHECK: return %{{.*}}, %[[DX]]
func.func @avgpool_tiled(%x: tensor<2x5x4x3xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.pool2d avg, %x {window = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<2x5x4x3xf32> -> tensor<2x2x2x3xf32>
  %1 = nn.square %0 : tensor<2x2x2x3xf32>
  %2 = nn.reduce sum, %1 {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : tensor<2x2x2x3xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// Overlapping or padded average pooling: nn.pool2d_grad with the same windows.
// CHECK-LABEL: func.func @avgpool_padded(
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<1x3x3x2xf32>, tensor<f32>) -> tensor<1x3x3x2xf32>
// CHECK: %[[C:.*]] = nn.mul %[[G]], %{{.*}} : (tensor<1x3x3x2xf32>, tensor<1x3x3x2xf32>) -> tensor<1x3x3x2xf32>
// CHECK: %[[DX:.*]] = nn.pool2d_grad avg, %arg0, %[[C]] {padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>, window = array<i64: 3, 3>} : (tensor<1x5x5x2xf32>, tensor<1x3x3x2xf32>) -> tensor<1x5x5x2xf32>
// CHECK: return %{{.*}}, %[[DX]]
func.func @avgpool_padded(%x: tensor<1x5x5x2xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.pool2d avg, %x {window = array<i64: 3, 3>, stride = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : tensor<1x5x5x2xf32> -> tensor<1x3x3x2xf32>
  %1 = nn.square %0 : tensor<1x3x3x2xf32>
  %2 = nn.reduce sum, %1 {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : tensor<1x3x3x2xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// pool2d_take is linear in its source: the source's cotangent goes back to
// each window's arg-max of the input (max pooling's rule); the input only
// selects, so its cotangent is zeros.
// CHECK-LABEL: func.func @pool_take(
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<1x2x2x2xf32>, tensor<f32>) -> tensor<1x2x2x2xf32>
// CHECK: %[[C:.*]] = nn.mul %[[G]], %{{.*}} : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
// CHECK: %[[DU:.*]] = nn.pool2d_grad max, %arg0, %[[C]] {padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>, window = array<i64: 2, 2>} : (tensor<1x4x4x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x4x4x2xf32>
// CHECK: %[[DX:.*]] = nn.fill {value = 0.000000e+00 : f64} : tensor<1x4x4x2xf32>
// CHECK: return %{{.*}}, %[[DX]], %[[DU]]
func.func @pool_take(%x: tensor<1x4x4x2xf32>, %u: tensor<1x4x4x2xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0, 1>} {
  %0 = nn.pool2d_take %x, %u {window = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32>
  %1 = nn.square %0 : tensor<1x2x2x2xf32>
  %2 = nn.reduce sum, %1 {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : tensor<1x2x2x2xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// layer_norm through its own statistics (over the last axis, n = 4): with
// x^ = (x - mean) rstd and h = C gamma, dx = rstd (h - mean(h) - x^
// mean(h x^)), dgamma = sum(C x^) and dbeta = sum(C) over the batch.
// CHECK-LABEL: func.func @layer_norm(
// CHECK-DAG: %[[EPS:.*]] = nn.constant dense<9.99999974E-6> : tensor<f32>
// CHECK-DAG: %[[N:.*]] = nn.constant dense<4.000000e+00> : tensor<f32>
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
// CHECK: %[[C:.*]] = nn.mul %[[G]], %{{.*}} : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
// CHECK: %[[S:.*]] = nn.reduce sum, %arg0 {axes = array<i64: 1>, keepdims = true} : tensor<2x4xf32> -> tensor<2x1xf32>
// CHECK: %[[MEAN:.*]] = nn.div %[[S]], %[[N]]
// CHECK: %[[XC:.*]] = nn.sub %arg0, %[[MEAN]]
// CHECK: %[[XC2:.*]] = nn.mul %[[XC]], %[[XC]]
// CHECK: %[[S2:.*]] = nn.reduce sum, %[[XC2]] {axes = array<i64: 1>, keepdims = true}
// CHECK: %[[VAR:.*]] = nn.div %[[S2]], %[[N]]
// CHECK: %[[VE:.*]] = nn.add %[[VAR]], %[[EPS]]
// CHECK: %[[RSTD:.*]] = nn.rsqrt %[[VE]]
// CHECK: %[[XH:.*]] = nn.mul %[[XC]], %[[RSTD]]
// CHECK: %[[H:.*]] = nn.mul %[[C]], %arg1 : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
// CHECK: %[[HS:.*]] = nn.reduce sum, %[[H]] {axes = array<i64: 1>, keepdims = true}
// CHECK: %[[HM:.*]] = nn.div %[[HS]], %[[N]]
// CHECK: %[[T1:.*]] = nn.sub %[[H]], %[[HM]]
// CHECK: %[[HX:.*]] = nn.mul %[[H]], %[[XH]]
// CHECK: %[[HXS:.*]] = nn.reduce sum, %[[HX]] {axes = array<i64: 1>, keepdims = true}
// CHECK: %[[HXM:.*]] = nn.div %[[HXS]], %[[N]]
// CHECK: %[[T2:.*]] = nn.mul %[[XH]], %[[HXM]]
// CHECK: %[[IN:.*]] = nn.sub %[[T1]], %[[T2]]
// CHECK: %[[DX:.*]] = nn.mul %[[RSTD]], %[[IN]]
// CHECK: %[[CX:.*]] = nn.mul %[[C]], %[[XH]]
// CHECK: %[[DG:.*]] = nn.reduce sum, %[[CX]] {axes = array<i64: 0>, keepdims = false} : tensor<2x4xf32> -> tensor<4xf32>
// CHECK: %[[DB:.*]] = nn.reduce sum, %[[C]] {axes = array<i64: 0>, keepdims = false} : tensor<2x4xf32> -> tensor<4xf32>
// CHECK: return %{{.*}}, %[[DX]], %[[DG]], %[[DB]]
func.func @layer_norm(%x: tensor<2x4xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0, 1, 2>} {
  %0 = nn.layer_norm %x, %g, %b {eps = 1.0e-05 : f64} : (tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %1 = nn.square %0 : tensor<2x4xf32>
  %2 = nn.reduce sum, %1 {axes = array<i64: 0, 1>, keepdims = false} : tensor<2x4xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// Batch norm in evaluation mode is affine in x: dx = C gamma rstd with the
// running variance, dgamma = sum(C x^), dbeta = sum(C) over all but the
// channels; the running statistics (state) get zeros.
// CHECK-LABEL: func.func @batch_norm_eval(
// CHECK-DAG: %[[EPS:.*]] = nn.constant dense<1.000000e-03> : tensor<f32>
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<2x4x3xf32>, tensor<f32>) -> tensor<2x4x3xf32>
// CHECK: %[[C:.*]] = nn.mul %[[G]], %{{.*}} : (tensor<2x4x3xf32>, tensor<2x4x3xf32>) -> tensor<2x4x3xf32>
// CHECK: %[[VE:.*]] = nn.add %arg4, %[[EPS]]
// CHECK: %[[RSTD:.*]] = nn.rsqrt %[[VE]] : tensor<3xf32>
// CHECK: %[[XC:.*]] = nn.sub %arg0, %arg3
// CHECK: %[[XH:.*]] = nn.mul %[[XC]], %[[RSTD]]
// CHECK: %[[SC:.*]] = nn.mul %arg1, %[[RSTD]] : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
// CHECK: %[[DX:.*]] = nn.mul %[[C]], %[[SC]]
// CHECK: %[[CX:.*]] = nn.mul %[[C]], %[[XH]]
// CHECK: %[[DG:.*]] = nn.reduce sum, %[[CX]] {axes = array<i64: 0, 1>, keepdims = false} : tensor<2x4x3xf32> -> tensor<3xf32>
// CHECK: %[[DB:.*]] = nn.reduce sum, %[[C]] {axes = array<i64: 0, 1>, keepdims = false} : tensor<2x4x3xf32> -> tensor<3xf32>
// CHECK: %[[Z:.*]] = nn.fill {value = 0.000000e+00 : f64} : tensor<3xf32>
// CHECK: return %{{.*}}, %[[DX]], %[[DG]], %[[DB]], %[[Z]], %[[Z]]
func.func @batch_norm_eval(%x: tensor<2x4x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0, 1, 2, 3, 4>} {
  %0 = nn.batch_norm %x, %g, %b, %m, %v {eps = 1.0e-03 : f64, training = false} : (tensor<2x4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x4x3xf32>
  %1 = nn.square %0 : tensor<2x4x3xf32>
  %2 = nn.reduce sum, %1 {axes = array<i64: 0, 1, 2>, keepdims = false} : tensor<2x4x3xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// channel_moments (n = 2 * 4 = 8 per channel): the mean's cotangent spreads
// evenly (/ n), the variance's as 2 (x - mean) / n; the two add.
// CHECK-LABEL: func.func @channel_moments(
// CHECK-DAG: %[[TWO:.*]] = nn.constant dense<2.000000e+00> : tensor<f32>
// CHECK-DAG: %[[N:.*]] = nn.constant dense<8.000000e+00> : tensor<f32>
// CHECK: %[[M:[^,]*]], %{{.*}} = nn.channel_moments %arg0
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
// CHECK: %[[Z:.*]] = nn.fill {value = 0.000000e+00 : f64} : tensor<2x4x3xf32>
// CHECK: %[[GM:.*]] = nn.div %[[G]], %[[N]]
// CHECK: %[[DM:.*]] = nn.add %[[Z]], %[[GM]] : (tensor<2x4x3xf32>, tensor<3xf32>) -> tensor<2x4x3xf32>
// CHECK: %[[XC:.*]] = nn.sub %arg0, %[[M]]
// CHECK: %[[G2:.*]] = nn.mul %[[G]], %[[TWO]]
// CHECK: %[[G2N:.*]] = nn.div %[[G2]], %[[N]]
// CHECK: %[[DV:.*]] = nn.mul %[[XC]], %[[G2N]]
// CHECK: %[[DX:.*]] = nn.add %[[DM]], %[[DV]]
// CHECK: return %{{.*}}, %[[DX]]
func.func @channel_moments(%x: tensor<2x4x3xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %m, %v = nn.channel_moments %x : tensor<2x4x3xf32> -> tensor<3xf32>, tensor<3xf32>
  %s = nn.add %m, %v : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %1 = nn.reduce sum, %s {axes = array<i64: 0>, keepdims = false} : tensor<3xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// batch_norm_grad (second derivatives of training batch norm): rstd and
// x^ recomputed from the mean and variance operands, the scale s = gamma
// rstd; gamma's cotangent is rstd times the sum over the batch of U (dy -
// D / n) (U the cotangent of dx), the mean's minus the sum of x's
// cotangent, and the variance's goes through d rstd / d var = -rstd^3 / 2.
// CHECK-LABEL: func.func @batch_norm_grad(
// CHECK-DAG: %[[MHALF:.*]] = nn.constant dense<-5.000000e-01> : tensor<f32>
// CHECK-DAG: %[[MONE:.*]] = nn.constant dense<-1.000000e+00> : tensor<f32>
// CHECK-DAG: %[[EPS:.*]] = nn.constant dense<1.000000e-03> : tensor<f32>
// CHECK-DAG: %[[N:.*]] = nn.constant dense<8.000000e+00> : tensor<f32>
// CHECK: %[[DXF:[^,]*]], %[[DGF:[^,]*]], %[[DBF:.*]] = nn.batch_norm_grad %arg0, %arg1, %arg2, %arg3, %arg4
// CHECK: %[[VE:.*]] = nn.add %arg4, %[[EPS]]
// CHECK: %[[RSTD:.*]] = nn.rsqrt %[[VE]]
// CHECK: %[[XC:.*]] = nn.sub %arg1, %arg3
// CHECK: %[[XH:.*]] = nn.mul %[[XC]], %[[RSTD]]
// CHECK: %[[SC:.*]] = nn.mul %arg2, %[[RSTD]]
// CHECK: %[[XHDG:.*]] = nn.mul %[[XH]], %[[DGF]]
// CHECK: %[[D:.*]] = nn.add %[[DBF]], %[[XHDG]]
// CHECK: %[[DN:.*]] = nn.div %[[D]], %[[N]]
// CHECK: %[[INNER:.*]] = nn.sub %arg0, %[[DN]]
// CHECK: %[[UI:.*]] = nn.mul %[[U:.*]], %[[INNER]]
// CHECK: %[[TS:.*]] = nn.reduce sum, %[[UI]] {axes = array<i64: 0, 1>, keepdims = false}
// CHECK: %[[DX:.*]] = nn.mul %{{.*}}, %[[RSTD]] : (tensor<2x4x3xf32>, tensor<3xf32>) -> tensor<2x4x3xf32>
// CHECK: %[[DMS:.*]] = nn.reduce sum, %[[DX]] {axes = array<i64: 0, 1>, keepdims = false}
// CHECK: %[[DMEAN:.*]] = nn.mul %[[DMS]], %[[MONE]]
// CHECK: %[[DGAMMA:.*]] = nn.mul %[[TS]], %[[RSTD]]
// CHECK: %[[R2:.*]] = nn.mul %[[RSTD]], %[[RSTD]]
// CHECK: %[[R3:.*]] = nn.mul %[[RSTD]], %[[R2]]
// CHECK: %[[DRDV:.*]] = nn.mul %[[R3]], %[[MHALF]]
// CHECK: %[[DVAR:.*]] = nn.mul %{{.*}}, %[[DRDV]]
// CHECK: return %{{.*}}, %{{.*}}, %[[DX]], %[[DGAMMA]], %[[DMEAN]], %[[DVAR]]
func.func @batch_norm_grad(%dy: tensor<2x4x3xf32>, %x: tensor<2x4x3xf32>, %g: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0, 1, 2, 3, 4>} {
  %dx, %dg, %db = nn.batch_norm_grad %dy, %x, %g, %m, %v {eps = 1.0e-03 : f64} : (tensor<2x4x3xf32>, tensor<2x4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<2x4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  %0 = nn.square %dx : tensor<2x4x3xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0, 1, 2>, keepdims = false} : tensor<2x4x3xf32> -> tensor<f32>
  %2 = nn.mul %dg, %db : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %3 = nn.reduce sum, %2 {axes = array<i64: 0>, keepdims = false} : tensor<3xf32> -> tensor<f32>
  %4 = nn.add %1, %3 : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %4 : tensor<f32>
}

// -----

// Ops that pass no gradient: constant, fill, random, one_hot (integer
// labels), bernoulli (its probabilities get zeros) and compare (so the
// cast of its mask too). x's cotangent only goes through the products:
// G * one_hot * random.
// CHECK-LABEL: func.func @no_gradient(
// CHECK: %[[R:.*]] = nn.random uniform
// CHECK: %[[H:.*]] = nn.one_hot %arg2
// CHECK: nn.bernoulli %arg1
// CHECK: nn.compare gt, %arg0
// CHECK: %[[Z:.*]] = nn.fill {value = 0.000000e+00 : f64} : tensor<2x4xf32>
// CHECK: %[[G:.*]] = nn.add %[[Z]], %{{.*}} : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
// CHECK: %[[GH:.*]] = nn.mul %[[G]], %[[H]]
// CHECK: %[[DX:.*]] = nn.mul %[[GH]], %[[R]]
// CHECK-NOT: nn.
// CHECK: return %{{.*}}, %[[DX]], %[[Z]] : tensor<f32>, tensor<2x4xf32>, tensor<2x4xf32>
func.func @no_gradient(%x: tensor<2x4xf32>, %p: tensor<2x4xf32>, %l: tensor<2xi64>) -> tensor<f32> attributes {nn.wrt = array<i64: 0, 1>} {
  %c = nn.constant dense<3.0> : tensor<f32>
  %f = nn.fill {value = 2.0 : f64} : tensor<2x4xf32>
  %r = nn.random uniform {seed = 1 : i64, offset = 0 : i64, a = 0.0 : f64, b = 1.0 : f64} : tensor<2x4xf32>
  %h = nn.one_hot %l : tensor<2xi64> -> tensor<2x4xf32>
  %k = nn.bernoulli %p {seed = 3 : i64, offset = 0 : i64} : tensor<2x4xf32>
  %m = nn.compare gt, %x, %c : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xi1>
  %mf = nn.cast %m : tensor<2x4xi1> to tensor<2x4xf32>
  %0 = nn.mul %x, %r : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %1 = nn.add %0, %f : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %2 = nn.mul %1, %h : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %3 = nn.add %2, %k : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %4 = nn.add %3, %mf : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %5 = nn.reduce sum, %4 {axes = array<i64: 0, 1>, keepdims = false} : tensor<2x4xf32> -> tensor<f32>
  return %5 : tensor<f32>
}
