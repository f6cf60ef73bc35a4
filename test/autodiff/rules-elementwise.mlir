// The derivative rules of the element-wise ops, one case per op (relu,
// add and dropout are in rules.mlir): each loss is sum(op(x)), so the
// cotangent reaching the op is the sum's seed G (ones, broadcast); the
// checks follow the rule's formula from G, the op's operands and its
// result. Binary ops sum the cotangent of a broadcast operand back over
// the broadcast dimension.
// RUN: nnc-opt %s --split-input-file --nn-reverse-mode --canonicalize --cse | FileCheck %s

// sigmoid: g * y * (1 - y), from the result (no second sigmoid).
// CHECK-LABEL: func.func @sigmoid(
// CHECK: %[[ONE:.*]] = nn.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[Y:.*]] = nn.sigmoid %arg0
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
// CHECK-NOT: nn.sigmoid
// CHECK: %[[OMY:.*]] = nn.sub %[[ONE]], %[[Y]]
// CHECK: %[[D:.*]] = nn.mul %[[Y]], %[[OMY]]
// CHECK: %[[DX:.*]] = nn.mul %[[G]], %[[D]]
// CHECK: return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @sigmoid(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.sigmoid %x : tensor<4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0>, keepdims = false} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// tanh: g * (1 - y^2).
// CHECK-LABEL: func.func @tanh(
// CHECK: %[[ONE:.*]] = nn.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[Y:.*]] = nn.tanh %arg0
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
// CHECK-NOT: nn.tanh
// CHECK: %[[YY:.*]] = nn.mul %[[Y]], %[[Y]]
// CHECK: %[[D:.*]] = nn.sub %[[ONE]], %[[YY]]
// CHECK: %[[DX:.*]] = nn.mul %[[G]], %[[D]]
// CHECK: return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @tanh(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.tanh %x : tensor<4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0>, keepdims = false} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// gelu: g * (Phi(x) + x phi(x)), Phi(x) = (1 + erf(x / sqrt 2)) / 2,
// phi(x) = exp(-x^2 / 2) / sqrt(2 pi).
// CHECK-LABEL: func.func @gelu(
// CHECK-DAG: %[[PDF0:.*]] = nn.constant dense<0.398942292> : tensor<f32>
// CHECK-DAG: %[[MHALF:.*]] = nn.constant dense<-5.000000e-01> : tensor<f32>
// CHECK-DAG: %[[HALF:.*]] = nn.constant dense<5.000000e-01> : tensor<f32>
// CHECK-DAG: %[[RS2:.*]] = nn.constant dense<0.707106769> : tensor<f32>
// CHECK-DAG: %[[ONE:.*]] = nn.constant dense<1.000000e+00> : tensor<f32>
// CHECK: nn.gelu %arg0
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
// CHECK: %[[S:.*]] = nn.mul %arg0, %[[RS2]]
// CHECK: %[[E:.*]] = nn.erf %[[S]]
// CHECK: %[[E1:.*]] = nn.add %[[E]], %[[ONE]]
// CHECK: %[[CDF:.*]] = nn.mul %[[E1]], %[[HALF]]
// CHECK: %[[X2:.*]] = nn.mul %arg0, %arg0
// CHECK: %[[X2H:.*]] = nn.mul %[[X2]], %[[MHALF]]
// CHECK: %[[EX:.*]] = nn.exp %[[X2H]]
// CHECK: %[[PDF:.*]] = nn.mul %[[EX]], %[[PDF0]]
// CHECK: %[[XPDF:.*]] = nn.mul %arg0, %[[PDF]]
// CHECK: %[[D:.*]] = nn.add %[[CDF]], %[[XPDF]]
// CHECK: %[[DX:.*]] = nn.mul %[[G]], %[[D]]
// CHECK: return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @gelu(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.gelu %x : tensor<4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0>, keepdims = false} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// erf: g * 2 / sqrt(pi) * exp(-x^2).
// CHECK-LABEL: func.func @erf(
// CHECK-DAG: %[[C:.*]] = nn.constant dense<1.12837923> : tensor<f32>
// CHECK: nn.erf %arg0
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
// CHECK: %[[X2:.*]] = nn.mul %arg0, %arg0
// CHECK: %[[N:.*]] = nn.neg %[[X2]]
// CHECK: %[[E:.*]] = nn.exp %[[N]]
// CHECK: %[[D:.*]] = nn.mul %[[E]], %[[C]]
// CHECK: %[[DX:.*]] = nn.mul %[[G]], %[[D]]
// CHECK: return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @erf(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.erf %x : tensor<4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0>, keepdims = false} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// softplus: g * sigmoid(x).
// CHECK-LABEL: func.func @softplus(
// CHECK: nn.softplus %arg0
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
// CHECK: %[[S:.*]] = nn.sigmoid %arg0
// CHECK: %[[DX:.*]] = nn.mul %[[G]], %[[S]]
// CHECK: return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @softplus(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.softplus %x : tensor<4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0>, keepdims = false} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// exp: g * y.
// CHECK-LABEL: func.func @exp(
// CHECK: %[[Y:.*]] = nn.exp %arg0
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
// CHECK-NOT: nn.exp
// CHECK: %[[DX:.*]] = nn.mul %[[G]], %[[Y]]
// CHECK: return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @exp(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.exp %x : tensor<4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0>, keepdims = false} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// log: g / x.
// CHECK-LABEL: func.func @log(
// CHECK: nn.log %arg0
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
// CHECK: %[[DX:.*]] = nn.div %[[G]], %arg0
// CHECK: return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @log(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.log %x : tensor<4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0>, keepdims = false} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// sqrt: g * 0.5 / y.
// CHECK-LABEL: func.func @sqrt(
// CHECK-DAG: %[[HALF:.*]] = nn.constant dense<5.000000e-01> : tensor<f32>
// CHECK: %[[Y:.*]] = nn.sqrt %arg0
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
// CHECK: %[[GH:.*]] = nn.mul %[[G]], %[[HALF]]
// CHECK: %[[DX:.*]] = nn.div %[[GH]], %[[Y]]
// CHECK: return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @sqrt(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.sqrt %x : tensor<4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0>, keepdims = false} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// rsqrt: g * -0.5 * y^3.
// CHECK-LABEL: func.func @rsqrt(
// CHECK-DAG: %[[MHALF:.*]] = nn.constant dense<-5.000000e-01> : tensor<f32>
// CHECK: %[[Y:.*]] = nn.rsqrt %arg0
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
// CHECK: %[[GH:.*]] = nn.mul %[[G]], %[[MHALF]]
// CHECK: %[[Y2:.*]] = nn.mul %[[Y]], %[[Y]]
// CHECK: %[[Y3:.*]] = nn.mul %[[Y]], %[[Y2]]
// CHECK: %[[DX:.*]] = nn.mul %[[GH]], %[[Y3]]
// CHECK: return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @rsqrt(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.rsqrt %x : tensor<4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0>, keepdims = false} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// abs: g * sign(x) (0 at 0, as PyTorch).
// CHECK-LABEL: func.func @abs(
// CHECK: nn.abs %arg0
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
// CHECK: %[[S:.*]] = nn.sign %arg0
// CHECK: %[[DX:.*]] = nn.mul %[[G]], %[[S]]
// CHECK: return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @abs(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.abs %x : tensor<4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0>, keepdims = false} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// neg: -g.
// CHECK-LABEL: func.func @neg(
// CHECK: nn.neg %arg0
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
// CHECK: %[[DX:.*]] = nn.neg %[[G]]
// CHECK: return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @neg(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.neg %x : tensor<4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0>, keepdims = false} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// sin: g * cos(x).
// CHECK-LABEL: func.func @sin(
// CHECK: nn.sin %arg0
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
// CHECK: %[[C:.*]] = nn.cos %arg0
// CHECK: %[[DX:.*]] = nn.mul %[[G]], %[[C]]
// CHECK: return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @sin(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.sin %x : tensor<4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0>, keepdims = false} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// cos: -(g * sin(x)).
// CHECK-LABEL: func.func @cos(
// CHECK: nn.cos %arg0
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
// CHECK: %[[S:.*]] = nn.sin %arg0
// CHECK: %[[GS:.*]] = nn.mul %[[G]], %[[S]]
// CHECK: %[[DX:.*]] = nn.neg %[[GS]]
// CHECK: return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @cos(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.cos %x : tensor<4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0>, keepdims = false} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// silu: g * (s + x s (1 - s)), s = sigmoid(x).
// CHECK-LABEL: func.func @silu(
// CHECK: %[[ONE:.*]] = nn.constant dense<1.000000e+00> : tensor<f32>
// CHECK: nn.silu %arg0
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
// CHECK: %[[S:.*]] = nn.sigmoid %arg0
// CHECK: %[[OMS:.*]] = nn.sub %[[ONE]], %[[S]]
// CHECK: %[[DS:.*]] = nn.mul %[[S]], %[[OMS]]
// CHECK: %[[XDS:.*]] = nn.mul %arg0, %[[DS]]
// CHECK: %[[D:.*]] = nn.add %[[S]], %[[XDS]]
// CHECK: %[[DX:.*]] = nn.mul %[[G]], %[[D]]
// CHECK: return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @silu(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.silu %x : tensor<4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0>, keepdims = false} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// square: g * 2x.
// CHECK-LABEL: func.func @square(
// CHECK-DAG: %[[TWO:.*]] = nn.constant dense<2.000000e+00> : tensor<f32>
// CHECK: nn.square %arg0
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
// CHECK: %[[X2:.*]] = nn.mul %arg0, %[[TWO]]
// CHECK: %[[DX:.*]] = nn.mul %[[G]], %[[X2]]
// CHECK: return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @square(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.square %x : tensor<4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0>, keepdims = false} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// floor and sign are constant almost everywhere: zero cotangent.
// CHECK-LABEL: func.func @floor(
// CHECK: nn.floor %arg0
// CHECK: %[[DX:.*]] = nn.fill {value = 0.000000e+00 : f64} : tensor<4xf32>
// CHECK-NOT: nn.mul
// CHECK: return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @floor(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.floor %x : tensor<4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0>, keepdims = false} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @sign(
// CHECK: nn.sign %arg0
// CHECK: %[[DX:.*]] = nn.fill {value = 0.000000e+00 : f64} : tensor<4xf32>
// CHECK-NOT: nn.mul
// CHECK: return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @sign(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.sign %x : tensor<4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0>, keepdims = false} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// log1p: g / (x + 1).
// CHECK-LABEL: func.func @log1p(
// CHECK: %[[ONE:.*]] = nn.constant dense<1.000000e+00> : tensor<f32>
// CHECK: nn.log1p %arg0
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
// CHECK: %[[X1:.*]] = nn.add %arg0, %[[ONE]]
// CHECK: %[[DX:.*]] = nn.div %[[G]], %[[X1]]
// CHECK: return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @log1p(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.log1p %x : tensor<4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0>, keepdims = false} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// elu: g where x > 0, else g * (y + 1) (= g exp(x), from the result).
// CHECK-LABEL: func.func @elu(
// CHECK-DAG: %[[ZERO:.*]] = nn.constant dense<0.000000e+00> : tensor<f32>
// CHECK-DAG: %[[ONE:.*]] = nn.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[Y:.*]] = nn.elu %arg0
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
// CHECK: %[[POS:.*]] = nn.compare gt, %arg0, %[[ZERO]]
// CHECK: %[[Y1:.*]] = nn.add %[[Y]], %[[ONE]]
// CHECK: %[[NEG:.*]] = nn.mul %[[G]], %[[Y1]]
// CHECK: %[[DX:.*]] = nn.select %[[POS]], %[[G]], %[[NEG]]
// CHECK: return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @elu(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.elu %x : tensor<4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0>, keepdims = false} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// leaky_relu: g where x > 0, else slope * g.
// CHECK-LABEL: func.func @leaky_relu(
// CHECK-DAG: %[[SLOPE:.*]] = nn.constant dense<2.000000e-01> : tensor<f32>
// CHECK-DAG: %[[ZERO:.*]] = nn.constant dense<0.000000e+00> : tensor<f32>
// CHECK: nn.leaky_relu %arg0
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
// CHECK: %[[POS:.*]] = nn.compare gt, %arg0, %[[ZERO]]
// CHECK: %[[NEG:.*]] = nn.mul %[[G]], %[[SLOPE]]
// CHECK: %[[DX:.*]] = nn.select %[[POS]], %[[G]], %[[NEG]]
// CHECK: return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @leaky_relu(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.leaky_relu %x {slope = 0.2 : f64} : tensor<4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0>, keepdims = false} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// clip: g inside [low, high] (the bounds included), 0 outside.
// CHECK-LABEL: func.func @clip(
// CHECK-DAG: %[[LO:.*]] = nn.constant dense<-1.000000e+00> : tensor<f32>
// CHECK-DAG: %[[HI:.*]] = nn.constant dense<2.000000e+00> : tensor<f32>
// CHECK-DAG: %[[ZERO:.*]] = nn.constant dense<0.000000e+00> : tensor<f32>
// CHECK: nn.clip %arg0
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
// CHECK: %[[ABOVE:.*]] = nn.compare gt, %arg0, %[[HI]]
// CHECK: %[[IN:.*]] = nn.select %[[ABOVE]], %[[ZERO]], %[[G]]
// CHECK: %[[BELOW:.*]] = nn.compare lt, %arg0, %[[LO]]
// CHECK: %[[DX:.*]] = nn.select %[[BELOW]], %[[ZERO]], %[[IN]]
// CHECK: return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @clip(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %0 = nn.clip %x {low = -1.0 : f64, high = 2.0 : f64} : tensor<4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0>, keepdims = false} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// sub: (g, -g), b's summed over the broadcast rows.
// CHECK-LABEL: func.func @sub(
// CHECK: nn.sub %arg0, %arg1
// CHECK: %[[DA:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
// CHECK: %[[DBF:.*]] = nn.neg %[[DA]]
// CHECK: %[[DB:.*]] = nn.reduce sum, %[[DBF]] {axes = array<i64: 0>, keepdims = false} : tensor<2x4xf32> -> tensor<4xf32>
// CHECK: return %{{.*}}, %[[DA]], %[[DB]] : tensor<f32>, tensor<2x4xf32>, tensor<4xf32>
func.func @sub(%a: tensor<2x4xf32>, %b: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0, 1>} {
  %0 = nn.sub %a, %b : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0, 1>, keepdims = false} : tensor<2x4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// mul: (g b, g a).
// CHECK-LABEL: func.func @mul(
// CHECK: nn.mul %arg0, %arg1
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
// CHECK: %[[DA:.*]] = nn.mul %[[G]], %arg1
// CHECK: %[[DBF:.*]] = nn.mul %[[G]], %arg0
// CHECK: %[[DB:.*]] = nn.reduce sum, %[[DBF]] {axes = array<i64: 0>, keepdims = false} : tensor<2x4xf32> -> tensor<4xf32>
// CHECK: return %{{.*}}, %[[DA]], %[[DB]] : tensor<f32>, tensor<2x4xf32>, tensor<4xf32>
func.func @mul(%a: tensor<2x4xf32>, %b: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0, 1>} {
  %0 = nn.mul %a, %b : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0, 1>, keepdims = false} : tensor<2x4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// div: (g / b, -(g y / b)), from the result y = a / b.
// CHECK-LABEL: func.func @div(
// CHECK: %[[Y:.*]] = nn.div %arg0, %arg1
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
// CHECK: %[[DA:.*]] = nn.div %[[G]], %arg1
// CHECK: %[[GY:.*]] = nn.mul %[[G]], %[[Y]]
// CHECK: %[[GYB:.*]] = nn.div %[[GY]], %arg1
// CHECK: %[[DBF:.*]] = nn.neg %[[GYB]]
// CHECK: %[[DB:.*]] = nn.reduce sum, %[[DBF]] {axes = array<i64: 0>, keepdims = false} : tensor<2x4xf32> -> tensor<4xf32>
// CHECK: return %{{.*}}, %[[DA]], %[[DB]] : tensor<f32>, tensor<2x4xf32>, tensor<4xf32>
func.func @div(%a: tensor<2x4xf32>, %b: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0, 1>} {
  %0 = nn.div %a, %b : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0, 1>, keepdims = false} : tensor<2x4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// maximum: g to a where a >= b (ties to the left operand), else to b.
// CHECK-LABEL: func.func @maximum(
// CHECK-DAG: %[[ZERO:.*]] = nn.constant dense<0.000000e+00> : tensor<f32>
// CHECK: nn.maximum %arg0, %arg1
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
// CHECK: %[[LEFT:.*]] = nn.compare ge, %arg0, %arg1
// CHECK: %[[DA:.*]] = nn.select %[[LEFT]], %[[G]], %[[ZERO]]
// CHECK: %[[DBF:.*]] = nn.select %[[LEFT]], %[[ZERO]], %[[G]]
// CHECK: %[[DB:.*]] = nn.reduce sum, %[[DBF]] {axes = array<i64: 0>, keepdims = false} : tensor<2x4xf32> -> tensor<4xf32>
// CHECK: return %{{.*}}, %[[DA]], %[[DB]] : tensor<f32>, tensor<2x4xf32>, tensor<4xf32>
func.func @maximum(%a: tensor<2x4xf32>, %b: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0, 1>} {
  %0 = nn.maximum %a, %b : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0, 1>, keepdims = false} : tensor<2x4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// minimum: g to a where a <= b, else to b.
// CHECK-LABEL: func.func @minimum(
// CHECK-DAG: %[[ZERO:.*]] = nn.constant dense<0.000000e+00> : tensor<f32>
// CHECK: nn.minimum %arg0, %arg1
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
// CHECK: %[[LEFT:.*]] = nn.compare le, %arg0, %arg1
// CHECK: %[[DA:.*]] = nn.select %[[LEFT]], %[[G]], %[[ZERO]]
// CHECK: %[[DBF:.*]] = nn.select %[[LEFT]], %[[ZERO]], %[[G]]
// CHECK: %[[DB:.*]] = nn.reduce sum, %[[DBF]] {axes = array<i64: 0>, keepdims = false} : tensor<2x4xf32> -> tensor<4xf32>
// CHECK: return %{{.*}}, %[[DA]], %[[DB]] : tensor<f32>, tensor<2x4xf32>, tensor<4xf32>
func.func @minimum(%a: tensor<2x4xf32>, %b: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0, 1>} {
  %0 = nn.minimum %a, %b : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0, 1>, keepdims = false} : tensor<2x4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// pow: (g b a^(b - 1), g y log a).
// CHECK-LABEL: func.func @pow(
// CHECK-DAG: %[[ONE:.*]] = nn.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[Y:.*]] = nn.pow %arg0, %arg1
// CHECK: %[[G:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
// CHECK: %[[BM1:.*]] = nn.sub %arg1, %[[ONE]]
// CHECK: %[[P:.*]] = nn.pow %arg0, %[[BM1]]
// CHECK: %[[L:.*]] = nn.log %arg0
// CHECK: %[[YL:.*]] = nn.mul %[[Y]], %[[L]]
// CHECK: %[[DBF:.*]] = nn.mul %[[G]], %[[YL]]
// CHECK: %[[BP:.*]] = nn.mul %arg1, %[[P]]
// CHECK: %[[DA:.*]] = nn.mul %[[G]], %[[BP]]
// CHECK: %[[DB:.*]] = nn.reduce sum, %[[DBF]] {axes = array<i64: 0>, keepdims = false} : tensor<2x4xf32> -> tensor<4xf32>
// CHECK: return %{{.*}}, %[[DA]], %[[DB]] : tensor<f32>, tensor<2x4xf32>, tensor<4xf32>
func.func @pow(%a: tensor<2x4xf32>, %b: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0, 1>} {
  %0 = nn.pow %a, %b : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0, 1>, keepdims = false} : tensor<2x4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// rem: (g, g (y - a) / b), i.e. -g trunc(a / b) for b, from the result.
// CHECK-LABEL: func.func @rem(
// CHECK: %[[Y:.*]] = nn.rem %arg0, %arg1
// CHECK: %[[DA:.*]] = nn.add %{{.*}}, %{{.*}} : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
// CHECK: %[[YA:.*]] = nn.sub %[[Y]], %arg0
// CHECK: %[[GYA:.*]] = nn.mul %[[DA]], %[[YA]]
// CHECK: %[[DBF:.*]] = nn.div %[[GYA]], %arg1
// CHECK: %[[DB:.*]] = nn.reduce sum, %[[DBF]] {axes = array<i64: 0>, keepdims = false} : tensor<2x4xf32> -> tensor<4xf32>
// CHECK: return %{{.*}}, %[[DA]], %[[DB]] : tensor<f32>, tensor<2x4xf32>, tensor<4xf32>
func.func @rem(%a: tensor<2x4xf32>, %b: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0, 1>} {
  %0 = nn.rem %a, %b : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %1 = nn.reduce sum, %0 {axes = array<i64: 0, 1>, keepdims = false} : tensor<2x4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// and, or: bool results pass no gradient; x reaches the loss only through
// comparisons combined by them, so its cotangent is zeros.
// CHECK-LABEL: func.func @logical(
// CHECK: nn.and
// CHECK: nn.or
// CHECK: %[[DX:.*]] = nn.fill {value = 0.000000e+00 : f64} : tensor<4xf32>
// CHECK-NEXT: return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @logical(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<f32> attributes {nn.wrt = array<i64: 0>} {
  %p = nn.compare gt, %x, %y : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %q = nn.compare lt, %x, %y : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %a = nn.and %p, %q : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %o = nn.or %a, %p : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %f = nn.cast %o : tensor<4xi1> to tensor<4xf32>
  %1 = nn.reduce sum, %f {axes = array<i64: 0>, keepdims = false} : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}
