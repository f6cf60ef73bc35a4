//===- Passes.td - Code generation passes of nnc ------------*- tablegen -*-===//
#ifndef NNC_CODEGEN_PASSES_TD
#define NNC_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def InvariantReciprocals : Pass<"nnc-invariant-reciprocals"> {
  let summary = "Divide by a loop-invariant divisor's reciprocal";
  let description = [{
    In a `linalg.generic`, `x / d` where `d` is the same for every element
    (an input indexed by no loop, or a value defined outside the op)
    becomes `x * (1 / d)`; LLVM hoists the reciprocal out of the loop.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def NNMathApproximation : Pass<"nnc-math-approximation", "::mlir::ModuleOp"> {
  let summary = "Replace transcendental functions by polynomial approximations";
  let description = [{
    exp, log, log1p, expm1, tanh, erf, sin, cos, ... become arithmetic
    (polynomials and bit manipulation) that vectorises, instead of scalar
    libm calls in hot loops; accuracy is within a few ulp in f32.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def NNContiguousLoops : Pass<"nnc-contiguous-loops"> {
  let summary = "Order each linalg op's loops so the innermost walks memory contiguously";
  let description = [{
    Generalizes named linalg ops and interchanges loops so that the loop
    indexing the output's last (contiguous) dimension is innermost: a matrix
    product becomes (m, k, n), a NHWC convolution (n, oh, ow, kh, kw, c, f).
    The innermost loop then reads and writes consecutive elements, which
    LLVM vectorises. A first step before tiling and packing (issue 7).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def NNOuterParallelLoops : Pass<"nnc-outer-parallel-loops"> {
  let summary = "Keep only the outermost scf.parallel of each loop nest";
  let description = [{
    convert-linalg-to-parallel-loops makes every parallel dimension of an
    op an `scf.parallel`, including one nested inside the reduction loop of
    a matrix product. Only the outermost becomes an OpenMP region (one fork
    per op, `--threads N`); nested ones become `scf.for` nests here, so
    they stay plain, vectorisable inner loops. Of the outer ones only the
    first dimension stays parallel: an OpenMP loop over several would be
    collapsed, recovering each index with a division per element. A nest
    of fewer than 16384 iterations (known at compile time, else checked at
    run time by an `scf.if` with a sequential copy) runs on the calling
    thread: forking a region costs more than a row of logits. Slices of a
    kernel call always run in parallel.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect"];
}

def NNUpdateInPlace : Pass<"nnc-update-in-place", "::mlir::ModuleOp"> {
  let summary = "Write a train step's updates into the tensors they replace";
  let description = [{
    Each result tagged `nn.kind = "update"` whose `nn.name` is an
    argument's is written into that argument with
    `bufferization.materialize_in_destination`, and the element-wise loop
    that computes it takes the argument as its destination, so that
    one-shot bufferization stores the new parameters and optimizer state
    in place.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::linalg::LinalgDialect"];
}

def NNPrivateInits : Pass<"nnc-private-inits", "::mlir::func::FuncOp"> {
  let summary = "Give every destination its own fill";
  let description = [{
    CSE merges identical `linalg.fill`s of `tensor.empty`s, so one zero
    tensor can be the destination of several ops (a convolution and its
    transpose in the backward pass). One-shot bufferization then fills one
    buffer and copies it for every op but one. On tensors, before
    bufferization, each destination use gets its own fill (and empty
    tensor) again: every op writes its own buffer, filled right before it,
    with no copies, and the kernels can overwrite instead of zero-filling
    (nnc-kernel-calls).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def NNCopyLoops : Pass<"nnc-copy-loops"> {
  let summary = "Turn memref.copy between strided views into linalg.copy";
  let description = [{
    Copies between dense buffers stay memref.copy (memcpy); copies that
    involve a strided view would become calls of the element-by-element
    `memrefCopy` and become vectorisable `linalg.copy` loops instead.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def NNOutlineKernels : Pass<"nnc-outline-kernels", "::mlir::ModuleOp"> {
  let summary = "Move every linalg op on buffers into a function of its own";
  let description = [{
    Each linalg op on buffers becomes a call of a private, never-inlined
    function holding only that op (constants it uses are cloned into it);
    ops identical up to their operands call the same function. LLVM then
    compiles one small function per distinct kernel instead of one huge
    step function, in time linear in the code and in parallel.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

def NNEntryPoints : Pass<"nnc-entry-points", "::mlir::ModuleOp"> {
  let summary = "C interfaces for every function, entry points inlined into theirs";
  let description = [{
    Every func.func gets `llvm.emit_c_interface`; each public function
    with a body also gets LLVM's internal linkage and `alwaysinline`, so
    that after conversion it is inlined into its `_mlir_ciface_` wrapper,
    the one symbol callers use.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def NNLLVMInterfaces : Pass<"nnc-llvm-interfaces", "::mlir::ModuleOp"> {
  let summary = "Tidy LLVM functions for translation";
  let description = [{
    After conversion to the LLVM dialect: `_mlir_ciface_` wrappers lose
    the `passthrough` they copied from their entry point; `nn.*` function
    attributes and every non-`llvm.*` argument and result attribute (the
    calling contract MLIRGen wrote) are removed.
  }];
}

def NNKernelNoAlias : Pass<"nnc-kernel-noalias", "::mlir::ModuleOp"> {
  let summary = "Declare outlined kernels' disjoint buffer pointers noalias";
  let description = [{
    After conversion to the LLVM dialect: the arguments listed in an
    outlined kernel's `nn.noalias_args` (the aligned pointers of buffers
    no other argument of the kernel reaches) get `llvm.noalias`.
  }];
}

def NNKernelCalls : Pass<"nnc-kernel-calls", "::mlir::ModuleOp"> {
  let summary = "Run f32 matrix products and convolutions on the runtime's kernels";
  let description = [{
    On buffers: every f32 contraction whose m, n and k loops each index
    one dimension, or dimensions laid out as one (products, batched,
    transposed and reshaped ones included), becomes calls of the runtime's
    packed, register-blocked GEMM `nnc_sgemm`, and every f32
    `linalg.conv_2d_nhwc_hwcf` a call of `nnc_conv2d_f32` (a direct
    convolution micro-kernel). Operands are passed as pointer, offset and
    strides. Each call also takes over what surrounds its op
    (KernelEpilogue.cpp): a zero fill of its output just before it (the
    kernel overwrites), an element-wise loop just after it that only adds a
    bias and/or applies ReLU (the kernel's epilogue; a loop it cannot take
    is tagged `nn.not_fused` with the reason), and the zero padding of a
    convolution's input (read in place with implicit padding). With
    `threads` > 1 each call runs from an `scf.parallel` over that many
    slices of the output. Other ops are left for loop lowering.

    With `int8`, in a model's forward function (`<name>_forward`),
    each product whose second operand and each convolution whose filter is
    a view of a `param` argument gets NNC_KERNEL_INT8 and a `nn.int8` mark
    (and the function one, for remarks).
  }];
  let options = [Option<"threads", "threads", "unsigned", "1",
                        "Slices of each call run in parallel">,
                 Option<"int8", "int8", "bool", "false",
                        "Inference functions' products and convolutions "
                        "by a parameter run in int8 (NNC_KERNEL_INT8)">];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect"];
}

def NNReturnArguments : Pass<"nnc-return-arguments", "::mlir::func::FuncOp"> {
  let summary = "Return an argument updated in place instead of a copy of it";
  let description = [{
    After ownership-based buffer deallocation, a function that returns one
    of its arguments (a parameter a train step updated in place) returns a
    fresh copy of it. The runtime never frees a result that is an argument,
    so a trailing copy of an argument used only by the return is removed
    and the argument returned.
  }];
}

def NNEarlyExchange : Pass<"nnc-early-exchange", "::mlir::func::FuncOp"> {
  let summary = "Hand each gradient to the exchange right after it is computed";
  let description = [{
    Moves every `nn.allreduce_start` to just after the op producing its
    gradient (same block), so that the exchange of data-parallel training
    overlaps the rest of the backward pass; `nn.allreduce_wait` stays
    before the update.
  }];
}

def NNCollectiveCalls : Pass<"nnc-collective-calls", "::mlir::ModuleOp"> {
  let summary =
      "The gradient exchange of data-parallel training as runtime calls";
  let description = [{
    On buffers: each `nn.allreduce_start` becomes a call of
    `nnc_allreduce_start(index, address, elements)`, each
    `nn.allreduce_wait` a call of `nnc_allreduce_wait()` followed by one
    `nnc_allreduce_result(index, address, elements)` per gradient, which
    writes the sum across ranks back into the gradient's buffer. A strided
    gradient goes through a contiguous copy.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def NNPlanBuffers : Pass<"nnc-plan-buffers", "::mlir::ModuleOp"> {
  let summary = "Place a function's intermediate buffers in one planned workspace";
  let description = [{
    Every buffer allocated at a function's top level that does not escape
    gets a fixed offset in one workspace, planned at compile time from the
    buffers' lifetimes (buffers whose lifetimes do not meet share memory);
    sizes and offsets are polynomials in the arguments' symbolic
    dimensions, so the plan holds for every batch size. The function asks
    the runtime for its workspace once per call (`nnc_workspace`, kept per
    thread), and its allocations become `memref.view`s of it.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def NNFuseElementwise : Pass<"nnc-fuse-elementwise"> {
  let summary = "Fuse element-wise loops over the same space even when their results are shared";
  let description = [{
    An element-wise `linalg.generic` is fused into an element-wise consumer
    over the same iteration space (identity indexing maps) even when other
    ops use its result too: the fused loop computes it once and also
    yields it for those users. A parameter's optimizer update (gradient
    term, moment updates, step) becomes one loop with one result per
    updated tensor.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def NNGpuParallelFirst : Pass<"nnc-gpu-parallel-first"> {
  let summary = "Put each linalg op's parallel loops before its reductions";
  let description = [{
    For `--target=cuda`: the parallel loops of an op become one kernel's
    threads only when they are outermost; an op whose reductions come first
    (a bias gradient: reduce batch, height, width, keep channels) is
    generalized and interchanged here, parallel loops first.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def NNGpuOneModule : Pass<"nnc-gpu-one-module", "::mlir::ModuleOp"> {
  let summary = "Move every outlined kernel into one gpu.module";
  let description = [{
    For `--target=cuda`: gpu-kernel-outlining makes a gpu.module per
    kernel; here they become one (`nnc_kernels`, kernels renamed after
    their modules, launches redirected), compiled to one PTX text, checked
    by one ptxas run and loaded by the driver once.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def NNGpuSinkOperands : Pass<"nnc-gpu-sink-operands"> {
  let summary = "Move constants and constant tensors into GPU launches";
  let description = [{
    For `--target=cuda`, before gpu-kernel-outlining: `arith.constant` ops
    and `memref.get_global` of constant globals that a `gpu.launch` uses
    are cloned into it, so that kernels fold their constants and read
    constant tensors from the GPU's own copy (the outlining copies the
    global into the kernels' module) instead of the host's memory.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def NNGpuRegisterSums : Pass<"nnc-gpu-register-sums"> {
  let summary = "Carry a reduction's output element in a register";
  let description = [{
    For `--target=cuda`, on the loops a thread runs: an `scf.for` (inside
    an `scf.parallel`) that loads and stores one element of a buffer at
    loop-invariant indices, and reaches no other memory of that buffer,
    carries the element as an iteration argument: loaded before the loop,
    stored after it, instead of a global-memory round trip per iteration.
    Buffers are told apart by their roots in the buffer plan. Innermost
    loops first, so nested reductions keep one register.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect"];
}

def NNGpuMapLoops : Pass<"nnc-gpu-map-loops"> {
  let summary = "Map each loop nest's parallel loops to GPU blocks and threads";
  let description = [{
    For `--target=cuda`: every outermost `scf.parallel` (one per linalg op,
    from convert-linalg-to-parallel-loops) is collapsed into one dimension,
    whose index walks the op's output in memory order, and tiled by the
    block size: the tile's loop becomes the grid (`block_x`) and the loop
    inside it the block's threads (`thread_x`, guarded against the last
    partial tile), so that consecutive threads touch consecutive elements.
    `scf.parallel` ops nested inside (below a reduction loop) run
    sequentially in their thread. convert-parallel-loops-to-gpu then makes
    each nest one `gpu.launch`.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block">
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::arith::ArithDialect"];
}

def NNGpuSerialKernels : Pass<"nnc-gpu-serial-kernels"> {
  let summary = "Run the host's remaining loops and scalar code on the GPU";
  let description = [{
    For `--target=cuda`, after nnc-gpu-map-loops: each stretch of host code
    that reads or writes memory (a whole-tensor reduction, an optimizer's
    scalar arithmetic) becomes a one-iteration `scf.parallel` mapped to one
    block, a kernel of one thread: the same operations in order, and no host
    access to the kernels' buffers in the middle of a step. Pure ops whose
    results are used after a stretch move in front of it; a stretch ends at
    calls, allocations, other effects, and memory the GPU may not reach.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::gpu::GPUDialect",
                           "::mlir::arith::ArithDialect"];
}

def NNGpuSplitReductions : Pass<"nnc-gpu-split-reductions"> {
  let summary = "Split large whole-tensor sums into partial sums and a total";
  let description = [{
    For `--target=cuda`, before nnc-gpu-map-loops: a loop nest that sums
    every element of its inputs into one output element (every loop a
    reduction) and sums at least `min-elements` elements (its constant trip
    counts' product) becomes a parallel loop of 1024 partial sums (thread
    p: elements p, p + 1024, ...) into a buffer of the runtime's pool, and
    a sequential sum of the partial sums onto the output element. Smaller
    ones stay as they are (one thread, the CPU's order).
  }];
  let options = [Option<
      "minElements", "min-elements", "int64_t", /*default=*/"4096",
      "Split sums of at least this many elements (known at compile time)">];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def NNGpuTileProducts : Pass<"nnc-gpu-tile-products"> {
  let summary = "Matrix products and convolutions as shared-memory tiled GEMMs";
  let description = [{
    For `--target=cuda`, before convert-linalg-to-parallel-loops: each
    linalg op whose body is `out + a * b` of its two inputs and whose
    output dimensions are parallel is seen as a GEMM: columns the output's
    last dimension (one input must not depend on it), rows its other
    dimensions only that input depends on, depth the reduction dimensions
    in loop order, batch the output dimensions both inputs depend on.
    Where rows and columns are at least `min-side` (or unknown), the depth
    at least 16 and (all sizes known) there are at least 8 tiles, the op
    becomes an `scf.parallel` over 64x64 output tiles (marked
    `nnc.gpu_tiles`, with its thread count) holding scratch buffers
    (memref.alloc) for the operands' 64x16 and 16x64 tiles and the tile's
    sums, and thread phases (`scf.parallel` marked `nnc.gpu_threads`):
    sums from the output, then per 16-deep slice the operand tiles' loads
    and each of 256 threads' 4x4 multiply-adds, then the sums back to the
    output. Run in order the loops compute what the op's loops do, adding
    in the same order; nnc-gpu-launch-tiles makes each a launch.
  }];
  let options = [Option<
      "minSide", "min-side", "int64_t", /*default=*/"32",
      "Tile products whose row and column extents are at least this">];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::arith::ArithDialect"];
}

def NNGpuLaunchTiles : Pass<"nnc-gpu-launch-tiles"> {
  let summary = "Make nnc-gpu-tile-products' tiled loops GPU launches";
  let description = [{
    For `--target=cuda`, after convert-parallel-loops-to-gpu: each
    `scf.parallel` marked `nnc.gpu_tiles` becomes a `gpu.launch` of one
    block per tile with the marked number of threads; its scratch buffers
    become workgroup attributions (their deallocations go), and each
    thread phase a loop striding by the block size
    followed by `gpu.barrier`.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::gpu::GPUDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // NNC_CODEGEN_PASSES_TD
