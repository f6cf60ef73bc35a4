//===- Passes.td - nn -> nn transformations -----------------*- tablegen -*-===//
#ifndef NNC_TRANSFORMS_PASSES_TD
#define NNC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def NNExpandBatchNorm : Pass<"nn-expand-batch-norm", "::mlir::ModuleOp"> {
  let summary = "Take training batch norm's statistics from nn.channel_moments";
  let description = [{
    Each training-mode `nn.batch_norm` becomes `nn.channel_moments` of its
    input and the evaluation-mode op normalising with them. The backward
    (`nn.batch_norm_grad`) and the running-statistics update use the same
    op, so the CSE after this pass leaves one: a train step takes each
    batch norm's statistics once.
  }];
}

#endif // NNC_TRANSFORMS_PASSES_TD
