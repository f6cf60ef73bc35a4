// nnc-tblgen: the op kinds and MLIRGen cases of nn ops' built-ins, and the
// build-time errors for a built-in that code generation could not build.
// RUN: nnc-tblgen --gen-nn-op-kinds %s | FileCheck %s --check-prefix=KINDS
// RUN: nnc-tblgen --gen-nn-mlirgen %s | FileCheck %s --check-prefix=GEN
// RUN: not nnc-tblgen --gen-nn-op-kinds -DATTR %s 2>&1 | FileCheck %s --check-prefix=ATTR
// RUN: not nnc-tblgen --gen-nn-mlirgen -DTWICE %s 2>&1 | FileCheck %s --check-prefix=TWICE

class TypeConstraint;
class Attr;
def ins;
def AnyTensor : TypeConstraint;
def F64Attr : Attr;
class NN_Op {
  list<string> builtins = [];
  string builder = "";
  dag arguments = (ins);
}

// Built-ins in name order, with CamelCase kinds.
// KINDS: NN_OP_KIND(LeakyScale, "leaky_scale")
// KINDS-NEXT: NN_OP_KIND(Plus, "plus")
// KINDS-NEXT: NN_OP_KIND(Twice, "twice")
// KINDS-NEXT: #undef NN_OP_KIND

// Operands only: created directly; otherwise the named builder.
// GEN:      case OpKind::LeakyScale:
// GEN-NEXT:   return emitLeakyScale(n, in, l);
// GEN:      case OpKind::Plus:
// GEN-NEXT:   assert(in.size() == 2 && "plus takes 2 operands");
// GEN-NEXT:   return nn::AddOp::create(b, l, rt, in[0], in[1]);
// GEN:      case OpKind::Twice:
// GEN-NEXT:   assert(in.size() == 2 && "twice takes 2 operands");
// GEN-NEXT:   return nn::AddOp::create(b, l, rt, in[0], in[1]);
def NN_AddOp : NN_Op {
  let builtins = ["plus", "twice"];
  let arguments = (ins AnyTensor:$lhs, AnyTensor:$rhs);
}
def NN_LeakyScaleOp : NN_Op {
  let builtins = ["leaky_scale"];
  let builder = "emitLeakyScale";
  let arguments = (ins AnyTensor:$x, F64Attr:$slope);
}
// Not a built-in: no kind, no case.
// KINDS-NOT: Hidden
def NN_HiddenOp : NN_Op {
  let arguments = (ins AnyTensor:$x, F64Attr:$slope);
}

#ifdef ATTR
// ATTR: error: built-ins of NN_ScaleOp need a `builder`: argument 'factor' is not a plain operand
def NN_ScaleOp : NN_Op {
  let builtins = ["scale"];
  let arguments = (ins AnyTensor:$x, F64Attr:$factor);
}
#endif

#ifdef TWICE
// TWICE: error: built-in 'plus' is implemented by two ops
def NN_OtherAddOp : NN_Op {
  let builtins = ["plus"];
  let arguments = (ins AnyTensor:$lhs, AnyTensor:$rhs);
}
#endif
