// nnc-kernel-noalias: the LLVM arguments an outlined kernel lists in
// nn.noalias_args become `noalias`; the list itself is removed; positions
// that are not pointers are ignored.
// RUN: nnc-opt %s --nnc-kernel-noalias | FileCheck %s

// CHECK-LABEL: llvm.func internal @nn_kernel(%arg0: !llvm.ptr, %arg1: !llvm.ptr {llvm.noalias}, %arg2: i64, %arg3: !llvm.ptr, %arg4: !llvm.ptr {llvm.noalias}, %arg5: i64)
// CHECK-NOT: nn.noalias_args
llvm.func internal @nn_kernel(%a0: !llvm.ptr, %a1: !llvm.ptr, %a2: i64, %b0: !llvm.ptr, %b1: !llvm.ptr, %b2: i64) attributes {nn.noalias_args = array<i32: 1, 2, 4, 9>} {
  llvm.return
}

// CHECK-LABEL: llvm.func @other(%arg0: !llvm.ptr)
llvm.func @other(%a0: !llvm.ptr) {
  llvm.return
}
