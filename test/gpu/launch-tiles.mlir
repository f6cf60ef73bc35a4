// RUN: nnc-opt %s --pass-pipeline='builtin.module(func.func(nnc-gpu-tile-products, nnc-gpu-launch-tiles, canonicalize, cse))' | FileCheck %s --strict-whitespace
// nnc-gpu-launch-tiles: a tiled product is one launch, a block per tile
// and 256 threads; its scratch buffers are workgroup (shared) memory; each
// thread phase is a loop from the thread's index striding by 256, and a
// barrier follows it at the block's level (never inside a branch or a
// thread's loop), so every thread reaches it.

// CHECK-LABEL: func.func @mm(
// CHECK-SAME: %[[C:[^:]*]]: memref<256x96xf32>)
// CHECK-NOT: memref.alloc
// CHECK: {{^    }}gpu.launch blocks(%[[BX:[^,]*]], %{{[^,]*}}, %{{[^)]*}}) in (%{{.*}} = %c8, %{{.*}} = %c1, %{{.*}} = %c1) threads(%[[TX:[^,]*]], %{{[^,]*}}, %{{[^)]*}}) in (%{{.*}} = %c256, %{{.*}} = %c1, %{{.*}} = %c1) workgroup(%[[AS:[^ ]*]] : memref<64x17xf32, #gpu.address_space<workgroup>>, %[[BS:[^ ]*]] : memref<16x65xf32, #gpu.address_space<workgroup>>, %[[SUMS:[^ ]*]] : memref<64x65xf32, #gpu.address_space<workgroup>>) {
// CHECK-NEXT: {{^      }}%{{.*}} = arith.remui %[[BX]], %c2
// CHECK: {{^      }}scf.for %{{.*}} = %[[TX]] to %c256 step %c256 {
// CHECK: memref.store %{{.*}}, %[[SUMS]][
// CHECK: {{^      }}}
// CHECK-NEXT: {{^      }}gpu.barrier
// CHECK-NEXT: {{^      }}scf.for %{{.*}} = %c0 to %c256 step %c16 {
// CHECK: {{^        }}scf.for %{{.*}} = %[[TX]] to %c1024 step %c256 {
// CHECK: memref.store %{{.*}}, %[[AS]][
// CHECK: {{^        }}}
// CHECK-NEXT: {{^        }}gpu.barrier
// CHECK-NEXT: {{^        }}scf.for %{{.*}} = %[[TX]] to %c1024 step %c256 {
// CHECK: memref.store %{{.*}}, %[[BS]][
// CHECK: {{^        }}}
// CHECK-NEXT: {{^        }}gpu.barrier
// CHECK-NEXT: {{^        }}scf.for %{{.*}} = %[[TX]] to %c256 step %c256 {
// CHECK: iter_args
// CHECK: {{^        }}}
// CHECK-NEXT: {{^        }}gpu.barrier
// CHECK-NEXT: {{^      }}}
// CHECK-NEXT: {{^      }}scf.for %{{.*}} = %[[TX]] to %c256 step %c256 {
// CHECK: memref.store %{{.*}}, %[[C]][
// CHECK: {{^      }}}
// CHECK-NEXT: {{^      }}gpu.barrier
// CHECK-NEXT: {{^      }}gpu.terminator
// CHECK-NOT: gpu.barrier
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @mm(%a: memref<256x256xf32>, %b: memref<256x96xf32>, %c: memref<256x96xf32>) {
  linalg.matmul ins(%a, %b : memref<256x256xf32>, memref<256x96xf32>) outs(%c : memref<256x96xf32>)
  return
}

// A convolution over a batch known at run time: the grid is the tile
// count computed on the host; the depth, 288, ends on a full slice.
// CHECK-LABEL: func.func @conv(
// CHECK: %[[TILES:.*]] = arith.ceildivui
// CHECK: {{^    }}gpu.launch blocks({{.*}}) in (%{{.*}} = %[[TILES]], %{{.*}} = %c1, %{{.*}} = %c1) threads({{.*}}) in (%{{.*}} = %c256,
// CHECK-COUNT-5: {{^      |^        }}gpu.barrier
// CHECK-NEXT: {{^      }}gpu.terminator
// CHECK-NOT: nnc.gpu_threads
// CHECK: return
func.func @conv(%x: memref<?x26x26x32xf32>, %w: memref<3x3x32x64xf32>, %y: memref<?x24x24x64xf32>) {
  linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<?x26x26x32xf32>, memref<3x3x32x64xf32>) outs(%y : memref<?x24x24x64xf32>)
  return
}
