//===- GraphDump.cpp - Textual form of a traced graph (--emit=graph) ------===//
//
// `%id = op(%a, %b) {attrs} : type <line:col>` in creation order, so lit
// tests can check what sema recorded for MLIRGen.
//
//===----------------------------------------------------------------------===//
#include "sema/Sema.h"
#include "support/LineColumn.h"

#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <set>

using namespace nnc;

static void printAttr(const Attr &a, llvm::raw_ostream &os) {
  switch (a.kind) {
  case Attr::Int:
    os << a.i;
    break;
  case Attr::Bool:
    os << (a.i ? "true" : "false");
    break;
  case Attr::Float: {
    char buf[32];
    snprintf(buf, sizeof buf, "%g", a.f);
    os << buf;
    break;
  }
  case Attr::String:
    os << '"' << a.s << '"';
    break;
  case Attr::IntList:
    os << "[";
    for (size_t k = 0; k < a.list.size(); ++k)
      os << (k ? ", " : "") << a.list[k];
    os << "]";
    break;
  }
}

void nnc::dumpGraph(const ModelGraph &g, const llvm::SourceMgr &sm,
                    llvm::raw_ostream &os) {
  LineColumnTable lines(sm);
  // Collect every node reachable from the outputs and the declared
  // inputs/params, then print in creation order.
  std::map<unsigned, const Node *> nodes;
  std::vector<const Node *> work;
  for (auto &o : g.outputs)
    if (o.second)
      work.push_back(o.second.get());
  for (auto &n : g.inputs)
    work.push_back(n.get());
  for (auto &n : g.params)
    work.push_back(n.get());
  std::set<const Node *> seen;
  while (!work.empty()) {
    const Node *n = work.back();
    work.pop_back();
    if (!n || !seen.insert(n).second)
      continue;
    nodes[n->id] = n;
    for (auto &i : n->inputs)
      work.push_back(i.get());
    for (auto &i : n->bodyArgs)
      work.push_back(i.get());
    for (auto &i : n->bodyResults)
      work.push_back(i.get());
  }
  std::map<const Node *, unsigned> number;
  for (auto &kv : nodes) {
    const Node *n = kv.second;
    unsigned id = number.size();
    number[n] = id;
    os << "%" << id << " = " << opKindName(n->op);
    if (!n->name.empty())
      os << " \"" << n->name << "\"";
    if (n->op == OpKind::Const) {
      char buf[32];
      snprintf(buf, sizeof buf, "%g", n->value);
      os << " " << buf;
    }
    if (!n->inputs.empty()) {
      os << "(";
      for (size_t k = 0; k < n->inputs.size(); ++k)
        os << (k ? ", " : "") << "%" << number[n->inputs[k].get()];
      os << ")";
    }
    if (!n->attrs.empty()) {
      os << " {";
      for (size_t k = 0; k < n->attrs.size(); ++k) {
        os << (k ? ", " : "") << n->attrs[k].first << " = ";
        printAttr(n->attrs[k].second, os);
      }
      os << "}";
    }
    if (!n->bodyArgs.empty()) {
      os << " body(";
      for (size_t k = 0; k < n->bodyArgs.size(); ++k)
        os << (k ? ", " : "") << "%" << number[n->bodyArgs[k].get()];
      os << ") -> (";
      for (size_t k = 0; k < n->bodyResults.size(); ++k)
        os << (k ? ", " : "") << "%" << number[n->bodyResults[k].get()];
      os << ")";
    }
    os << " : " << n->type.str();
    if (n->loc.isValid()) {
      unsigned buf = sm.FindBufferContainingLoc(n->loc);
      auto lc = lines.get(n->loc, buf);
      os << " <"
         << llvm::sys::path::filename(
                sm.getMemoryBuffer(buf)->getBufferIdentifier())
         << ":" << lc.first << ":" << lc.second << ">";
    }
    os << "\n";
  }
  for (auto &o : g.outputs)
    if (o.second)
      os << "output " << o.first << " = %" << number[o.second.get()] << "\n";
  if (!g.unsupported.empty())
    os << "unsupported: " << g.unsupported << "\n";
}
