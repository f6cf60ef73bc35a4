// RUN: nnc-opt %s --nnc-fuse-elementwise --canonicalize | FileCheck %s

// An optimizer update: the gradient term feeds both moments, and the new
// moments are returned as well as read by the step. All of it becomes one
// loop with one result per updated tensor; nothing is computed twice.
// CHECK-LABEL: func.func @momentum_update
// CHECK: %[[R:.*]]:2 = linalg.generic
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]#1, %[[R]]#0
#id = affine_map<(d0) -> (d0)>
#sc = affine_map<(d0) -> ()>
func.func @momentum_update(%p: tensor<8xf32>, %g: tensor<8xf32>, %v: tensor<8xf32>, %lr: tensor<f32>)
    -> (tensor<8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %grad = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%g, %p : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %nv = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%v, %grad : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %np = linalg.generic {indexing_maps = [#id, #id, #sc, #id], iterator_types = ["parallel"]}
      ins(%p, %nv, %lr : tensor<8xf32>, tensor<8xf32>, tensor<f32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32, %o: f32):
    %m = arith.mulf %b, %c : f32
    %s = arith.subf %a, %m : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  return %np, %nv : tensor<8xf32>, tensor<8xf32>
}

// A value read before the consumer (here by a reduction) stays its own
// loop: fusing would compute it twice.
// CHECK-LABEL: func.func @read_earlier
// CHECK: linalg.generic
// CHECK: linalg.reduce
// CHECK: linalg.generic
#rd = affine_map<(d0) -> ()>
func.func @read_earlier(%x: tensor<8xf32>, %acc: tensor<f32>) -> (tensor<f32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.mulf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %sum = linalg.reduce ins(%sq : tensor<8xf32>) outs(%acc : tensor<f32>) dimensions = [0]
    (%in: f32, %init: f32) {
      %s = arith.addf %in, %init : f32
      linalg.yield %s : f32
    }
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%sq : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  return %sum, %y : tensor<f32>, tensor<8xf32>
}
