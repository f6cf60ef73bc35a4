// RUN: nnc-opt %s --nn-expand-batch-norm --cse | FileCheck %s

// Training batch norm becomes its input's channel moments and the
// evaluation form normalising with them; the backward's and the running
// statistics' moments of the same input are the same op after CSE.
// CHECK-LABEL: func.func @train
// CHECK-SAME: (%[[X:.*]]: tensor<?x4x4x3xf32>, %[[G:.*]]: tensor<3xf32>, %[[B:.*]]: tensor<3xf32>, %[[RM:.*]]: tensor<3xf32>, %[[RV:.*]]: tensor<3xf32>, %[[DY:.*]]: tensor<?x4x4x3xf32>)
// CHECK: %[[M:[^,]*]], %[[V:.*]] = nn.channel_moments %[[X]] : tensor<?x4x4x3xf32> -> tensor<3xf32>, tensor<3xf32>
// CHECK-NOT: nn.channel_moments
// CHECK: %[[Y:.*]] = nn.batch_norm %[[X]], %[[G]], %[[B]], %[[M]], %[[V]] {eps = 1.000000e-03 : f64, training = false}
// CHECK: nn.batch_norm_grad %[[DY]], %[[X]], %[[G]], %[[M]], %[[V]] {eps = 1.000000e-03 : f64}
// CHECK: return %[[Y]], %{{.*}}, %[[M]] :
func.func @train(%x: tensor<?x4x4x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %rm: tensor<3xf32>, %rv: tensor<3xf32>, %dy: tensor<?x4x4x3xf32>) -> (tensor<?x4x4x3xf32>, tensor<?x4x4x3xf32>, tensor<3xf32>) {
  %y = nn.batch_norm %x, %g, %b, %rm, %rv {eps = 1.0e-03 : f64, training = true} : (tensor<?x4x4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<?x4x4x3xf32>
  %m:2 = nn.channel_moments %x : tensor<?x4x4x3xf32> -> tensor<3xf32>, tensor<3xf32>
  %dx, %dg, %db = nn.batch_norm_grad %dy, %x, %g, %m#0, %m#1 {eps = 1.0e-03 : f64} : (tensor<?x4x4x3xf32>, tensor<?x4x4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<?x4x4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  %s:2 = nn.channel_moments %x : tensor<?x4x4x3xf32> -> tensor<3xf32>, tensor<3xf32>
  return %y, %dx, %s#0 : tensor<?x4x4x3xf32>, tensor<?x4x4x3xf32>, tensor<3xf32>
}

// Evaluation batch norm (the running statistics) is left alone.
// CHECK-LABEL: func.func @eval
// CHECK-NOT: nn.channel_moments
// CHECK: nn.batch_norm %{{.*}} {eps = 1.000000e-05 : f64, training = false}
func.func @eval(%x: tensor<?x3xf32>, %g: tensor<3xf32>) -> tensor<?x3xf32> {
  %y = nn.batch_norm %x, %g, %g, %g, %g {eps = 1.0e-05 : f64, training = false} : (tensor<?x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}
