// Lowering failures are reported on the op, and the pass fails.
// RUN: nnc-opt %s --nn-lower-to-linalg --verify-diagnostics

func.func @grouped(%x: tensor<?x9x9x4xf32>, %w: tensor<3x3x2x8xf32>) -> tensor<?x7x7x8xf32> {
  // expected-error @+1 {{lowering of grouped convolutions is not implemented}}
  %0 = nn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 2 : i64} : (tensor<?x9x9x4xf32>, tensor<3x3x2x8xf32>) -> tensor<?x7x7x8xf32>
  return %0 : tensor<?x7x7x8xf32>
}
