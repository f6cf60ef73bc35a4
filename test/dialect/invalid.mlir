// Verifier errors of the nn ops.
// RUN: nnc-opt %s --split-input-file --verify-diagnostics

func.func @bad_broadcast(%a: tensor<?x10xf32>, %b: tensor<?x20xf32>) -> tensor<?x10xf32> {
  // expected-error @+1 {{operand shapes 'tensor<?x10xf32>' and 'tensor<?x20xf32>' do not broadcast}}
  %0 = nn.add %a, %b : (tensor<?x10xf32>, tensor<?x20xf32>) -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

func.func @bad_result_shape(%a: tensor<4x10xf32>, %b: tensor<10xf32>) -> tensor<4x11xf32> {
  // expected-error @+1 {{result dimension 1 is 11 but the operands broadcast to 10}}
  %0 = nn.mul %a, %b : (tensor<4x10xf32>, tensor<10xf32>) -> tensor<4x11xf32>
  return %0 : tensor<4x11xf32>
}

// -----

func.func @mixed_types(%a: tensor<4xf32>, %b: tensor<4xf64>) -> tensor<4xf32> {
  // expected-error @+1 {{operands and result must have one element type}}
  %0 = "nn.sub"(%a, %b) : (tensor<4xf32>, tensor<4xf64>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @unary_int(%a: tensor<4xi64>) -> tensor<4xi64> {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float or 64-bit float values}}
  %0 = "nn.relu"(%a) : (tensor<4xi64>) -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

func.func @matmul_inner(%a: tensor<?x784xf32>, %b: tensor<100x10xf32>) -> tensor<?x10xf32> {
  // expected-error @+1 {{inner dimensions differ: 784 vs 100}}
  %0 = nn.matmul %a, %b : (tensor<?x784xf32>, tensor<100x10xf32>) -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

func.func @reshape_count(%a: tensor<2x3xf32>) -> tensor<7xf32> {
  // expected-error @+1 {{element counts differ: 6 vs 7}}
  %0 = nn.reshape %a : tensor<2x3xf32> to tensor<7xf32>
  return %0 : tensor<7xf32>
}

// -----

func.func @reshape_two_dynamic(%a: tensor<?x3xf32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{at most one result dimension can be dynamic}}
  %0 = nn.reshape %a : tensor<?x3xf32> to tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

func.func @bad_perm(%a: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{perm is not a permutation of 0..1}}
  %0 = nn.transpose %a {perm = array<i64: 1, 1>} : tensor<2x3xf32> -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @slice_oob(%a: tensor<?x10xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{slice of dimension 1 is out of bounds}}
  %0 = nn.slice %a {starts = array<i64: 0, 8>, sizes = array<i64: -1, 4>, strides = array<i64: 1, 1>, squeeze = array<i64>} : tensor<?x10xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @concat_axis(%a: tensor<2x3xf32>) -> tensor<2x6xf32> {
  // expected-error @+1 {{axis 2 is out of range}}
  %0 = nn.concat %a, %a {axis = 2 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}

// -----

func.func @reduce_kind(%a: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'kind' [sum, mean, max, min, prod, logsumexp, argmax, argmin]}}
  %0 = nn.reduce median, %a {axes = array<i64: 1>, keepdims = false} : tensor<2x3xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @argmax_type(%a: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{argmax/argmin give i64}}
  %0 = nn.reduce argmax, %a {axes = array<i64: 1>, keepdims = false} : tensor<2x3xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @softmax_axis(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{axis 2 is out of range}}
  %0 = nn.softmax %a {axis = 2 : i64, log = false} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @conv_channels(%x: tensor<?x28x28x3xf32>, %w: tensor<3x3x1x32xf32>) -> tensor<?x26x26x32xf32> {
  // expected-error @+1 {{filter input channels 1 x groups 1 != input channels 3}}
  %0 = nn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<?x28x28x3xf32>, tensor<3x3x1x32xf32>) -> tensor<?x26x26x32xf32>
  return %0 : tensor<?x26x26x32xf32>
}

// -----

func.func @conv_size(%x: tensor<?x28x28x1xf32>, %w: tensor<3x3x1x32xf32>) -> tensor<?x28x28x32xf32> {
  // expected-error @+1 {{result spatial dimension 0 must be 26}}
  %0 = nn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<?x28x28x1xf32>, tensor<3x3x1x32xf32>) -> tensor<?x28x28x32xf32>
  return %0 : tensor<?x28x28x32xf32>
}

// -----

func.func @pool_kind(%x: tensor<?x4x4x1xf32>) -> tensor<?x2x2x1xf32> {
  // expected-error @+1 {{enum values for attribute 'kind' [max, avg]}}
  %0 = nn.pool2d min, %x {window = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<?x4x4x1xf32> -> tensor<?x2x2x1xf32>
  return %0 : tensor<?x2x2x1xf32>
}

// -----

func.func @compare_pred(%a: tensor<4xf32>) -> tensor<4xi1> {
  // expected-error @+1 {{enum values for attribute 'predicate' [eq, ne, lt, le, gt, ge]}}
  %0 = nn.compare almost, %a, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @one_hot_dynamic(%l: tensor<?xi64>) -> tensor<?x?xf32> {
  // expected-error @+1 {{result must be the operand shape plus a static class dimension}}
  %0 = nn.one_hot %l : tensor<?xi64> -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

func.func @clip_order(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{low must not exceed high}}
  %0 = nn.clip %a {low = 1.0 : f64, high = 0.0 : f64} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @gather_rows(%t: tensor<10x4xf32>, %i: tensor<?xi64>) -> tensor<?x5xf32> {
  // expected-error @+1 {{result row dimensions differ from the table's}}
  %0 = nn.gather %t, %i : (tensor<10x4xf32>, tensor<?xi64>) -> tensor<?x5xf32>
  return %0 : tensor<?x5xf32>
}

// -----

func.func @layer_norm_scale(%x: tensor<?x10xf32>, %g: tensor<9xf32>) -> tensor<?x10xf32> {
  // expected-error @+1 {{gamma does not match the trailing dimensions}}
  %0 = nn.layer_norm %x, %g, %g {eps = 1.0e-05 : f64} : (tensor<?x10xf32>, tensor<9xf32>, tensor<9xf32>) -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

func.func @batch_norm_stats(%x: tensor<?x4x4x3xf32>, %g: tensor<3xf32>, %m: tensor<4xf32>) -> tensor<?x4x4x3xf32> {
  // expected-error @+1 {{gamma, beta, mean and var must be 'tensor<3xf32>'}}
  %0 = nn.batch_norm %x, %g, %g, %m, %g {eps = 1.0e-05 : f64, training = true} : (tensor<?x4x4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<4xf32>, tensor<3xf32>) -> tensor<?x4x4x3xf32>
  return %0 : tensor<?x4x4x3xf32>
}

// -----

func.func @channel_moments_rank(%x: tensor<5xf32>) -> tensor<5xf32> {
  // expected-error @+1 {{input must be [N, ..., C]}}
  %m, %v = nn.channel_moments %x : tensor<5xf32> -> tensor<5xf32>, tensor<5xf32>
  return %m : tensor<5xf32>
}

// -----

func.func @channel_moments_shape(%x: tensor<?x4x3xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{mean and var must be 'tensor<3xf32>'}}
  %m, %v = nn.channel_moments %x : tensor<?x4x3xf32> -> tensor<4xf32>, tensor<3xf32>
  return %m : tensor<4xf32>
}

// -----

func.func @batch_norm_grad_types(%dy: tensor<?x4x4xf32>, %x: tensor<?x4x3xf32>, %g: tensor<3xf32>) -> tensor<?x4x3xf32> {
  // expected-error @+1 {{the cotangents must have the input's type}}
  %dx, %dg, %db = nn.batch_norm_grad %dy, %x, %g, %g, %g {eps = 1.0e-05 : f64} : (tensor<?x4x4xf32>, tensor<?x4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<?x4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %dx : tensor<?x4x3xf32>
}

// -----

func.func @dropout_rate(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{rate must be in [0, 1)}}
  %0 = nn.dropout %x {rate = 1.0 : f64, seed = 0 : i64, training = true} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @upsample_size(%x: tensor<?x7x7x1xf32>) -> tensor<?x15x14x1xf32> {
  // expected-error @+1 {{result spatial dimensions must be the input's times the factor}}
  %0 = nn.upsample %x {factor = 2 : i64} : tensor<?x7x7x1xf32> -> tensor<?x15x14x1xf32>
  return %0 : tensor<?x15x14x1xf32>
}

// -----

func.func @random_kind(%b: index) -> tensor<?x8xf32> {
  // expected-error @+1 {{enum values for attribute 'kind' [uniform, normal, gumbel]}}
  %0 = nn.random poisson %b {seed = 7 : i64, offset = 0 : i64, a = 0.0 : f64, b = 1.0 : f64} : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @random_sizes() -> tensor<?x8xf32> {
  // expected-error @+1 {{needs one size operand per dynamic dimension}}
  %0 = nn.random normal {seed = 7 : i64, offset = 0 : i64, a = 0.0 : f64, b = 1.0 : f64} : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @fill_sizes(%b: index) -> tensor<4xf32> {
  // expected-error @+1 {{needs one size operand per dynamic dimension}}
  %0 = nn.fill %b {value = 0.0 : f64} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @conv_transpose_size(%x: tensor<?x7x7x16xf32>, %w: tensor<3x3x16x8xf32>) -> tensor<?x14x14x8xf32> {
  // expected-error @+1 {{result spatial dimension 0 must be 15}}
  %0 = nn.conv_transpose2d %x, %w {stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : (tensor<?x7x7x16xf32>, tensor<3x3x16x8xf32>) -> tensor<?x14x14x8xf32>
  return %0 : tensor<?x14x14x8xf32>
}

// -----

func.func @constant_type() -> tensor<2xf32> {
  // expected-error @+1 {{failed to verify that all of {value, result} have same type}}
  %0 = "nn.constant"() <{value = dense<1.0> : tensor<3xf32>}> : () -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @select_types(%m: tensor<4xi1>, %a: tensor<4xf32>, %b: tensor<4xf64>) -> tensor<4xf32> {
  // expected-error @+1 {{the two choices and the result must have one element type}}
  %0 = nn.select %m, %a, %b : (tensor<4xi1>, tensor<4xf32>, tensor<4xf64>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @cast_shape(%a: tensor<4xi64>) -> tensor<5xf32> {
  // expected-error @+1 {{cast keeps the shape}}
  %0 = nn.cast %a : tensor<4xi64> to tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

func.func @leaky_relu_type(%a: tensor<4xf32>) -> tensor<4xf64> {
  // expected-error @+1 {{failed to verify that all of {input, result} have same type}}
  %0 = "nn.leaky_relu"(%a) <{slope = 0.1 : f64}> : (tensor<4xf32>) -> tensor<4xf64>
  return %0 : tensor<4xf64>
}

// -----

func.func @bernoulli_int(%p: tensor<4xi64>) -> tensor<4xi64> {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float or 64-bit float values}}
  %0 = "nn.bernoulli"(%p) <{seed = 1 : i64, offset = 0 : i64}> : (tensor<4xi64>) -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

func.func @stop_gradient_type(%a: tensor<4xf32>) -> tensor<5xf32> {
  // expected-error @+1 {{failed to verify that all of {input, result} have same type}}
  %0 = "nn.stop_gradient"(%a) : (tensor<4xf32>) -> tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

func.func @filter_grad_groups(%x: tensor<?x9x9x4xf32>, %g: tensor<?x7x7x6xf32>) -> tensor<3x3x1x6xf32> {
  // expected-error @+1 {{groups must be positive and divide the filters}}
  %0 = nn.conv2d_filter_grad %x, %g {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 4 : i64} : (tensor<?x9x9x4xf32>, tensor<?x7x7x6xf32>) -> tensor<3x3x1x6xf32>
  return %0 : tensor<3x3x1x6xf32>
}

// -----

func.func @filter_grad_group_channels(%x: tensor<?x9x9x4xf32>, %g: tensor<?x7x7x6xf32>) -> tensor<3x3x1x6xf32> {
  // expected-error @+1 {{result channels must match the input's (per group) and the cotangent's}}
  %0 = nn.conv2d_filter_grad %x, %g {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 3 : i64} : (tensor<?x9x9x4xf32>, tensor<?x7x7x6xf32>) -> tensor<3x3x1x6xf32>
  return %0 : tensor<3x3x1x6xf32>
}

// -----

func.func @and_float(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{operands and result must be bool (i1) tensors}}
  %0 = nn.and %a, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// The calling contract's attributes are checked: a misspelt kind,
// a mistyped mark, an unknown attribute.
// expected-error @+1 {{unknown 'nn.kind' "parameter" of argument 0}}
func.func @arg_kind(%w: tensor<4xf32> {nn.name = "w", nn.kind = "parameter"}) -> tensor<4xf32> {
  return %w : tensor<4xf32>
}

// -----

// expected-error @+1 {{'nn.name' of result 0 must be a string}}
func.func @result_name(%w: tensor<4xf32>) -> (tensor<4xf32> {nn.name = 3 : i64}) {
  return %w : tensor<4xf32>
}

// -----

// expected-error @+1 {{'nn.std' of argument 0 must be a float (an initializer argument)}}
func.func @init_arg(%w: tensor<4xf32> {nn.init = "normal", nn.std = "big"}) -> tensor<4xf32> {
  return %w : tensor<4xf32>
}

// -----

// expected-error @+1 {{'nn.wrt' must be an array of argument positions on a function}}
func.func @wrt(%w: tensor<4xf32>) -> tensor<4xf32> attributes {nn.wrt = 0 : i64} {
  return %w : tensor<4xf32>
}

// -----

// expected-error @+1 {{unknown attribute 'nn.wrtt' of the nn dialect}}
func.func @unknown(%w: tensor<4xf32>) -> tensor<4xf32> attributes {nn.wrtt = array<i64: 0>} {
  return %w : tensor<4xf32>
}

// -----

func.func @exchange_index(%g: tensor<4xf32>) {
  // expected-error @+1 {{'nn.allreduce_start' op needs an index >= 0}}
  nn.allreduce_start %g {index = -1 : i64} : tensor<4xf32>
  return
}

// -----

func.func @exchange_types(%g: tensor<4xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'nn.allreduce_wait' op takes ranked tensors and returns their types, or takes memrefs and returns nothing}}
  %s = nn.allreduce_wait %g : tensor<4xf32> -> tensor<8xf32>
  return %s : tensor<8xf32>
}

// -----

func.func @exchange_memref_results(%g: memref<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'nn.allreduce_wait' op takes ranked tensors and returns their types, or takes memrefs and returns nothing}}
  %s = nn.allreduce_wait %g : memref<4xf32> -> tensor<4xf32>
  return %s : tensor<4xf32>
}
