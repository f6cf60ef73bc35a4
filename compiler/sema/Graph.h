//===- Graph.h - The traced dataflow graph of a model -----------*- C++ -*-===//
//
// While sema elaborates a model it records every primitive operation it
// type-checks as a node: inputs, parameters, constants and built-in ops,
// with their result types, compile-time attributes and source locations.
// Layers are inlined (a layer is a way of writing ops and creating
// parameters), so the graph of a model is flat. MLIRGen turns this graph
// into the `nn` dialect. Plain C++: no MLIR header.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_SEMA_GRAPH_H
#define NNC_SEMA_GRAPH_H

#include "sema/OpKind.h"
#include "sema/Types.h"

#include "llvm/Support/SMLoc.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace nnc {

/// A compile-time attribute of a node (axis, stride, padding, ...).
struct Attr {
  enum Kind { Int, Float, Bool, String, IntList } kind = Int;
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::vector<int64_t> list;
};

struct Node;
using NodePtr = std::shared_ptr<Node>;

struct Node {
  /// What the node computes: graph structure (input, param, const, for,
  /// ...) or a built-in or operator of an nn op (OpKind.h).
  OpKind op = OpKind::Const;
  std::vector<NodePtr> inputs;
  std::vector<std::pair<std::string, Attr>> attrs;
  TensorType type;
  llvm::SMLoc loc;
  /// Where the user's code made this node: `loc`, or for a node traced
  /// inside a library layer, the user's call of that layer.
  llvm::SMLoc site;
  std::string name; ///< parameter path (`dense_1.w`) or input name
  double value = 0; ///< for "const" (a scalar of `type`)
  unsigned id = 0;  ///< creation order, for deterministic output
  /// For "for": the body's arguments (the i64 loop index, then one
  /// "loop_carried" placeholder per carried variable) and the values the
  /// body gives those variables. `inputs` are the initial values; each
  /// "loop_result" node (inputs = {the loop}, attr "index") reads one
  /// final value.
  std::vector<NodePtr> bodyArgs, bodyResults;

  Node() = default;
  Node(const Node &) = default;
  Node &operator=(const Node &) = default;
  /// Releases the nodes only this one holds without a recursion per node:
  /// a program of 100,000 statements is a chain of inputs that deep.
  ~Node() {
    std::vector<NodePtr> todo;
    auto take = [&](std::vector<NodePtr> &v) {
      for (NodePtr &n : v)
        if (n && n.use_count() == 1)
          todo.push_back(std::move(n));
      v.clear();
    };
    take(inputs);
    take(bodyArgs);
    take(bodyResults);
    while (!todo.empty()) {
      NodePtr n = std::move(todo.back());
      todo.pop_back();
      take(n->inputs);
      take(n->bodyArgs);
      take(n->bodyResults);
    }
  }

  const Attr *attr(llvm::StringRef key) const {
    for (const auto &a : attrs)
      if (a.first == key)
        return &a.second;
    return nullptr;
  }
};

/// The traced graph of one model.
struct ModelGraph {
  std::vector<NodePtr> inputs; ///< in declaration order
  std::vector<NodePtr> params; ///< trainable and state, creation order
  std::vector<std::pair<std::string, NodePtr>> outputs;
  /// Outputs of a `main` block that are not printed as tensors: the
  /// output's index -> its kind and options. "image" (save_image: the
  /// output's name is the PNG file, options "normalize=0,columns=0") or
  /// "text" (print_text: byte ids printed as characters).
  std::map<size_t, std::pair<std::string, std::string>> outputKinds;
  /// Why the graph cannot be compiled yet ("" if it can), with a location.
  std::string unsupported;
  llvm::SMLoc unsupportedLoc;
};

} // namespace nnc

#endif // NNC_SEMA_GRAPH_H
