// Lowering failures are reported on the op, and the pass fails.
// RUN: nnc-opt %s --nn-lower-to-linalg --verify-diagnostics

func.func @argmax_two_axes(%x: tensor<?x4x5xf32>) -> tensor<?xi64> {
  // expected-error @+1 {{lowering of argmax over several axes is not implemented}}
  %0 = nn.reduce argmax, %x {axes = array<i64: 1, 2>, keepdims = false} : tensor<?x4x5xf32> -> tensor<?xi64>
  return %0 : tensor<?xi64>
}
