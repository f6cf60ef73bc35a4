// nnc-math-approximation: MLIR's polynomial approximations of the f32
// transcendental functions (exp, expm1, log, log1p, tanh, erf, sin, cos)
// replace the math ops by arithmetic, bit manipulation and math.fma,
// inside linalg bodies too. What LLVM lowers to instructions or intrinsics
// (sqrt, rsqrt, floor, absf) stays, and so do math.powf and f64 functions
// (not approximated: they remain libm calls).
// RUN: nnc-opt %s --split-input-file --nnc-math-approximation | FileCheck %s

// exp(x) = 2^k * p(r), k = floor(x * log2(e) + 1/2) after clamping x to
// [-87.8, 88.8], r = x - k ln 2 (in two parts), 2^k built from the
// exponent bits ((k + 127) << 23).
// CHECK-LABEL: func.func @exp(
// CHECK-NOT: math.exp
// CHECK-DAG: %[[BIAS:.*]] = arith.constant 127 : i32
// CHECK-DAG: %[[MANT:.*]] = arith.constant 23 : i32
// CHECK-DAG: %[[LOG2E:.*]] = arith.constant 1.44269502 : f32
// CHECK-DAG: %[[HI:.*]] = arith.constant 8.880000e+01 : f32
// CHECK-DAG: %[[LO:.*]] = arith.constant -8.780000e+01 : f32
// CHECK: arith.cmpf uge, %arg0, %[[LO]] : f32
// CHECK: arith.cmpf ule, %{{.*}}, %[[HI]] : f32
// CHECK: %[[T:.*]] = math.fma %{{.*}}, %[[LOG2E]], %{{.*}} : f32
// CHECK: %[[K:.*]] = math.floor %[[T]] : f32
// CHECK: math.fma
// CHECK: %[[P:.*]] = arith.addf %{{.*}}, %{{.*}} : f32
// CHECK: %[[KI:.*]] = arith.fptosi %{{.*}} : f32 to i32
// CHECK: %[[E:.*]] = arith.addi %[[KI]], %[[BIAS]] : i32
// CHECK: %[[SH:.*]] = arith.shli %[[E]], %[[MANT]] : i32
// CHECK: %[[POW2:.*]] = arith.bitcast %[[SH]] : i32 to f32
// CHECK: %[[R:.*]] = arith.mulf %[[P]], %[[POW2]] : f32
// CHECK-NOT: math.exp
// CHECK: return %[[R]] : f32
func.func @exp(%x: f32) -> f32 {
  %0 = math.exp %x : f32
  return %0 : f32
}

// -----

// log(x) = e * ln 2 + p(m - 1): the exponent e from the bits (>> 23), the
// mantissa m in [0.5, 1) by masking; log(0) = -inf, log(x < 0) = NaN,
// log(+inf) = +inf.
// CHECK-LABEL: func.func @log(
// CHECK-NOT: math.log
// CHECK-DAG: %[[LN2:.*]] = arith.constant 0.693147182 : f32
// CHECK-DAG: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-DAG: %[[NAN:.*]] = arith.constant 0x7FC00000 : f32
// CHECK: %[[BITS:.*]] = arith.bitcast %{{.*}} : f32 to i32
// CHECK: %[[MASKED:.*]] = arith.andi %[[BITS]], %{{.*}} : i32
// CHECK: arith.ori %[[MASKED]], %{{.*}} : i32
// CHECK: %[[EBITS:.*]] = arith.shrui %{{.*}}, %{{.*}} : i32
// CHECK: arith.sitofp %[[EBITS]] : i32 to f32
// CHECK: math.fma
// CHECK: %[[L:.*]] = math.fma %{{.*}}, %[[LN2]], %{{.*}} : f32
// CHECK: %[[NEG:.*]] = arith.cmpf ult, %arg0, %{{.*}} : f32
// CHECK: %[[ZERO:.*]] = arith.cmpf oeq, %arg0, %{{.*}} : f32
// CHECK: %[[A:.*]] = arith.select %{{.*}}, %{{.*}}, %[[L]] : f32
// CHECK: %[[B:.*]] = arith.select %[[NEG]], %[[NAN]], %[[A]] : f32
// CHECK: %[[R:.*]] = arith.select %[[ZERO]], %[[NEGINF]], %[[B]] : f32
// CHECK-NOT: math.log
// CHECK: return %[[R]] : f32
func.func @log(%x: f32) -> f32 {
  %0 = math.log %x : f32
  return %0 : f32
}

// -----

// log1p(x) = x * log(u) / (u - 1) with u = 1 + x (exact where u == 1 or
// log(u) == u).
// CHECK-LABEL: func.func @log1p(
// CHECK-NOT: math.log
// CHECK: %[[U:.*]] = arith.addf %arg0, %[[ONE:.*]] : f32
// CHECK: %[[UIS1:.*]] = arith.cmpf oeq, %[[U]], %[[ONE]] : f32
// CHECK: arith.shrui
// CHECK: math.fma
// CHECK: %[[BIG:.*]] = arith.cmpf oeq, %[[U]], %[[LOGU:[0-9]+]] : f32
// CHECK: %[[UM1:.*]] = arith.subf %[[U]], %[[ONE]] : f32
// CHECK: %[[Q:.*]] = arith.divf %[[LOGU]], %[[UM1]] : f32
// CHECK: %[[XQ:.*]] = arith.mulf %arg0, %[[Q]] : f32
// CHECK: %[[EXACT:.*]] = arith.ori %[[UIS1]], %[[BIG]] : i1
// CHECK: %[[R:.*]] = arith.select %[[EXACT]], %arg0, %[[XQ]] : f32
// CHECK-NOT: math.log
// CHECK: return %[[R]] : f32
func.func @log1p(%x: f32) -> f32 {
  %0 = math.log1p %x : f32
  return %0 : f32
}

// -----

// expm1(x) = (u - 1) * x / log(u) with u = exp(x): both approximations
// inline, then the correction.
// CHECK-LABEL: func.func @expm1(
// CHECK-NOT: math.exp
// CHECK: math.floor
// CHECK: arith.shli
// CHECK: %[[U:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: %[[UM1:.*]] = arith.subf %[[U]], %{{.*}} : f32
// CHECK: arith.shrui
// CHECK: arith.cmpf oeq, %[[LOGU:[0-9]+]], %[[U]] : f32
// CHECK: %[[Q:.*]] = arith.divf %arg0, %[[LOGU]] : f32
// CHECK: arith.mulf %[[UM1]], %[[Q]] : f32
// CHECK-NOT: math.{{exp|log}}
// CHECK: return
func.func @expm1(%x: f32) -> f32 {
  %0 = math.expm1 %x : f32
  return %0 : f32
}

// -----

// tanh: a rational function (odd numerator over even denominator, both
// in x^2) of x clamped to [-7.99881172, 7.99881172]; x itself when
// |x| < 0.0004.
// CHECK-LABEL: func.func @tanh(
// CHECK-NOT: math.tanh
// CHECK-DAG: %[[SMALL:.*]] = arith.constant 4.000000e-04 : f32
// CHECK-DAG: %[[CLAMP:.*]] = arith.constant 7.99881172 : f32
// CHECK: arith.cmpf ult, %arg0, %[[CLAMP]] : f32
// CHECK: arith.cmpf ugt, %{{.*}}, %{{.*}} : f32
// CHECK: %[[X:.*]] = arith.select %{{.*}} : f32
// CHECK: %[[A:.*]] = math.absf %arg0 : f32
// CHECK: %[[TINY:.*]] = arith.cmpf olt, %[[A]], %[[SMALL]] : f32
// CHECK: %[[X2:.*]] = arith.mulf %[[X]], %[[X]] : f32
// CHECK: math.fma %[[X2]]
// CHECK: %[[NUM:.*]] = arith.mulf %[[X]], %{{.*}} : f32
// CHECK: math.fma %[[X2]]
// CHECK: %[[Q:.*]] = arith.divf %[[NUM]], %{{.*}} : f32
// CHECK: %[[R:.*]] = arith.select %[[TINY]], %[[X]], %[[Q]] : f32
// CHECK-NOT: math.tanh
// CHECK: return %[[R]] : f32
func.func @tanh(%x: f32) -> f32 {
  %0 = math.tanh %x : f32
  return %0 : f32
}

// -----

// erf: odd (computed on |x|, the sign restored), a rational function
// whose coefficients are chosen by interval (selects), 1 beyond the last.
// CHECK-LABEL: func.func @erf(
// CHECK-NOT: math.erf
// CHECK: %[[NEG:.*]] = arith.cmpf olt, %arg0, %{{.*}} : f32
// CHECK: %[[MINUS:.*]] = arith.negf %arg0 : f32
// CHECK: %[[A:.*]] = arith.select %[[NEG]], %[[MINUS]], %arg0 : f32
// CHECK: arith.cmpf olt, %[[A]], %{{.*}} : f32
// CHECK-COUNT-8: arith.select
// CHECK: %[[INRANGE:.*]] = arith.cmpf ult, %[[A]], %{{.*}} : f32
// CHECK: %[[P:.*]] = math.fma %[[A]]
// CHECK: %[[Q:.*]] = arith.divf %{{.*}}, %{{.*}} : f32
// CHECK: %[[S:.*]] = arith.addf %{{.*}}, %[[Q]] : f32
// CHECK: %[[V:.*]] = arith.select %[[INRANGE]], %[[S]], %{{.*}} : f32
// CHECK: %[[NV:.*]] = arith.negf %[[V]] : f32
// CHECK: %[[R:.*]] = arith.select %[[NEG]], %[[NV]], %[[V]] : f32
// CHECK-NOT: math.erf
// CHECK: return %[[R]] : f32
func.func @erf(%x: f32) -> f32 {
  %0 = math.erf %x : f32
  return %0 : f32
}

// -----

// sin: reduce by multiples of pi/2 (k = floor(x * 2/pi)), choose the sin
// or cos polynomial by the quadrant (k & 3 in {1, 3}), negate in quadrants
// 2 and 3.
// CHECK-LABEL: func.func @sin(
// CHECK-NOT: math.sin
// CHECK-DAG: %[[TWOPI:.*]] = arith.constant 0.636619746 : f32
// CHECK-DAG: %[[HALFPI:.*]] = arith.constant 1.57079637 : f32
// CHECK: %[[T:.*]] = arith.mulf %arg0, %[[TWOPI]] : f32
// CHECK: %[[K:.*]] = math.floor %[[T]] : f32
// CHECK: %[[KP:.*]] = arith.mulf %[[K]], %[[HALFPI]] : f32
// CHECK: %[[Y:.*]] = arith.subf %arg0, %[[KP]] : f32
// CHECK: %[[KI:.*]] = arith.fptosi %[[K]] : f32 to i32
// CHECK: %[[Q:.*]] = arith.andi %[[KI]], %{{.*}} : i32
// CHECK: %[[Q1:.*]] = arith.cmpi eq, %[[Q]], %{{.*}} : i32
// CHECK: %[[Q3:.*]] = arith.cmpi eq, %[[Q]], %{{.*}} : i32
// CHECK: %[[COSPOLY:.*]] = arith.ori %[[Q1]], %[[Q3]] : i1
// CHECK: %[[NEGATE:.*]] = arith.cmpi sgt, %[[Q]], %{{.*}} : i32
// CHECK: arith.select %[[COSPOLY]]
// CHECK: math.fma
// CHECK: %[[V:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: %[[NV:.*]] = arith.mulf %[[V]], %{{.*}} : f32
// CHECK: %[[R:.*]] = arith.select %[[NEGATE]], %[[NV]], %[[V]] : f32
// CHECK-NOT: math.sin
// CHECK: return %[[R]] : f32
func.func @sin(%x: f32) -> f32 {
  %0 = math.sin %x : f32
  return %0 : f32
}

// -----

// cos: the same reduction; the cos polynomial in quadrants 0 and 2,
// negated in quadrants 1 and 2.
// CHECK-LABEL: func.func @cos(
// CHECK-NOT: math.cos
// CHECK: %[[K:.*]] = math.floor
// CHECK: %[[Q:.*]] = arith.andi %{{.*}}, %{{.*}} : i32
// CHECK: %[[Q0:.*]] = arith.cmpi eq, %[[Q]], %{{.*}} : i32
// CHECK: %[[Q1:.*]] = arith.cmpi eq, %[[Q]], %{{.*}} : i32
// CHECK: %[[Q2:.*]] = arith.cmpi eq, %[[Q]], %{{.*}} : i32
// CHECK: %[[COSPOLY:.*]] = arith.ori %[[Q0]], %[[Q2]] : i1
// CHECK: %[[NEGATE:.*]] = arith.ori %[[Q1]], %[[Q2]] : i1
// CHECK: arith.select %[[COSPOLY]]
// CHECK: %[[R:.*]] = arith.select %[[NEGATE]], %{{.*}}, %{{.*}} : f32
// CHECK-NOT: math.cos
// CHECK: return %[[R]] : f32
func.func @cos(%x: f32) -> f32 {
  %0 = math.cos %x : f32
  return %0 : f32
}

// -----

// Inside a linalg body (what nn-lower-to-linalg makes of nn.gelu): the
// erf is approximated in place, the loop is otherwise unchanged.
// CHECK-LABEL: func.func @in_linalg(
// CHECK: linalg.generic
// CHECK: %[[S:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK-NOT: math.erf
// CHECK: arith.cmpf olt, %[[S]], %{{.*}} : f32
// CHECK: math.fma
// CHECK: linalg.yield
func.func @in_linalg(%x: tensor<4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %c = arith.constant 0.707106769 : f32
    %s = arith.mulf %in, %c : f32
    %r = math.erf %s : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Left alone: sqrt, rsqrt, floor and absf (LLVM intrinsics), powf, and
// every f64 function.
// CHECK-LABEL: func.func @kept(
// CHECK-NEXT: math.sqrt %arg0 : f32
// CHECK-NEXT: math.rsqrt %arg0 : f32
// CHECK-NEXT: math.powf %arg0, %arg0 : f32
// CHECK-NEXT: math.floor %arg0 : f32
// CHECK-NEXT: math.absf %arg0 : f32
// CHECK-NEXT: math.exp %arg1 : f64
// CHECK-NEXT: math.log %arg1 : f64
// CHECK-NEXT: math.tanh %arg1 : f64
// CHECK-NEXT: return
func.func @kept(%x: f32, %y: f64) -> (f32, f32, f32, f32, f32, f64, f64, f64) {
  %0 = math.sqrt %x : f32
  %1 = math.rsqrt %x : f32
  %2 = math.powf %x, %x : f32
  %3 = math.floor %x : f32
  %4 = math.absf %x : f32
  %5 = math.exp %y : f64
  %6 = math.log %y : f64
  %7 = math.tanh %y : f64
  return %0, %1, %2, %3, %4, %5, %6, %7 : f32, f32, f32, f32, f32, f64, f64, f64
}
