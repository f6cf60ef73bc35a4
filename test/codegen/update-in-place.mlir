// RUN: nnc-opt %s --nnc-update-in-place | FileCheck %s
// RUN: nnc-opt %s --nnc-update-in-place --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --canonicalize | FileCheck %s --check-prefix=BUF

// An update result named like an argument is written into it: the update
// loop takes the argument as its destination, and after bufferization
// the step returns the argument's own buffer (no copy, no allocation).
// CHECK-LABEL: func.func @step
// CHECK: %[[NEW:.*]] = linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<8xf32>, tensor<8xf32>) outs(%arg0 : tensor<8xf32>)
// CHECK: %[[M:.*]] = bufferization.materialize_in_destination %[[NEW]] in %arg0
// CHECK: return %{{.*}}, %[[M]]
// BUF-LABEL: func.func @step
// BUF-NOT: memref.alloc() {{.*}} : memref<8xf32>
// BUF-NOT: memref.copy
// BUF: linalg.generic {{.*}} ins(%arg0, %arg1 : memref<8xf32>, memref<8xf32>) outs(%arg0 : memref<8xf32>)
// BUF: return %{{.*}}, %arg0
#id = affine_map<(d0) -> (d0)>
func.func @step(%w: tensor<8xf32> {nn.kind = "param", nn.name = "dense_1.w"},
                %g: tensor<8xf32> {nn.kind = "input", nn.name = "g"})
    -> (tensor<f32> {nn.kind = "output", nn.name = "loss"},
        tensor<8xf32> {nn.kind = "update", nn.name = "dense_1.w"}) {
  %loss = tensor.empty() : tensor<f32>
  %e = tensor.empty() : tensor<8xf32>
  %new = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%w, %g : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %d = arith.subf %a, %b : f32
    linalg.yield %d : f32
  } -> tensor<8xf32>
  return %loss, %new : tensor<f32>, tensor<8xf32>
}
