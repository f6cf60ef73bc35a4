// RUN: nnc-opt %s --pass-pipeline='builtin.module(func.func(nnc-gpu-tile-products, nnc-gpu-launch-tiles, canonicalize, cse))' | FileCheck %s --strict-whitespace
// nnc-gpu-launch-tiles: a tiled product is one launch, a block per tile
// and 256 threads; its scratch buffers are workgroup (shared) memory; each
// thread phase is a loop from the thread's index striding by 256, and a
// barrier follows it at the block's level (never inside a branch or a
// thread's loop), so every thread reaches it.

// CHECK-LABEL: func.func @mm(
// CHECK-SAME: %[[C:[^:]*]]: memref<128x96xf32>)
// CHECK-NOT: memref.alloc
// CHECK: {{^    }}gpu.launch blocks(%[[BX:[^,]*]], %{{[^,]*}}, %{{[^)]*}}) in (%{{.*}} = %c4, %{{.*}} = %c1, %{{.*}} = %c1) threads(%[[TX:[^,]*]], %{{[^,]*}}, %{{[^)]*}}) in (%{{.*}} = %c256, %{{.*}} = %c1, %{{.*}} = %c1) workgroup(%[[AS:[^ ]*]] : memref<64x16xf32, #gpu.address_space<workgroup>>, %[[BS:[^ ]*]] : memref<16x64xf32, #gpu.address_space<workgroup>>, %[[SUMS:[^ ]*]] : memref<64x64xf32, #gpu.address_space<workgroup>>) {
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
func.func @mm(%a: memref<128x256xf32>, %b: memref<256x96xf32>, %c: memref<128x96xf32>) {
  linalg.matmul ins(%a, %b : memref<128x256xf32>, memref<256x96xf32>) outs(%c : memref<128x96xf32>)
  return
}
