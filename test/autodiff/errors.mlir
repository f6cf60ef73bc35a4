// What the reverse-mode pass refuses, with the location of the culprit.
// RUN: nnc-opt %s --split-input-file --nn-reverse-mode --verify-diagnostics

// An op from outside the nn dialect has no rule.
func.func @no_rule(%x: tensor<6xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  // expected-error @+1 {{cannot differentiate through 'expand_shape' yet}}
  %0 = tensor.expand_shape %x [[0, 1]] output_shape [2, 3] : tensor<6xf32> into tensor<2x3xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0, 1>, keepdims = false} : tensor<2x3xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// (Sema allows only stride-1 "same" convolutions over images of run-time
// size; this one is written by hand.)
func.func @strided_conv_symbolic_image(%x: tensor<2x?x8x1xf32>, %w: tensor<3x3x1x2xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 1>} {
  // expected-error @+1 {{cannot differentiate through a strided convolution with symbolic image sizes yet}}
  %0 = nn.conv2d %x, %w {stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<2x?x8x1xf32>, tensor<3x3x1x2xf32>) -> tensor<2x?x3x2xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0, 1, 2, 3>, keepdims = false} : tensor<2x?x3x2xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

func.func @recursive(%x: tensor<3xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  // expected-error @-1 {{recursive gradients cannot be differentiated}}
  %0 = func.call @recursive(%x) : (tensor<3xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// expected-error @+1 {{a gradient needs a function whose first result is a float scalar (the loss)}}
func.func @not_scalar(%x: tensor<3xf32>) -> tensor<3xf32> attributes {nn.wrt = array<i64: 0>} {
  return %x : tensor<3xf32>
}

// -----

// expected-error @+1 {{nn.wrt names argument 2, but the function has 1}}
func.func @bad_index(%x: tensor<3xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 2>} {
  %0 = nn.reduce sum, %x {axes = array<i64: 0>, keepdims = false} : tensor<3xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// expected-error @+1 {{nn.wrt names argument 0, which is not a float tensor}}
func.func @int_arg(%l: tensor<3xi64>, %x: tensor<3xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.reduce sum, %x {axes = array<i64: 0>, keepdims = false} : tensor<3xf32> -> tensor<f32>
  return %0 : tensor<f32>
}
