// RUN: nnc-opt %s --nnc-kernel-calls | FileCheck %s
// RUN: nnc-opt %s --nnc-kernel-calls=threads=2 | FileCheck %s --check-prefix=PAR

// Nineteen i64 arguments (pointers travel as integers).
// CHECK-DAG: func.func private @nnc_sgemm(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64)
// CHECK-DAG: func.func private @nnc_conv2d_f32(
// CHECK-DAG: func.func private @nnc_conv2d_filter_grad_f32(

// A plain product: one call with A's strides (row, k), B's (k, col), C's row
// stride, accumulating into C (flags 1) with no bias (0, 0), slice 0 of 1.
// CHECK-LABEL: func.func @matmul
// CHECK-NOT: linalg.matmul
// CHECK: %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %[[ASZ:[a-z0-9_]+]]:2, %{{[a-z0-9_]+}}:2 = memref.extract_strided_metadata %arg0
// CHECK: %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %[[CSZ:[a-z0-9_]+]]:2, %{{[a-z0-9_]+}}:2 = memref.extract_strided_metadata %arg2
// CHECK: %[[ACC:.*]] = arith.index_cast %c1{{.*}} : index to i64
// CHECK: %[[NOBIAS:.*]] = arith.index_cast %c0{{.*}} : index to i64
// CHECK: %[[M:.*]] = arith.index_cast %[[CSZ]]#0 : index to i64
// CHECK: %[[N:.*]] = arith.index_cast %[[CSZ]]#1 : index to i64
// CHECK: %[[K:.*]] = arith.index_cast %[[ASZ]]#1 : index to i64
// CHECK: call @nnc_sgemm(%[[M]], %[[N]], %[[K]], {{.*}}, %[[ACC]], %[[NOBIAS]], %[[NOBIAS]], %{{.*}}, %{{.*}})
// PAR-LABEL: func.func @matmul
// PAR: scf.parallel (%[[P:.*]]) = (%c0{{.*}}) to (%c2{{.*}}) step
// PAR:   %[[PART:.*]] = arith.index_cast %[[P]] : index to i64
// PAR:   %[[TWO:.*]] = arith.index_cast %c2{{.*}} : index to i64
// PAR:   call @nnc_sgemm({{.*}}, %[[PART]], %[[TWO]])
func.func @matmul(%a: memref<?x784xf32>, %b: memref<784x256xf32>,
                  %c: memref<?x256xf32>) {
  linalg.matmul ins(%a, %b : memref<?x784xf32>, memref<784x256xf32>)
                outs(%c : memref<?x256xf32>)
  return
}

// A transposed operand is read through its strides: A^T's k stride is its
// row stride.
// CHECK-LABEL: func.func @transposed
// CHECK: %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}:2, %[[TST:[a-z0-9_]+]]:2 = memref.extract_strided_metadata %arg0
// CHECK-DAG: %[[SM:.*]] = arith.index_cast %[[TST]]#1 : index to i64
// CHECK-DAG: %[[SK:.*]] = arith.index_cast %[[TST]]#0 : index to i64
// CHECK: call @nnc_sgemm(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[SM]], %[[SK]],
#mapA = affine_map<(m, n, k) -> (k, m)>
#mapB = affine_map<(m, n, k) -> (k, n)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @transposed(%a: memref<64x784xf32>, %b: memref<64x256xf32>,
                      %c: memref<784x256xf32>) {
  linalg.generic {indexing_maps = [#mapA, #mapB, #mapC],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<64x784xf32>, memref<64x256xf32>)
      outs(%c : memref<784x256xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// A batched product: a loop over the batch advancing each offset.
// CHECK-LABEL: func.func @batched
// CHECK: scf.for %[[I:.*]] =
// CHECK:   arith.muli %[[I]]
// CHECK:   call @nnc_sgemm
func.func @batched(%a: memref<4x8x16xf32>, %b: memref<4x16x32xf32>,
                   %c: memref<4x8x32xf32>) {
  linalg.batch_matmul ins(%a, %b : memref<4x8x16xf32>, memref<4x16x32xf32>)
                      outs(%c : memref<4x8x32xf32>)
  return
}

// Convolutions call the im2col kernel with the strides and dilations.
// CHECK-LABEL: func.func @conv
// CHECK-DAG: arith.constant 2 : index
// CHECK-DAG: arith.constant 3 : index
// CHECK: call @nnc_conv2d_f32(
func.func @conv(%x: memref<?x30x30x8xf32>, %w: memref<3x3x8x16xf32>,
                %o: memref<?x14x10x16xf32>) {
  linalg.conv_2d_nhwc_hwcf {strides = dense<[2, 1]> : tensor<2xi64>,
                            dilations = dense<[1, 3]> : tensor<2xi64>}
      ins(%x, %w : memref<?x30x30x8xf32>, memref<3x3x8x16xf32>)
      outs(%o : memref<?x14x10x16xf32>)
  return
}

// The generic nn-lower-to-linalg makes of nn.conv2d_filter_grad (marked
// with its strides and dilations).
// CHECK-LABEL: func.func @filter_grad
// CHECK-NOT: linalg.generic
// CHECK: call @nnc_conv2d_filter_grad_f32(
func.func @filter_grad(%x: memref<?x10x10x3xf32>, %g: memref<?x8x8x4xf32>,
                       %dw: memref<3x3x3x4xf32>) {
  linalg.generic {
      indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d5 + d0, d6 + d1, d2)>,
                       affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d5, d6, d3)>,
                       affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>],
      iterator_types = ["parallel", "parallel", "parallel", "parallel",
                        "reduction", "reduction", "reduction"]}
      ins(%x, %g : memref<?x10x10x3xf32>, memref<?x8x8x4xf32>)
      outs(%dw : memref<3x3x3x4xf32>) attrs = {nn.conv2d_filter_grad = array<i64: 1, 1, 1, 1>} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// Left alone: f64, and an output whose columns are strided.
// CHECK-LABEL: func.func @f64
// CHECK: linalg.matmul
func.func @f64(%a: memref<8x8xf64>, %b: memref<8x8xf64>, %c: memref<8x8xf64>) {
  linalg.matmul ins(%a, %b : memref<8x8xf64>, memref<8x8xf64>)
                outs(%c : memref<8x8xf64>)
  return
}
// CHECK-LABEL: func.func @strided_out
// CHECK: linalg.matmul
func.func @strided_out(%a: memref<8x8xf32>, %b: memref<8x8xf32>,
                       %c: memref<8x8xf32, strided<[1, 8]>>) {
  linalg.matmul ins(%a, %b : memref<8x8xf32>, memref<8x8xf32>)
                outs(%c : memref<8x8xf32, strided<[1, 8]>>)
  return
}


// A zero fill right before a product: the kernel overwrites (flags 0) and
// the fill goes.
// CHECK-LABEL: func.func @filled
// CHECK-NOT: linalg.fill
// CHECK: %[[OVER:.*]] = arith.index_cast %c0{{.*}} : index to i64
// CHECK: call @nnc_sgemm({{.*}}, %[[OVER]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
func.func @filled(%a: memref<?x784xf32>, %b: memref<784x256xf32>,
                  %c: memref<?x256xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<?x256xf32>)
  linalg.matmul ins(%a, %b : memref<?x784xf32>, memref<784x256xf32>)
                outs(%c : memref<?x256xf32>)
  return
}

// A layer: zero fill, product, then a loop adding the bias and applying
// ReLU into a new buffer. The call writes that buffer (flags 2: overwrite,
// ReLU) with the bias's pointer and offset; the product's own buffer, the
// fill and the loop go.
// CHECK-LABEL: func.func @layer
// CHECK-NOT: linalg.fill
// CHECK-NOT: linalg.generic
// CHECK: %[[Y:.*]] = memref.alloc
// CHECK: %[[RELU:.*]] = arith.index_cast %c2{{.*}} : index to i64
// CHECK: %{{[a-z0-9_]+}}, %[[BOFF:[a-z0-9_]+]], %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} = memref.extract_strided_metadata %arg2
// CHECK: %[[BPTR:.*]] = memref.extract_aligned_pointer_as_index %arg2
// CHECK: %[[BP:.*]] = arith.index_cast %[[BPTR]] : index to i64
// CHECK: %[[BO:.*]] = arith.index_cast %[[BOFF]] : index to i64
// CHECK: call @nnc_sgemm({{.*}}, %[[RELU]], %[[BP]], %[[BO]], %{{.*}}, %{{.*}}) {nn.epilogue = "bias add and ReLU"}
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
func.func @layer(%a: memref<64x784xf32>, %w: memref<784x256xf32>,
                 %bias: memref<256xf32>) -> memref<64x256xf32> {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<64x256xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<64x256xf32>)
  linalg.matmul ins(%a, %w : memref<64x784xf32>, memref<784x256xf32>)
                outs(%c : memref<64x256xf32>)
  %y = memref.alloc() : memref<64x256xf32>
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>,
                                   affine_map<(i, j) -> (j)>,
                                   affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c, %bias : memref<64x256xf32>, memref<256xf32>)
      outs(%y : memref<64x256xf32>) {
  ^bb0(%v: f32, %b: f32, %o: f32):
    %s = arith.addf %v, %b : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }
  memref.dealloc %c : memref<64x256xf32>
  return %y : memref<64x256xf32>
}

// A residual connection, relu(x @ w + b + x): the residual is copied into
// the loop's output where the zero fill was (its buffer allocated before
// the call), and the call accumulates onto it (flags 3), then adds the bias
// and clamps.
// CHECK-LABEL: func.func @residual
// CHECK-NOT: linalg.fill
// CHECK: %[[Y:.*]] = memref.alloc() : memref<64x256xf32>
// CHECK: memref.copy %arg0, %[[Y]]
// CHECK: %[[FLAGS:.*]] = arith.index_cast %c3{{.*}} : index to i64
// CHECK: call @nnc_sgemm({{.*}}, %[[FLAGS]], %{{.*}}) {nn.epilogue = "residual add, bias add and ReLU"}
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
func.func @residual(%x: memref<64x256xf32>, %w: memref<256x256xf32>,
                    %bias: memref<256xf32>) -> memref<64x256xf32> {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<64x256xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<64x256xf32>)
  linalg.matmul ins(%x, %w : memref<64x256xf32>, memref<256x256xf32>)
                outs(%c : memref<64x256xf32>)
  %y = memref.alloc() : memref<64x256xf32>
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>,
                                   affine_map<(i, j) -> (i, j)>,
                                   affine_map<(i, j) -> (j)>,
                                   affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c, %x, %bias : memref<64x256xf32>, memref<64x256xf32>, memref<256xf32>)
      outs(%y : memref<64x256xf32>) {
  ^bb0(%v: f32, %r: f32, %b: f32, %o: f32):
    %s = arith.addf %v, %r : f32
    %t = arith.addf %s, %b : f32
    %u = arith.maximumf %t, %zero : f32
    linalg.yield %u : f32
  }
  memref.dealloc %c : memref<64x256xf32>
  return %y : memref<64x256xf32>
}

// A residual multiplied in is not an epilogue the kernel has.
// CHECK-LABEL: func.func @not_residual
// CHECK: call @nnc_sgemm
// CHECK: linalg.generic {{.*}}nn.not_fused = "it computes more than residual and bias adds and ReLU"
func.func @not_residual(%x: memref<64x256xf32>, %w: memref<256x256xf32>) -> memref<64x256xf32> {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<64x256xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<64x256xf32>)
  linalg.matmul ins(%x, %w : memref<64x256xf32>, memref<256x256xf32>)
                outs(%c : memref<64x256xf32>)
  %y = memref.alloc() : memref<64x256xf32>
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>,
                                   affine_map<(i, j) -> (i, j)>,
                                   affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c, %x : memref<64x256xf32>, memref<64x256xf32>)
      outs(%y : memref<64x256xf32>) {
  ^bb0(%v: f32, %r: f32, %o: f32):
    %s = arith.mulf %v, %r : f32
    linalg.yield %s : f32
  }
  memref.dealloc %c : memref<64x256xf32>
  return %y : memref<64x256xf32>
}

// The same with a convolution, the loop writing in place over its output.
// CHECK-LABEL: func.func @conv_layer
// CHECK-NOT: linalg
// CHECK: call @nnc_conv2d_f32({{.*}}) {nn.epilogue = "bias add and ReLU"}
func.func @conv_layer(%x: memref<?x30x30x8xf32>, %w: memref<3x3x8x16xf32>,
                      %bias: memref<16xf32>, %o: memref<?x28x28x16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%o : memref<?x28x28x16xf32>)
  linalg.conv_2d_nhwc_hwcf {strides = dense<1> : tensor<2xi64>,
                            dilations = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<?x30x30x8xf32>, memref<3x3x8x16xf32>)
      outs(%o : memref<?x28x28x16xf32>)
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (n, h, w, c)>,
                                   affine_map<(n, h, w, c) -> (c)>,
                                   affine_map<(n, h, w, c) -> (n, h, w, c)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%o, %bias : memref<?x28x28x16xf32>, memref<16xf32>)
      outs(%o : memref<?x28x28x16xf32>) {
  ^bb0(%v: f32, %b: f32, %out: f32):
    %s = arith.addf %b, %v : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// Not taken, with the reason kept for --remarks: a loop that computes more
// than bias and ReLU; ReLU before the bias (the kernel adds first); the raw
// product read again later.
// CHECK-LABEL: func.func @not_epilogues
// CHECK: call @nnc_sgemm
// CHECK: linalg.generic {{.*}}nn.not_fused = "it computes more than residual and bias adds and ReLU"
// CHECK: call @nnc_sgemm
// CHECK: linalg.generic {{.*}}nn.not_fused = "it computes more than residual and bias adds and ReLU"
// CHECK: call @nnc_sgemm
// CHECK: linalg.generic {{.*}}nn.not_fused = "the output is read again later
func.func @not_epilogues(%a: memref<64x784xf32>, %w: memref<784x256xf32>,
                         %bias: memref<256xf32>, %y: memref<64x256xf32>)
    -> memref<64x256xf32> {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<64x256xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<64x256xf32>)
  linalg.matmul ins(%a, %w : memref<64x784xf32>, memref<784x256xf32>)
                outs(%c : memref<64x256xf32>)
  %y1 = memref.alloc() : memref<64x256xf32>
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>,
                                   affine_map<(i, j) -> (j)>,
                                   affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c, %bias : memref<64x256xf32>, memref<256xf32>)
      outs(%y1 : memref<64x256xf32>) {
  ^bb0(%v: f32, %b: f32, %o: f32):
    %s = arith.mulf %v, %b : f32
    linalg.yield %s : f32
  }
  %c2 = memref.alloc() : memref<64x256xf32>
  linalg.fill ins(%zero : f32) outs(%c2 : memref<64x256xf32>)
  linalg.matmul ins(%a, %w : memref<64x784xf32>, memref<784x256xf32>)
                outs(%c2 : memref<64x256xf32>)
  %y2 = memref.alloc() : memref<64x256xf32>
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>,
                                   affine_map<(i, j) -> (j)>,
                                   affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c2, %bias : memref<64x256xf32>, memref<256xf32>)
      outs(%y2 : memref<64x256xf32>) {
  ^bb0(%v: f32, %b: f32, %o: f32):
    %r = arith.maximumf %v, %zero : f32
    %s = arith.addf %r, %b : f32
    linalg.yield %s : f32
  }
  %c3 = memref.alloc() : memref<64x256xf32>
  linalg.fill ins(%zero : f32) outs(%c3 : memref<64x256xf32>)
  linalg.matmul ins(%a, %w : memref<64x784xf32>, memref<784x256xf32>)
                outs(%c3 : memref<64x256xf32>)
  %y3 = memref.alloc() : memref<64x256xf32>
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>,
                                   affine_map<(i, j) -> (j)>,
                                   affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c3, %bias : memref<64x256xf32>, memref<256xf32>)
      outs(%y3 : memref<64x256xf32>) {
  ^bb0(%v: f32, %b: f32, %o: f32):
    %s = arith.addf %v, %b : f32
    linalg.yield %s : f32
  }
  linalg.add ins(%c3, %y3 : memref<64x256xf32>, memref<64x256xf32>)
             outs(%y : memref<64x256xf32>)
  return %y1 : memref<64x256xf32>
}

// A product over a reshaped operand (the input gradient of a dense layer
// over a flattened 5x5x64 image): the three n loops are laid out as one,
// so they are one GEMM dimension of 5*5*64 columns.
// CHECK-LABEL: func.func @grouped
// CHECK-NOT: linalg.generic
// CHECK: %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %[[CS:[a-z0-9_]+]]:4, %{{[a-z0-9_]+}}:4 = memref.extract_strided_metadata %arg2
// CHECK: %[[N1:.*]] = arith.muli %[[CS]]#1, %[[CS]]#2 : index
// CHECK: %[[N:.*]] = arith.muli %[[N1]], %[[CS]]#3 : index
// CHECK: %[[NN:.*]] = arith.index_cast %[[N]] : index to i64
// CHECK: call @nnc_sgemm(%{{.*}}, %[[NN]],
func.func @grouped(%g: memref<?x128xf32>, %w: memref<5x5x64x128xf32>,
                   %dx: memref<?x5x5x64xf32>) {
  linalg.generic {
      indexing_maps = [affine_map<(n, a, b, c, j) -> (n, j)>,
                       affine_map<(n, a, b, c, j) -> (a, b, c, j)>,
                       affine_map<(n, a, b, c, j) -> (n, a, b, c)>],
      iterator_types = ["parallel", "parallel", "parallel", "parallel",
                        "reduction"]}
      ins(%g, %w : memref<?x128xf32>, memref<5x5x64x128xf32>)
      outs(%dx : memref<?x5x5x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// The same loops over a layout that is not one dimension (a strided view)
// stay loops.
// CHECK-LABEL: func.func @not_grouped
// CHECK: linalg.generic
func.func @not_grouped(%g: memref<?x128xf32>,
                       %w: memref<5x5x64x128xf32, strided<[81920, 8192, 128, 1]>>,
                       %dx: memref<?x5x5x64xf32>) {
  linalg.generic {
      indexing_maps = [affine_map<(n, a, b, c, j) -> (n, j)>,
                       affine_map<(n, a, b, c, j) -> (a, b, c, j)>,
                       affine_map<(n, a, b, c, j) -> (n, a, b, c)>],
      iterator_types = ["parallel", "parallel", "parallel", "parallel",
                        "reduction"]}
      ins(%g, %w : memref<?x128xf32>, memref<5x5x64x128xf32, strided<[81920, 8192, 128, 1]>>)
      outs(%dx : memref<?x5x5x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// A convolution of a zero-padded input (tensor.pad, bufferized: a fill and
// a copy into the middle): the call reads the image in place with 2 rows
// and 1 column of implicit padding; the padded buffer, fill and copy go.
// CHECK-LABEL: func.func @padded
// CHECK-NOT: memref.copy
// CHECK-NOT: memref.alloc
// CHECK: %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %[[XS:[a-z0-9_]+]]:4, %{{[a-z0-9_]+}}:4 = memref.extract_strided_metadata %arg0
// CHECK: %[[TOP:.*]] = arith.index_cast %c2{{.*}} : index to i64
// CHECK: %[[LEFT:.*]] = arith.index_cast %c1{{.*}} : index to i64
// CHECK: %[[H:.*]] = arith.index_cast %[[XS]]#1 : index to i64
// CHECK: call @nnc_conv2d_f32(%{{.*}}, %{{.*}}, %{{.*}}, %[[H]], {{.*}}, %[[TOP]], %[[LEFT]],
// CHECK-NOT: memref.dealloc
func.func @padded(%x: memref<?x10x10x64xf32>, %w: memref<3x3x64x32xf32>,
                  %o: memref<?x12x10x32xf32>) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x10x10x64xf32>
  %p = memref.alloc(%n) : memref<?x14x12x64xf32>
  linalg.fill ins(%zero : f32) outs(%p : memref<?x14x12x64xf32>)
  %mid = memref.subview %p[0, 2, 1, 0] [%n, 10, 10, 64] [1, 1, 1, 1]
      : memref<?x14x12x64xf32> to memref<?x10x10x64xf32, strided<[10752, 768, 64, 1], offset: 1600>>
  memref.copy %x, %mid : memref<?x10x10x64xf32> to memref<?x10x10x64xf32, strided<[10752, 768, 64, 1], offset: 1600>>
  linalg.conv_2d_nhwc_hwcf {strides = dense<1> : tensor<2xi64>,
                            dilations = dense<1> : tensor<2xi64>}
      ins(%p, %w : memref<?x14x12x64xf32>, memref<3x3x64x32xf32>)
      outs(%o : memref<?x12x10x32xf32>)
  memref.dealloc %p : memref<?x14x12x64xf32>
  return
}
