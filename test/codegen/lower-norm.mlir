// nn-lower-to-linalg of the normalisations: layer norm (moments over the
// trailing axes, kept for broadcasting), batch norm in evaluation mode
// (running statistics, one element-wise loop) and in training mode when
// nn-expand-batch-norm has not run (its own channel moments).
// nn.channel_moments and nn.batch_norm_grad are in lower-to-linalg.mlir.
// RUN: nnc-opt %s --split-input-file --nn-lower-to-linalg | FileCheck %s

// Mean = sum / n; one loop for the sums of d = x - mean and d^2; var =
// (sum d^2 - (sum d)^2 / n) / n; then (x - mean) * rsqrt(var + eps) *
// gamma + beta with the row statistics broadcast from [B, 1] and gamma,
// beta from [8].
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @layer_norm(
// CHECK: %[[D:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x8xf32>
// CHECK: %[[NI:.*]] = arith.muli %{{.*}}, %[[D]] : index
// CHECK: %[[NC:.*]] = arith.index_cast %[[NI]] : index to i64
// CHECK: %[[N:.*]] = arith.uitofp %[[NC]] : i64 to f32
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%arg0 : tensor<?x8xf32>)
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<?xf32>)
// CHECK: arith.divf %{{.*}}, %[[N]] : f32
// CHECK: %[[SUMS:.*]]:2 = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%arg0, %[[MEAN]] : tensor<?x8xf32>, tensor<?xf32>)
// CHECK: %[[DEV:.*]] = arith.subf
// CHECK: arith.mulf %[[DEV]], %[[DEV]] : f32
// CHECK: %[[VAR:.*]] = linalg.generic {{.*}} ins(%[[SUMS]]#0, %[[SUMS]]#1 : tensor<?xf32>, tensor<?xf32>)
// CHECK: arith.subf
// CHECK: %[[MK:.*]] = tensor.expand_shape %[[MEAN]] {{\[}}[0, 1]]
// CHECK: %[[VK:.*]] = tensor.expand_shape %[[VAR]] {{\[}}[0, 1]]
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[ROW]], #[[ROW]], #[[COL]], #[[COL]], #{{.*}}], iterator_types = ["parallel", "parallel"]} ins(%arg0, %[[MK]], %[[VK]], %arg1, %arg2 :
// CHECK-NEXT: ^bb0(%[[X:[^:]*]]: f32, %[[M:[^:]*]]: f32, %[[V:[^:]*]]: f32, %[[G:[^:]*]]: f32, %[[B:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK: %[[C:.*]] = arith.subf %[[X]], %[[M]] : f32
// CHECK: %[[EPS:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK: %[[VE:.*]] = arith.addf %[[V]], %[[EPS]] : f32
// CHECK: %[[RS:.*]] = math.rsqrt %[[VE]] : f32
// CHECK: %[[XH:.*]] = arith.mulf %[[C]], %[[RS]] : f32
// CHECK: %[[Y:.*]] = arith.mulf %[[XH]], %[[G]] : f32
// CHECK: %[[R:.*]] = arith.addf %[[Y]], %[[B]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @layer_norm(%x: tensor<?x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<?x8xf32> {
  %0 = nn.layer_norm %x, %g, %b {eps = 1.0e-05 : f64} : (tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// Evaluation: one element-wise loop with the running statistics, no
// reduction.
// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-LABEL: func.func @batch_norm_eval(
// CHECK-NOT: reduction
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[CH]], #[[CH]], #[[CH]], #[[CH]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg0, %arg3, %arg4, %arg1, %arg2 :
// CHECK-NEXT: ^bb0(%[[X:[^:]*]]: f32, %[[M:[^:]*]]: f32, %[[V:[^:]*]]: f32, %[[G:[^:]*]]: f32, %[[B:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK: %[[C:.*]] = arith.subf %[[X]], %[[M]] : f32
// CHECK: %[[EPS:.*]] = arith.constant 1.000000e-03 : f32
// CHECK: %[[VE:.*]] = arith.addf %[[V]], %[[EPS]] : f32
// CHECK: %[[RS:.*]] = math.rsqrt %[[VE]] : f32
// CHECK: %[[XH:.*]] = arith.mulf %[[C]], %[[RS]] : f32
// CHECK: %[[Y:.*]] = arith.mulf %[[XH]], %[[G]] : f32
// CHECK: arith.addf %[[Y]], %[[B]] : f32
// CHECK-NOT: linalg.generic
func.func @batch_norm_eval(%x: tensor<?x4x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> tensor<?x4x3xf32> {
  %0 = nn.batch_norm %x, %g, %b, %m, %v {eps = 1.0e-03 : f64, training = false} : (tensor<?x4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<?x4x3xf32>
  return %0 : tensor<?x4x3xf32>
}

// -----

// Training, unexpanded: the batch's moments over every axis but the
// channels (n = B * 4), not the running statistics, feed the same
// normalisation.
// CHECK-LABEL: func.func @batch_norm_training(
// CHECK: %[[D0:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x4x3xf32>
// CHECK: %[[N0:.*]] = arith.muli %{{.*}}, %[[D0]] : index
// CHECK: %[[D1:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x4x3xf32>
// CHECK: arith.muli %[[N0]], %[[D1]] : index
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "reduction", "parallel"]} ins(%arg0 : tensor<?x4x3xf32>) outs(%{{.*}} : tensor<3xf32>)
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<3xf32>)
// CHECK: %[[SUMS:.*]]:2 = linalg.generic {{.*}}iterator_types = ["reduction", "reduction", "parallel"]} ins(%arg0, %[[MEAN]] :
// CHECK: %[[VAR:.*]] = linalg.generic {{.*}} ins(%[[SUMS]]#0, %[[SUMS]]#1 :
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg0, %[[MEAN]], %[[VAR]], %arg1, %arg2 :
// CHECK: math.rsqrt
func.func @batch_norm_training(%x: tensor<?x4x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> tensor<?x4x3xf32> {
  %0 = nn.batch_norm %x, %g, %b, %m, %v {eps = 1.0e-03 : f64, training = true} : (tensor<?x4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<?x4x3xf32>
  return %0 : tensor<?x4x3xf32>
}
