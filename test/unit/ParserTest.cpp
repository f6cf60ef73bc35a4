//===- ParserTest.cpp - Unit tests of the parser --------------------------===//
#include "parser/Parser.h"
#include "support/Diagnostics.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <gtest/gtest.h>

using namespace nnc;

namespace {
struct Parsed {
  llvm::SourceMgr sm;
  DiagnosticEngine diags{sm};
  std::unique_ptr<Module> module;
  explicit Parsed(const std::string &text) {
    sm.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(text, "t.nn"),
                          llvm::SMLoc());
    diags.setQuiet(true);
    diags.setMaxErrors(1000);
    module = parseBuffer(sm.getMemoryBuffer(1)->getBuffer(), "t.nn", diags);
  }
};
} // namespace

TEST(Parser, LayerWithHyperParametersAndInputs) {
  Parsed p("layer dense(units: int)(x: f32[..., N]) -> f32[..., units] {\n"
           "  param w: f32[N, units] = glorot_uniform()\n"
           "  x @ w\n}\n");
  ASSERT_FALSE(p.diags.hadError());
  ASSERT_EQ(p.module->callables.size(), 1u);
  const CallableDecl &d = *p.module->callables[0];
  EXPECT_EQ(d.kind, CallableDecl::Layer);
  EXPECT_TRUE(d.hasHParamList);
  ASSERT_EQ(d.hparams.size(), 1u);
  ASSERT_EQ(d.inputs.size(), 1u);
  EXPECT_TRUE(d.inputs[0].type->dims[0].isEllipsis());
  ASSERT_EQ(d.body.size(), 2u);
  EXPECT_TRUE(llvm::isa<VarDeclStmt>(d.body[0].get()));
}

TEST(Parser, SingleTensorListIsInputs) {
  Parsed p("fn f(x: f32[B]) -> f32 { sum(x) }\nmodel M(h: int = 3) { 1 }\n");
  ASSERT_FALSE(p.diags.hadError());
  EXPECT_FALSE(p.module->callables[0]->hasHParamList);
  EXPECT_EQ(p.module->callables[0]->inputs.size(), 1u);
  EXPECT_TRUE(p.module->callables[1]->hasHParamList);
}

TEST(Parser, PipelineContinuesOnNextLine) {
  Parsed p("model M {\n  x\n    |> a\n    |> b\n  - y\n}\n");
  ASSERT_FALSE(p.diags.hadError());
  // `|> a` continues; `- y` starts a new statement.
  EXPECT_EQ(p.module->callables[0]->body.size(), 2u);
}

TEST(Parser, RecoversAndReportsSeveralErrors) {
  Parsed p("model M {\n  let = 3\n  let y = (1 +\n}\nlayer {\n}\n"
           "model N { 1 }\n");
  EXPECT_GE(p.diags.errorCount(), 3u);
  // The declaration after the errors is still parsed.
  bool sawN = false;
  for (auto &c : p.module->callables)
    sawN |= c->name.name == "N";
  EXPECT_TRUE(sawN);
}

TEST(Parser, DeepNestingIsAnErrorNotACrash) {
  std::string deep = "let x = " + std::string(100000, '(') + "1" +
                     std::string(100000, ')') + "\n";
  Parsed p(deep);
  EXPECT_TRUE(p.diags.hadError());
  std::string chain = "let y = 1";
  for (int k = 0; k < 200000; ++k)
    chain += " + 1";
  Parsed q(chain + "\n");
  EXPECT_TRUE(q.diags.hadError());
}

TEST(Parser, TrainBlockClauses) {
  Parsed p("train M on ds(\"train\") {\n  batch 64; epochs 5\n  shuffle\n"
           "  optimizer g = adam(lr: 1e-3) over gen\n"
           "  validate on ds(\"test\") every 2\n  step { 1 }\n}\n");
  ASSERT_FALSE(p.diags.hadError());
  const TrainDecl &t = *p.module->trains[0];
  ASSERT_EQ(t.clauses.size(), 5u);
  EXPECT_EQ(t.clauses[3].binding->name, "g");
  EXPECT_TRUE(t.clauses[3].over != nullptr);
  EXPECT_TRUE(t.clauses[4].on != nullptr);
  EXPECT_EQ(t.clauses[4].values.size(), 1u);
  EXPECT_TRUE(t.step.has_value());
}
