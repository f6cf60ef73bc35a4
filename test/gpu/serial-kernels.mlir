// RUN: nnc-opt %s --pass-pipeline='builtin.module(func.func(nnc-gpu-serial-kernels))' | FileCheck %s
// nnc-gpu-serial-kernels: the host code left between --target=cuda's
// kernels becomes kernels of one thread (a one-iteration scf.parallel
// mapped to a block), in order.

func.func private @nnc_workspace(index, index) -> memref<?xi8>
func.func private @host(memref<f32>)

// A whole-tensor sum and the scalar arithmetic after it: one kernel. The
// address arithmetic of a buffer the function returns moves in front of
// it (the host needs it); the loop and the arithmetic run in the kernel.
// CHECK-LABEL: func.func @reduction(
// CHECK: %[[WS:.*]] = call @nnc_workspace
// CHECK: %[[SUM:.*]] = memref.view %[[WS]][%c0][]
// CHECK: %[[OFF:.*]] = arith.addi
// CHECK: %[[OUT:.*]] = memref.view %[[WS]][%[[OFF]]][]
// CHECK: scf.parallel ({{.*}}) = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) {
// CHECK-NEXT: memref.store %cst, %[[SUM]][]
// CHECK-NEXT: scf.for
// CHECK: arith.mulf
// CHECK-NEXT: memref.store {{.*}}, %[[OUT]][]
// CHECK-NEXT: scf.reduce
// CHECK-NEXT: } {mapping = [#gpu.loop_dim_map<processor = block_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
// CHECK-NEXT: return %[[OUT]]
func.func @reduction(%a: memref<?xf32>, %n: index) -> memref<f32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %z = arith.constant 0.0 : f32
  %ws = func.call @nnc_workspace(%c0, %c64) : (index, index) -> memref<?xi8>
  %s = memref.view %ws[%c0][] : memref<?xi8> to memref<f32>
  memref.store %z, %s[] : memref<f32>
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %a[%i] : memref<?xf32>
    %y = memref.load %s[] : memref<f32>
    %w = arith.addf %x, %y : f32
    memref.store %w, %s[] : memref<f32>
  }
  %off = arith.muli %c1, %c64 : index
  %off2 = arith.addi %off, %c0 : index
  %r = memref.view %ws[%off2][] : memref<?xi8> to memref<f32>
  %v = memref.load %s[] : memref<f32>
  %m = arith.mulf %v, %v : f32
  memref.store %m, %r[] : memref<f32>
  return %r : memref<f32>
}

// A call ends a stretch: the code before it and after it are two kernels,
// the call stays on the host between them.
// CHECK-LABEL: func.func @call(
// CHECK: scf.parallel
// CHECK: memref.store %cst, %arg0[]
// CHECK: scf.reduce
// CHECK: call @host(%arg0)
// CHECK: scf.parallel
// CHECK: memref.store %cst_0, %arg0[]
// CHECK: scf.reduce
func.func @call(%s: memref<f32>) {
  %one = arith.constant 1.0 : f32
  %two = arith.constant 2.0 : f32
  memref.store %one, %s[] : memref<f32>
  func.call @host(%s) : (memref<f32>) -> ()
  memref.store %two, %s[] : memref<f32>
  return
}

// Memory the GPU cannot reach (the host's stack) stays on the host, and so
// does a load whose value the host uses after the stretch.
// CHECK-LABEL: func.func @host_only(
// CHECK-NOT: scf.parallel
// CHECK: memref.store %cst, %alloca[]
// CHECK: %[[V:.*]] = memref.load %arg0[]
// CHECK-NOT: scf.parallel
// CHECK: return %[[V]]
func.func @host_only(%s: memref<f32>) -> f32 {
  %one = arith.constant 1.0 : f32
  %h = memref.alloca() : memref<f32>
  memref.store %one, %h[] : memref<f32>
  %v = memref.load %s[] : memref<f32>
  return %v : f32
}

// The runtime pool's buffers (memref.alloc: managed memory once a device
// is open) are the GPU's too, also when a loop carries them.
// CHECK-LABEL: func.func @pool(
// CHECK: %[[BUF:.*]] = scf.for
// CHECK: scf.parallel
// CHECK-NEXT: memref.store %cst, %[[BUF]][]
// CHECK: scf.reduce
func.func @pool(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  %a = memref.alloc() : memref<f32>
  %b = scf.for %i = %c0 to %n step %c1 iter_args(%x = %a) -> (memref<f32>) {
    scf.yield %x : memref<f32>
  }
  memref.store %one, %b[] : memref<f32>
  return
}

// Loops that are kernels already (mapped scf.parallel) are left alone, and
// code between two of them becomes its own kernel.
// CHECK-LABEL: func.func @between(
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%arg1) step (%c1) {
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = thread_x
// CHECK: scf.parallel ({{.*}}) = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) {
// CHECK-NEXT: memref.store %cst, %arg2[]
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = block_x
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%arg1) step (%c1) {
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = thread_x
func.func @between(%a: memref<?xf32>, %n: index, %s: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %z = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %z, %a[%i] : memref<?xf32>
  } {mapping = [#gpu.loop_dim_map<processor = thread_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
  memref.store %z, %s[] : memref<f32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %z, %a[%i] : memref<?xf32>
  } {mapping = [#gpu.loop_dim_map<processor = thread_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
  return
}

// A load whose value the host needs after the stretch cuts it: the code
// before is one kernel, the load stays on the host, the code after is a
// second kernel.
// CHECK-LABEL: func.func @cut(
// CHECK: scf.parallel
// CHECK-NEXT: memref.store %cst, %arg0[]
// CHECK: scf.reduce
// CHECK: %[[V:.*]] = memref.load %arg1[]
// CHECK: scf.parallel
// CHECK-NEXT: memref.store %cst_0, %arg0[]
// CHECK: scf.reduce
// CHECK: return %[[V]]
func.func @cut(%a: memref<f32>, %b: memref<f32>) -> f32 {
  %one = arith.constant 1.0 : f32
  %two = arith.constant 2.0 : f32
  memref.store %one, %a[] : memref<f32>
  %v = memref.load %b[] : memref<f32>
  memref.store %two, %a[] : memref<f32>
  return %v : f32
}

// A constant tensor is the GPU's (nnc-gpu-sink-operands gives kernels
// their copy and rebuilds views of it there), also through views.
memref.global "private" constant @table : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
// CHECK-LABEL: func.func @constants(
// CHECK: %[[MOVING:.*]] = memref.subview %{{.*}}[%arg1] [2] [1]
// CHECK: scf.parallel
// CHECK-NEXT: %[[Y:.*]] = memref.load %[[MOVING]]
// CHECK-NEXT: memref.store %[[Y]], %arg0[]
// CHECK: return
func.func @constants(%out: memref<f32>, %i: index) {
  %c0 = arith.constant 0 : index
  %g = memref.get_global @table : memref<4xf32>
  %moving = memref.subview %g[%i] [2] [1] : memref<4xf32> to memref<2xf32, strided<[1], offset: ?>>
  %y = memref.load %moving[%c0] : memref<2xf32, strided<[1], offset: ?>>
  memref.store %y, %out[] : memref<f32>
  return
}
