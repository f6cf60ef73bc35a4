//===- NNAttrNames.h - The discardable attributes of the nn dialect -*- C++ -*-===//
//
// Every `nn.*` attribute nnc puts on functions, arguments, results and
// ops, in one place: MLIRGen, the passes and the driver use these names,
// and the dialect verifies each one's type (NNDialect.cpp), so a misspelt
// or mistyped attribute is an error instead of a silent default. Plain
// C++: no MLIR header.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_DIALECT_NNATTRNAMES_H
#define NNC_DIALECT_NNATTRNAMES_H

namespace nnc::attr {

// Arguments and results of generated functions (strings), read by the
// driver to build the runtime's nnc_model tables.
/// Input name, parameter path (`dense_1.w`) or result name.
constexpr const char kName[] = "nn.name";
/// What the argument or result is: input, data, param, state, opt_state,
/// step, stream, hparam, output, update, gradient, image or text (the runtime's
/// nnc_arg_kind).
constexpr const char kKind[] = "nn.kind";
/// A parameter's initializer (`normal`); its arguments are float
/// attributes `nn.<argument>` beside it.
constexpr const char kInit[] = "nn.init";
/// A data argument's source (`fashion_mnist:test:image`); an image
/// result's save_image options.
constexpr const char kSource[] = "nn.source";

// Functions.
/// On a function to differentiate: the positions of the arguments to
/// differentiate with respect to (dense i64 array), for nn-reverse-mode.
constexpr const char kWrt[] = "nn.wrt";
/// On an outlined kernel (unit).
constexpr const char kKernel[] = "nn.kernel";
/// On an outlined kernel: the positions of the LLVM arguments that
/// nnc-kernel-noalias declares `noalias` (dense i32 array).
constexpr const char kNoAliasArgs[] = "nn.noalias_args";
/// The buffer plan's workspace of a function (dictionary), for --remarks.
constexpr const char kWorkspace[] = "nn.workspace";

// Ops, for the passes that follow and for --remarks.
/// The linalg.generic lowering makes of nn.conv2d_filter_grad (strides
/// and dilations, dense i64 array of 4), for nnc-kernel-calls.
constexpr const char kFilterGrad[] = "nn.conv2d_filter_grad";
/// A fusion lowering itself made (a string).
constexpr const char kFusionNote[] = "nn.fusion_note";
/// On a fused kernel call: what its epilogue does (a string).
constexpr const char kEpilogue[] = "nn.epilogue";
/// On an element-wise loop left after a kernel: why it was not fused (a
/// string).
constexpr const char kNotFused[] = "nn.not_fused";
/// On a function (a train step of `precision bf16`): its kernel calls
/// take bf16 operands (a unit attribute).
constexpr const char kBf16[] = "nn.bf16";
/// On a function compiled with --quantize=int8 and on each of its kernel
/// calls that runs in int8 (NNC_KERNEL_INT8; a unit attribute).
constexpr const char kInt8[] = "nn.int8";

} // namespace nnc::attr

#endif // NNC_DIALECT_NNATTRNAMES_H
