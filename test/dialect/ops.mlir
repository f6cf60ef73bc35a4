// Round trip of every nn op: print, parse and print again.
// RUN: nnc-opt %s --split-input-file | nnc-opt --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%x: tensor<?x256xf32>, %b: tensor<256xf32>) -> tensor<?x256xf32> {
  // CHECK: nn.relu %{{.*}} : tensor<?x256xf32>
  %0 = nn.relu %x : tensor<?x256xf32>
  %1 = nn.sigmoid %0 : tensor<?x256xf32>
  %2 = nn.tanh %1 : tensor<?x256xf32>
  %3 = nn.gelu %2 : tensor<?x256xf32>
  %4 = nn.softplus %3 : tensor<?x256xf32>
  %5 = nn.exp %4 : tensor<?x256xf32>
  %6 = nn.log %5 : tensor<?x256xf32>
  %7 = nn.sqrt %6 : tensor<?x256xf32>
  %8 = nn.rsqrt %7 : tensor<?x256xf32>
  %9 = nn.abs %8 : tensor<?x256xf32>
  %10 = nn.neg %9 : tensor<?x256xf32>
  %11 = nn.sin %10 : tensor<?x256xf32>
  %12 = nn.cos %11 : tensor<?x256xf32>
  %13 = nn.silu %12 : tensor<?x256xf32>
  %14 = nn.square %13 : tensor<?x256xf32>
  %15 = nn.floor %14 : tensor<?x256xf32>
  %16 = nn.sign %15 : tensor<?x256xf32>
  %17 = nn.log1p %16 : tensor<?x256xf32>
  %e = nn.elu %17 : tensor<?x256xf32>
  // CHECK: nn.erf %{{.*}} : tensor<?x256xf32>
  %18 = nn.erf %e : tensor<?x256xf32>
  // CHECK: nn.leaky_relu %{{.*}} {slope = 2.000000e-01 : f64} : tensor<?x256xf32>
  %19 = nn.leaky_relu %18 {slope = 0.2 : f64} : tensor<?x256xf32>
  // CHECK: nn.add %{{.*}}, %{{.*}} : (tensor<?x256xf32>, tensor<256xf32>) -> tensor<?x256xf32>
  %20 = nn.add %19, %b : (tensor<?x256xf32>, tensor<256xf32>) -> tensor<?x256xf32>
  %21 = nn.sub %20, %b : (tensor<?x256xf32>, tensor<256xf32>) -> tensor<?x256xf32>
  %22 = nn.mul %21, %b : (tensor<?x256xf32>, tensor<256xf32>) -> tensor<?x256xf32>
  %23 = nn.div %22, %b : (tensor<?x256xf32>, tensor<256xf32>) -> tensor<?x256xf32>
  %24 = nn.maximum %23, %b : (tensor<?x256xf32>, tensor<256xf32>) -> tensor<?x256xf32>
  %25 = nn.minimum %24, %b : (tensor<?x256xf32>, tensor<256xf32>) -> tensor<?x256xf32>
  %26 = nn.pow %25, %b : (tensor<?x256xf32>, tensor<256xf32>) -> tensor<?x256xf32>
  return %26 : tensor<?x256xf32>
}

// -----

// CHECK-LABEL: func.func @compare_constant
func.func @compare_constant(%x: tensor<?x10xf32>) -> tensor<?x10xi1> {
  // CHECK: nn.constant dense<5.000000e-01> : tensor<f32>
  %c = nn.constant dense<0.5> : tensor<f32>
  // CHECK: nn.compare lt, %{{.*}}, %{{.*}} : (tensor<?x10xf32>, tensor<f32>) -> tensor<?x10xi1>
  %m = nn.compare lt, %x, %c : (tensor<?x10xf32>, tensor<f32>) -> tensor<?x10xi1>
  return %m : tensor<?x10xi1>
}

// -----

// CHECK-LABEL: func.func @shapes
func.func @shapes(%x: tensor<?x28x28xf32>, %w: tensor<784x256xf32>) -> tensor<256x?xf32> {
  // CHECK: nn.reshape %{{.*}} : tensor<?x28x28xf32> to tensor<?x784xf32>
  %f = nn.reshape %x : tensor<?x28x28xf32> to tensor<?x784xf32>
  // CHECK: nn.matmul %{{.*}}, %{{.*}} : (tensor<?x784xf32>, tensor<784x256xf32>) -> tensor<?x256xf32>
  %y = nn.matmul %f, %w : (tensor<?x784xf32>, tensor<784x256xf32>) -> tensor<?x256xf32>
  // CHECK: nn.transpose %{{.*}} {perm = array<i64: 1, 0>} : tensor<?x256xf32> -> tensor<256x?xf32>
  %t = nn.transpose %y {perm = array<i64: 1, 0>} : tensor<?x256xf32> -> tensor<256x?xf32>
  return %t : tensor<256x?xf32>
}

// -----

// CHECK-LABEL: func.func @slice_concat_reduce
func.func @slice_concat_reduce(%x: tensor<?x10xf32>, %l: tensor<?xi64>) -> (tensor<?xf32>, tensor<?x20xf32>, tensor<?xf32>, tensor<?x10xf32>, tensor<?x10xf32>, tensor<?xi64>) {
  // CHECK: nn.slice %{{.*}} {sizes = array<i64: -1, 1>, squeeze = array<i64: 1>, starts = array<i64: 0, 3>, strides = array<i64: 1, 1>} : tensor<?x10xf32> -> tensor<?xf32>
  %s = nn.slice %x {starts = array<i64: 0, 3>, sizes = array<i64: -1, 1>, strides = array<i64: 1, 1>, squeeze = array<i64: 1>} : tensor<?x10xf32> -> tensor<?xf32>
  // CHECK: nn.concat %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<?x10xf32>, tensor<?x10xf32>) -> tensor<?x20xf32>
  %c = nn.concat %x, %x {axis = 1 : i64} : (tensor<?x10xf32>, tensor<?x10xf32>) -> tensor<?x20xf32>
  // CHECK: nn.reduce sum, %{{.*}} {axes = array<i64: 1>, keepdims = false} : tensor<?x10xf32> -> tensor<?xf32>
  %r = nn.reduce sum, %x {axes = array<i64: 1>, keepdims = false} : tensor<?x10xf32> -> tensor<?xf32>
  // CHECK: nn.softmax %{{.*}} {axis = 1 : i64, log = true} : tensor<?x10xf32>
  %p = nn.softmax %x {axis = 1 : i64, log = true} : tensor<?x10xf32>
  // CHECK: nn.one_hot %{{.*}} : tensor<?xi64> -> tensor<?x10xf32>
  %o = nn.one_hot %l : tensor<?xi64> -> tensor<?x10xf32>
  %a = nn.reduce argmax, %x {axes = array<i64: 1>, keepdims = false} : tensor<?x10xf32> -> tensor<?xi64>
  return %s, %c, %r, %p, %o, %a : tensor<?xf32>, tensor<?x20xf32>, tensor<?xf32>, tensor<?x10xf32>, tensor<?x10xf32>, tensor<?xi64>
}

// -----

// CHECK-LABEL: func.func @conv_pool
func.func @conv_pool(%x: tensor<?x28x28x1xf32>, %w: tensor<3x3x1x32xf32>) -> tensor<?x13x13x32xf32> {
  // CHECK: nn.conv2d %{{.*}}, %{{.*}} {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x28x28x1xf32>, tensor<3x3x1x32xf32>) -> tensor<?x26x26x32xf32>
  %y = nn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<?x28x28x1xf32>, tensor<3x3x1x32xf32>) -> tensor<?x26x26x32xf32>
  // CHECK: nn.pool2d max, %{{.*}} {padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>, window = array<i64: 2, 2>} : tensor<?x26x26x32xf32> -> tensor<?x13x13x32xf32>
  %p = nn.pool2d max, %y {window = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x26x26x32xf32> -> tensor<?x13x13x32xf32>
  return %p : tensor<?x13x13x32xf32>
}

// -----

// CHECK-LABEL: func.func @selection_norm
func.func @selection_norm(%m: tensor<?x10xi1>, %x: tensor<?x10xf32>, %c: tensor<f32>, %l: tensor<?xi64>, %t: tensor<128x64xf32>, %g: tensor<10xf32>, %img: tensor<?x7x7x10xf32>) -> (tensor<?x10xf32>, tensor<?xf32>, tensor<?x10xf32>, tensor<?x64xf32>, tensor<?x10xf32>, tensor<?x7x7x10xf32>, tensor<?x14x14x10xf32>) {
  // CHECK: nn.select %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x10xi1>, tensor<?x10xf32>, tensor<f32>) -> tensor<?x10xf32>
  %0 = nn.select %m, %x, %c : (tensor<?x10xi1>, tensor<?x10xf32>, tensor<f32>) -> tensor<?x10xf32>
  // CHECK: nn.cast %{{.*}} : tensor<?xi64> to tensor<?xf32>
  %1 = nn.cast %l : tensor<?xi64> to tensor<?xf32>
  // CHECK: nn.clip %{{.*}} {high = 1.000000e+00 : f64, low = 0.000000e+00 : f64} : tensor<?x10xf32>
  %2 = nn.clip %x {low = 0.0 : f64, high = 1.0 : f64} : tensor<?x10xf32>
  // CHECK: nn.gather %{{.*}}, %{{.*}} : (tensor<128x64xf32>, tensor<?xi64>) -> tensor<?x64xf32>
  %3 = nn.gather %t, %l : (tensor<128x64xf32>, tensor<?xi64>) -> tensor<?x64xf32>
  // CHECK: nn.layer_norm %{{.*}}, %{{.*}}, %{{.*}} {eps = 1.000000e-05 : f64}
  %4 = nn.layer_norm %x, %g, %g {eps = 1.0e-05 : f64} : (tensor<?x10xf32>, tensor<10xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  // CHECK: nn.batch_norm %{{.*}} {eps = 1.000000e-05 : f64, training = false}
  %5 = nn.batch_norm %img, %g, %g, %g, %g {eps = 1.0e-05 : f64, training = false} : (tensor<?x7x7x10xf32>, tensor<10xf32>, tensor<10xf32>, tensor<10xf32>, tensor<10xf32>) -> tensor<?x7x7x10xf32>
  // CHECK: nn.dropout %{{.*}} {rate = 5.000000e-01 : f64, seed = 3 : i64, training = false} : tensor<?x7x7x10xf32>
  %6 = nn.dropout %5 {rate = 0.5 : f64, seed = 3 : i64, training = false} : tensor<?x7x7x10xf32>
  // CHECK: nn.upsample %{{.*}} {factor = 2 : i64} : tensor<?x7x7x10xf32> -> tensor<?x14x14x10xf32>
  %7 = nn.upsample %6 {factor = 2 : i64} : tensor<?x7x7x10xf32> -> tensor<?x14x14x10xf32>
  // CHECK: nn.stop_gradient %{{.*}} : tensor<?x10xf32>
  %8 = nn.stop_gradient %4 : tensor<?x10xf32>
  return %0, %1, %2, %3, %8, %6, %7 : tensor<?x10xf32>, tensor<?xf32>, tensor<?x10xf32>, tensor<?x64xf32>, tensor<?x10xf32>, tensor<?x7x7x10xf32>, tensor<?x14x14x10xf32>
}

// -----

// Batch norm's statistics and its training-mode cotangents.
// CHECK-LABEL: func.func @batch_norm_parts
// CHECK: %[[M:[^,]*]], %[[V:.*]] = nn.channel_moments %{{.*}} : tensor<?x7x7x10xf32> -> tensor<10xf32>, tensor<10xf32>
// CHECK: nn.batch_norm_grad %{{.*}}, %{{.*}}, %{{.*}}, %[[M]], %[[V]] {eps = 1.000000e-05 : f64} : (tensor<?x7x7x10xf32>, tensor<?x7x7x10xf32>, tensor<10xf32>, tensor<10xf32>, tensor<10xf32>) -> (tensor<?x7x7x10xf32>, tensor<10xf32>, tensor<10xf32>)
func.func @batch_norm_parts(%img: tensor<?x7x7x10xf32>, %dy: tensor<?x7x7x10xf32>, %g: tensor<10xf32>) -> (tensor<?x7x7x10xf32>, tensor<10xf32>, tensor<10xf32>) {
  %m, %v = nn.channel_moments %img : tensor<?x7x7x10xf32> -> tensor<10xf32>, tensor<10xf32>
  %dx, %dg, %db = nn.batch_norm_grad %dy, %img, %g, %m, %v {eps = 1.0e-05 : f64} : (tensor<?x7x7x10xf32>, tensor<?x7x7x10xf32>, tensor<10xf32>, tensor<10xf32>, tensor<10xf32>) -> (tensor<?x7x7x10xf32>, tensor<10xf32>, tensor<10xf32>)
  return %dx, %dg, %db : tensor<?x7x7x10xf32>, tensor<10xf32>, tensor<10xf32>
}

// -----

// CHECK-LABEL: func.func @random_fill
func.func @random_fill(%b: index, %p: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<3x8xf32>, tensor<?x1xf32>, tensor<?x8xf32>) {
  // CHECK: nn.random normal %{{.*}} {a = 0.000000e+00 : f64, b = 1.000000e+00 : f64, offset = 0 : i64, seed = 7 : i64} : tensor<?x8xf32>
  %0 = nn.random normal %b {seed = 7 : i64, offset = 0 : i64, a = 0.0 : f64, b = 1.0 : f64} : tensor<?x8xf32>
  // CHECK: nn.random uniform {{{.*}}} : tensor<3x8xf32>
  %1 = nn.random uniform {seed = 1 : i64, offset = 0 : i64, a = -1.0 : f64, b = 1.0 : f64} : tensor<3x8xf32>
  // CHECK: nn.fill %{{.*}} {value = 1.000000e+00 : f64} : tensor<?x1xf32>
  %2 = nn.fill %b {value = 1.0 : f64} : tensor<?x1xf32>
  // CHECK: nn.bernoulli %{{.*}} {offset = 0 : i64, seed = 3 : i64} : tensor<?x8xf32>
  %3 = nn.bernoulli %p {seed = 3 : i64, offset = 0 : i64} : tensor<?x8xf32>
  return %0, %1, %2, %3 : tensor<?x8xf32>, tensor<3x8xf32>, tensor<?x1xf32>, tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @conv_transpose
func.func @conv_transpose(%x: tensor<?x7x7x16xf32>, %w: tensor<3x3x16x8xf32>) -> tensor<?x15x15x8xf32> {
  // CHECK: nn.conv_transpose2d %{{.*}}, %{{.*}} {padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x7x7x16xf32>, tensor<3x3x16x8xf32>) -> tensor<?x15x15x8xf32>
  %0 = nn.conv_transpose2d %x, %w {stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : (tensor<?x7x7x16xf32>, tensor<3x3x16x8xf32>) -> tensor<?x15x15x8xf32>
  return %0 : tensor<?x15x15x8xf32>
}

// -----

// CHECK-LABEL: func.func @remainder_logical
// CHECK: nn.rem %{{.*}}, %{{.*}} : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
// CHECK: nn.and %{{.*}}, %{{.*}} : (tensor<?x4xi1>, tensor<?x4xi1>) -> tensor<?x4xi1>
// CHECK: nn.or %{{.*}}, %{{.*}} : (tensor<?x4xi1>, tensor<4xi1>) -> tensor<?x4xi1>
func.func @remainder_logical(%x: tensor<?x4xf32>, %y: tensor<4xf32>, %m: tensor<?x4xi1>, %n: tensor<4xi1>) -> (tensor<?x4xf32>, tensor<?x4xi1>) {
  %0 = nn.rem %x, %y : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %1 = nn.and %m, %m : (tensor<?x4xi1>, tensor<?x4xi1>) -> tensor<?x4xi1>
  %2 = nn.or %1, %n : (tensor<?x4xi1>, tensor<4xi1>) -> tensor<?x4xi1>
  return %0, %2 : tensor<?x4xf32>, tensor<?x4xi1>
}

// -----

// CHECK-LABEL: func.func @exchange
// CHECK: nn.allreduce_start %{{.*}} {index = 0 : i64} : tensor<784x32xf32>
// CHECK: nn.allreduce_wait %{{.*}}, %{{.*}} : tensor<784x32xf32>, tensor<32xf32> -> tensor<784x32xf32>, tensor<32xf32>
// CHECK: nn.allreduce_start %{{.*}} {index = 1 : i64} : memref<32xf32>
// CHECK: nn.allreduce_wait %{{.*}} : memref<32xf32>{{$}}
func.func @exchange(%w: tensor<784x32xf32>, %b: tensor<32xf32>, %m: memref<32xf32>) -> (tensor<784x32xf32>, tensor<32xf32>) {
  nn.allreduce_start %w {index = 0 : i64} : tensor<784x32xf32>
  %s:2 = nn.allreduce_wait %w, %b : tensor<784x32xf32>, tensor<32xf32> -> tensor<784x32xf32>, tensor<32xf32>
  nn.allreduce_start %m {index = 1 : i64} : memref<32xf32>
  nn.allreduce_wait %m : memref<32xf32>
  return %s#0, %s#1 : tensor<784x32xf32>, tensor<32xf32>
}
