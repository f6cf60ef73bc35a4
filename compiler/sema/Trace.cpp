//===- Trace.cpp - Recording the dataflow graph during elaboration --------===//
//
// Sema already visits every operation of a model with its operand types;
// tracing records those visits as graph nodes (Graph.h) for MLIRGen, so
// code generation never re-derives shapes or re-resolves names.
//
//===----------------------------------------------------------------------===//
#include "sema/Elaborator.h"

using namespace nnc;

void Elaborator::trace(Value &out, OpKind op, std::vector<NodePtr> inputs,
                       llvm::SMLoc loc,
                       std::vector<std::pair<std::string, Attr>> attrs) {
  if (!graph || out.kind != Value::Tensor)
    return;
  auto n = std::make_shared<Node>();
  n->op = op;
  n->inputs = std::move(inputs);
  n->attrs = std::move(attrs);
  n->type = out.type;
  n->loc = loc;
  n->site = diags.userSite(loc);
  n->id = nextNodeId++;
  out.node = n;
}

NodePtr Elaborator::nodeOf(const Value &v, DType dtype, llvm::SMLoc loc) {
  if (!graph)
    return nullptr;
  if (v.node)
    return v.node;
  if (v.isNumber() || v.kind == Value::Bool) {
    auto n = std::make_shared<Node>();
    n->op = OpKind::Const;
    n->type = TensorType{dtype, {}};
    n->value = v.kind == Value::Bool ? double(v.b) : v.number();
    n->loc = loc;
    n->id = nextNodeId++;
    return n;
  }
  unsupported(loc, "code generation does not support " + v.describe() +
                       " as an operand yet");
  return nullptr;
}

void Elaborator::unsupported(llvm::SMLoc loc, const llvm::Twine &why) {
  if (!graph || !graph->unsupported.empty())
    return;
  graph->unsupported = why.str();
  graph->unsupportedLoc = loc;
}

std::optional<Attr> Elaborator::toAttr(const Value &v) {
  Attr a;
  switch (v.kind) {
  case Value::Int:
    a.kind = Attr::Int;
    a.i = v.i;
    return a;
  case Value::Float:
    a.kind = Attr::Float;
    a.f = v.f;
    return a;
  case Value::Bool:
    a.kind = Attr::Bool;
    a.i = v.b;
    return a;
  case Value::String:
    a.kind = Attr::String;
    a.s = v.s;
    return a;
  case Value::List:
  case Value::Tuple:
    a.kind = Attr::IntList;
    for (const Value &e : v.elems) {
      if (e.kind == Value::Int)
        a.list.push_back(e.i);
      else if (e.kind == Value::DimV)
        a.list.push_back(-1); // a dynamic (symbolic) size
      else
        return std::nullopt;
    }
    return a;
  default:
    return std::nullopt;
  }
}

void Elaborator::traceBuiltin(const BuiltinDef &b,
                              const std::vector<CallArg> &slots, Value &out,
                              llvm::SMLoc loc) {
  // Numbers are operands of these built-ins, attributes of all others.
  llvm::StringRef name(b.name);
  bool numbersAreOperands = name == "maximum" || name == "minimum" ||
                            name == "pow" || name == "where";
  std::vector<NodePtr> inputs;
  std::vector<std::pair<std::string, Attr>> attrs;
  for (size_t k = 0; k < slots.size() && k < b.params.size(); ++k) {
    const Value &v = slots[k].value;
    std::string param = llvm::StringRef(b.params[k]).rtrim('?').str();
    if (v.isNone())
      continue;
    if (v.kind == Value::Tensor ||
        (numbersAreOperands && (v.isNumber() || v.kind == Value::Bool))) {
      inputs.push_back(nodeOf(v, out.type.dtype, slots[k].loc));
      continue;
    }
    bool tensorList = (v.kind == Value::List || v.kind == Value::Tuple) &&
                      !v.elems.empty() && v.elems[0].kind == Value::Tensor;
    if (tensorList) {
      for (const Value &e : v.elems)
        inputs.push_back(nodeOf(e, e.type.dtype, slots[k].loc));
      continue;
    }
    if (auto a = toAttr(v))
      attrs.push_back({param, *a});
    else
      unsupported(slots[k].loc, "code generation does not support " +
                                    v.describe() + " as argument '" + param +
                                    "' of '" + name + "' yet");
  }
  for (const NodePtr &n : inputs)
    if (!n)
      return;
  trace(out, *b.kind, std::move(inputs), loc, std::move(attrs));
}

/// A `main` block's output that the runtime does not print as a tensor
/// (Graph.h's outputKinds); `misplaced` is the error elsewhere.
void Elaborator::traceSpecialOutput(const CallArg &x, std::string name,
                                    const char *kind, std::string options,
                                    const char *misplaced, llvm::SMLoc loc) {
  if (!graph)
    return;
  if (graph != program.mainGraph.get()) {
    error(loc, misplaced);
    return;
  }
  NodePtr n = nodeOf(x.value, x.value.type.dtype, loc);
  if (!n)
    return;
  graph->outputKinds[graph->outputs.size()] = {kind, std::move(options)};
  graph->outputs.push_back({std::move(name), n});
}

void Elaborator::traceImage(const CallArg &x, const std::string &path,
                            const std::string &options, llvm::SMLoc loc) {
  traceSpecialOutput(x, path, "image", options,
                     "save_image writes files: call it in a main block", loc);
}

void Elaborator::traceText(const CallArg &ids, llvm::SMLoc loc) {
  // Named uniquely: results are bound by name.
  traceSpecialOutput(
      ids, "print_text." + std::to_string(graph ? graph->outputs.size() : 0),
      "text", "", "print_text prints: call it in a main block", loc);
}

void Elaborator::tracePrint(const std::vector<CallArg> &args, llvm::SMLoc loc) {
  if (!graph)
    return;
  if (scale.size() > 1) {
    // A result of the program is one tensor: a loop body runs many times.
    error(loc, "print inside a 'for' loop or 'scan' is not supported; print "
               "after the loop (a variable the loop updates holds the last "
               "iteration's value)");
    return;
  }
  std::vector<std::string> parts;
  const CallArg *tensor = nullptr;
  for (const CallArg &a : args) {
    if (a.value.kind == Value::String) {
      parts.push_back(a.value.s);
    } else if (a.value.kind == Value::Tensor && !tensor) {
      tensor = &a;
    } else if (a.value.isNumber() || a.value.kind == Value::Bool) {
      parts.push_back(a.value.kind == Value::Int     ? std::to_string(a.value.i)
                      : a.value.kind == Value::Float ? formatNumber(a.value.f)
                      : a.value.b                    ? "true"
                                                     : "false");
    } else {
      unsupported(a.loc, "print in a compiled program takes one tensor and "
                         "strings or numbers; got " +
                             a.value.describe());
      return;
    }
  }
  if (!tensor) {
    unsupported(loc, "print in a compiled program needs a tensor to print");
    return;
  }
  // print(x) shows `x = ...`; print("logits", x) shows `logits ...`.
  std::string label;
  for (const std::string &p : parts)
    label += (label.empty() ? "" : " ") + p;
  if (parts.empty() && tensor->range.isValid())
    label = std::string(tensor->range.Start.getPointer(),
                        tensor->range.End.getPointer()) +
            " =";
  NodePtr n = nodeOf(tensor->value, tensor->value.type.dtype, loc);
  if (n)
    graph->outputs.push_back({label, n});
}
