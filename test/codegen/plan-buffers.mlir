// RUN: nnc-opt %s --nnc-plan-buffers | FileCheck %s

// Intermediates share one workspace, asked for once per call. %a and %b
// are live together (both read by later copies), so they get disjoint
// places; %c starts after both are dead and reuses offset 0. Sizes are
// polynomials in the batch (%x's dimension 0): 16 floats = 64 bytes per
// row for %a, %out and %c, 8 floats = 32 bytes (rounded up to 64) for %b.
// The result %out of this entry point lives in the workspace too (the
// runtime copies results out after the call), up to the return: 128
// bytes per row above %a and %b, so the workspace is 192 bytes per row.
// CHECK: memref.global "private" @__nnc_workspace_step : memref<1xi8> = uninitialized
// CHECK: func.func private @nnc_workspace(index, index) -> memref<?xi8> attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @step(
// CHECK: %[[B:.*]] = memref.dim %arg0, %c0
// CHECK: %[[KEY:.*]] = memref.get_global @__nnc_workspace_step
// CHECK: %[[PTR:.*]] = memref.extract_aligned_pointer_as_index %[[KEY]]
// CHECK: %[[C192:.*]] = arith.constant 192 : index
// CHECK: %[[TOTAL:.*]] = arith.muli %[[C192]], %[[B]]
// CHECK: %[[WS:.*]] = call @nnc_workspace(%[[PTR]], %[[TOTAL]])
// CHECK: memref.view %[[WS]][%c0{{(_[0-9]+)?}}][%{{.*}}] : memref<?xi8> to memref<?x16xf32>
// CHECK: %[[C64:.*]] = arith.constant 64 : index
// CHECK: %[[BOFF:.*]] = arith.muli %[[C64]], %[[B]]
// CHECK: memref.view %[[WS]][%[[BOFF]]][%{{.*}}] : memref<?xi8> to memref<?x8xf32>
// CHECK: %[[C128:.*]] = arith.constant 128 : index
// CHECK: %[[OOFF:.*]] = arith.muli %[[C128]], %[[B]]
// CHECK: %[[OUT:.*]] = memref.view %[[WS]][%[[OOFF]]][%{{.*}}] : memref<?xi8> to memref<?x16xf32>
// CHECK: memref.view %[[WS]][%c0{{(_[0-9]+)?}}][%{{.*}}] : memref<?xi8> to memref<?x16xf32>
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.dealloc
// CHECK: return %[[OUT]]
func.func @step(%x: memref<?x16xf32>) -> memref<?x16xf32> {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x16xf32>
  %a = memref.alloc(%n) : memref<?x16xf32>
  memref.copy %x, %a : memref<?x16xf32> to memref<?x16xf32>
  %b = memref.alloc(%n) : memref<?x8xf32>
  %sb = memref.subview %a[0, 0] [%n, 8] [1, 1] : memref<?x16xf32> to memref<?x8xf32, strided<[16, 1]>>
  memref.copy %sb, %b : memref<?x8xf32, strided<[16, 1]>> to memref<?x8xf32>
  %out = memref.alloc(%n) : memref<?x16xf32>
  %so = memref.subview %out[0, 0] [%n, 8] [1, 1] : memref<?x16xf32> to memref<?x8xf32, strided<[16, 1]>>
  memref.copy %b, %so : memref<?x8xf32> to memref<?x8xf32, strided<[16, 1]>>
  memref.copy %a, %x : memref<?x16xf32> to memref<?x16xf32>
  %c = memref.alloc(%n) : memref<?x16xf32>
  memref.copy %out, %c : memref<?x16xf32> to memref<?x16xf32>
  memref.copy %c, %x : memref<?x16xf32> to memref<?x16xf32>
  memref.dealloc %a : memref<?x16xf32>
  memref.dealloc %b : memref<?x8xf32>
  memref.dealloc %c : memref<?x16xf32>
  return %out : memref<?x16xf32>
}

// A buffer that a region may free, or that a loop carries, is not planned;
// a function with nothing to plan asks for no workspace.
// CHECK-LABEL: func.func @unplanned(
// CHECK-NOT: nnc_workspace
// CHECK: memref.alloc() : memref<4xf32>
// CHECK: memref.alloc() : memref<4xf32>
// CHECK: scf.for
func.func @unplanned(%x: memref<4xf32>, %cond: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %a = memref.alloc() : memref<4xf32>
  memref.copy %x, %a : memref<4xf32> to memref<4xf32>
  scf.if %cond {
    memref.dealloc %a : memref<4xf32>
  }
  %b = memref.alloc() : memref<4xf32>
  %r = scf.for %i = %c0 to %c4 step %c1 iter_args(%it = %b) -> memref<4xf32> {
    scf.yield %it : memref<4xf32>
  }
  memref.copy %r, %x : memref<4xf32> to memref<4xf32>
  return
}

// A private function's result keeps its own allocation: its caller may
// hold it across another call.
// CHECK-LABEL: func.func private @helper(
// CHECK: %[[R:.*]] = memref.alloc() : memref<4xf32>
// CHECK: return %[[R]]
func.func private @helper(%x: memref<4xf32>) -> memref<4xf32> {
  %r = memref.alloc() : memref<4xf32>
  memref.copy %x, %r : memref<4xf32> to memref<4xf32>
  return %r : memref<4xf32>
}
