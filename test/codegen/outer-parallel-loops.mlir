// RUN: nnc-opt %s --pass-pipeline='builtin.module(func.func(nnc-outer-parallel-loops))' | FileCheck %s

// A large nest: only its first dimension stays parallel, the other becomes
// an inner loop.
// CHECK-LABEL: func.func @large
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c1024) step (%c1)
// CHECK:   scf.for %{{.*}} = %c0 to %c256 step %c1
func.func @large(%m: memref<1024x256xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %c1024 = arith.constant 1024 : index
  %z = arith.constant 0.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c1024, %c256) step (%c1, %c1) {
    memref.store %z, %m[%i, %j] : memref<1024x256xf32>
  }
  return
}

// A small nest of known size runs on the calling thread.
// CHECK-LABEL: func.func @small
// CHECK-NOT: scf.parallel
// CHECK: scf.for
// CHECK:   scf.for
func.func @small(%m: memref<64x10xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c10 = arith.constant 10 : index
  %c64 = arith.constant 64 : index
  %z = arith.constant 0.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c64, %c10) step (%c1, %c1) {
    memref.store %z, %m[%i, %j] : memref<64x10xf32>
  }
  return
}

// A run-time size: parallel when the count reaches 16384, else a
// sequential copy.
// CHECK-LABEL: func.func @dynamic
// CHECK: %[[BIG:.*]] = arith.cmpi uge, %{{.*}}, %c16384
// CHECK: scf.if %[[BIG]] {
// CHECK:   scf.parallel
// CHECK: } else {
// CHECK-NOT: scf.parallel
// CHECK:   scf.for
// CHECK: }
func.func @dynamic(%m: memref<?x10xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c10 = arith.constant 10 : index
  %n = memref.dim %m, %c0 : memref<?x10xf32>
  %z = arith.constant 0.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c10) step (%c1, %c1) {
    memref.store %z, %m[%i, %j] : memref<?x10xf32>
  }
  return
}

// The slices of a kernel call stay parallel, however few.
// CHECK-LABEL: func.func @kernel_slices
// CHECK: scf.parallel
// CHECK:   call @kernel
func.func private @kernel(index)
func.func @kernel_slices() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  scf.parallel (%p) = (%c0) to (%c2) step (%c1) {
    func.call @kernel(%p) : (index) -> ()
  }
  return
}
