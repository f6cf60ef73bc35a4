//===- Remarks.cpp - What code generation did with each .nn line ----------===//
//
// `--remarks` reads the program after bufferization, kernel calls and the
// buffer plan, and reports against the .nn source (the user's files and
// the standard library's) what became of its operations: which ran as
// calls of the runtime's kernels, which were fused into one loop and with
// what, which were not fused and why, and how each function's buffers
// were planned. The facts come from the IR itself: fused loops carry the
// locations of every operation they were made from.
//
//===----------------------------------------------------------------------===//
#include "codegen/Remarks.h"
#include "codegen/KernelEpilogue.h"
#include "codegen/Passes.h"
#include "dialect/NNAttrNames.h"
#include "nnc/kernels.h"
#include "support/Diagnostics.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/Support/Path.h"
#include "llvm/TargetParser/Host.h"

#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace mlir;

llvm::SMLoc nnc::sourceLoc(const llvm::SourceMgr &srcMgr, Location loc) {
  FileLineColLoc flc = firstPosition(loc);
  if (!flc)
    return {};
  for (unsigned id = 1; id <= srcMgr.getNumBuffers(); ++id)
    if (srcMgr.getMemoryBuffer(id)->getBufferIdentifier() ==
        flc.getFilename().getValue())
      return const_cast<llvm::SourceMgr &>(srcMgr).FindLocForLineAndColumn(
          id, flc.getLine(), flc.getColumn());
  return {};
}

FileLineColLoc nnc::firstPosition(Location loc) {
  FileLineColLoc flc;
  loc->walk([&](Location l) {
    if (auto f = dyn_cast<FileLineColLoc>(l)) {
      flc = f;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return flc;
}

namespace {
/// Every source position in a (possibly fused) location; of a call site,
/// the callee's position (the operation itself).
void positions(Location loc, llvm::SetVector<Location> &out) {
  if (auto fused = dyn_cast<FusedLoc>(loc)) {
    for (Location l : fused.getLocations())
      positions(l, out);
    return;
  }
  if (auto call = dyn_cast<CallSiteLoc>(loc))
    return positions(call.getCallee(), out);
  if (auto name = dyn_cast<NameLoc>(loc))
    return positions(name.getChildLoc(), out);
  if (isa<FileLineColLoc>(loc))
    out.insert(loc);
}

std::string spell(Location loc) {
  auto f = cast<FileLineColLoc>(loc);
  llvm::StringRef file = f.getFilename().getValue();
  return (llvm::sys::path::filename(file) + ":" + llvm::Twine(f.getLine()) +
          ":" + llvm::Twine(f.getColumn()))
      .str();
}

bool elementwise(linalg::LinalgOp op) {
  return op.getNumLoops() == op.getNumParallelLoops() &&
         llvm::all_of(op.getIndexingMapsArray(),
                      [](AffineMap m) { return m.isProjectedPermutation(); });
}

/// The buffer an operand reads, through views (a planned buffer is a
/// memref.view of the workspace: the buffer itself).
Value rootOf(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (isa<memref::ViewOp>(def))
      break;
    if (auto view = dyn_cast<ViewLikeOpInterface>(def))
      v = view.getViewSource();
    else
      break;
  }
  return v;
}

std::string kernelName(llvm::StringRef callee) {
  if (callee == "nnc_sgemm")
    return "matrix product";
  if (callee == "nnc_conv2d_f32")
    return "convolution";
  if (callee == "nnc_conv2d_filter_grad_f32")
    return "convolution filter gradient";
  return "";
}

/// Operand `i` of a kernel call when it is a constant or a static size or
/// stride of a buffer (through index casts); -1 when it is known at run
/// time only.
int64_t constantOperand(func::CallOp call, unsigned i) {
  Value v = call.getOperand(i);
  while (auto cast = v.getDefiningOp<arith::IndexCastOp>())
    v = cast.getIn();
  llvm::APInt c;
  if (matchPattern(v, m_ConstantInt(&c)))
    return c.getSExtValue();
  auto meta = v.getDefiningOp<memref::ExtractStridedMetadataOp>();
  if (!meta)
    return -1;
  auto type = cast<MemRefType>(meta.getSource().getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  unsigned r = cast<OpResult>(v).getResultNumber(), rank = type.getRank();
  int64_t known = -1;
  if (r >= 2 && r < 2 + rank)
    known = type.getDimSize(r - 2);
  else if (r >= 2 + rank &&
           succeeded(type.getStridesAndOffset(strides, offset)))
    known = strides[r - 2 - rank];
  return ShapedType::isDynamic(known) ? -1 : known;
}

/// Whether `call` is an nnc_conv2d_f32 call (operands: x, xOff, n, h, w,
/// c, xs0..xs3, w, wOff, kh, kw, f, out, outOff, oh, ow, sh, sw, dh, dw,
/// ...).
bool isConvCall(func::CallOp call) {
  return call.getCallee() == "nnc_conv2d_f32" && call.getNumOperands() >= 23;
}

/// ", by Winograd's F(2x2, 3x3) (...)" when a convolution call's sizes are
/// constants the runtime's rule takes that path for (nnc/kernels.h).
std::string winogradNote(func::CallOp call) {
  if (!isConvCall(call))
    return "";
  auto at = [&](unsigned i) { return constantOperand(call, i); };
  int64_t c = at(5), xs3 = at(9), kh = at(12), kw = at(13), f = at(14),
          oh = at(17), ow = at(18);
  if (xs3 != 1 || !nnc_conv2d_winograd_pays(kh, kw, at(19), at(20), at(21),
                                            at(22), c, f, oh, ow))
    return "";
  return ", by Winograd's F(2x2, 3x3): 3x3, stride 1, " + std::to_string(c) +
         " channels into " + std::to_string(f) +
         " filters, 2.25x fewer multiplications (F(4x4, 3x3), 4x fewer, "
         "when a call has 16384 output pixels or more; NNC_WINOGRAD=0 "
         "turns it off)";
}

/// What --quantize=int8 makes of a kernel call of a forward function
/// compiled with it, where int8 does (`runs`) or does not run.
std::string int8Note(func::CallOp call, bool runs) {
  if (!call->hasAttr(nnc::attr::kInt8))
    return " in f32 (--quantize=int8 quantizes only products and "
           "convolutions by a parameter)";
  if (!runs)
    return " in f32 (int8 needs AVX512-VNNI)";
  if (isConvCall(call) && !nnc_conv2d_int8_pays(constantOperand(call, 12),
                                                constantOperand(call, 13),
                                                constantOperand(call, 5)))
    return " in f32 (a window of fewer than 64 values: int8 would be "
           "slower there)";
  return " with int8 operands (weights quantized once per output channel, "
         "activations per sample at each call; vpdpbusd)";
}

class Reporter {
public:
  explicit Reporter(nnc::DiagnosticEngine &diags) : diags(diags) {}
  void function(func::FuncOp f);
  void print();

private:
  void add(Location at, const std::string &msg) {
    llvm::SetVector<Location> pos;
    positions(at, pos);
    Location first = pos.empty() ? at : pos.front();
    remarks[first].insert(msg);
  }

  nnc::DiagnosticEngine &diags;
  std::map<Location, std::set<std::string>, bool (*)(Location, Location)>
      remarks{[](Location a, Location b) {
        auto fa = nnc::firstPosition(a), fb = nnc::firstPosition(b);
        if (!fa || !fb)
          return a.getAsOpaquePointer() < b.getAsOpaquePointer();
        return std::make_tuple(fa.getFilename().getValue(), fa.getLine(),
                               fa.getColumn()) <
               std::make_tuple(fb.getFilename().getValue(), fb.getLine(),
                               fb.getColumn());
      }};
};

void Reporter::function(func::FuncOp f) {
  std::string name = f.getSymName().str();
  if (auto ws = f->getAttrOfType<DictionaryAttr>(nnc::attr::kWorkspace)) {
    auto str = [&](llvm::StringRef k) {
      return ws.getAs<StringAttr>(k).getValue().str();
    };
    auto num = [&](llvm::StringRef k) {
      return std::to_string(ws.getAs<IntegerAttr>(k).getInt());
    };
    // At the train block or model (where the arguments come from).
    Location at = f.getNumArguments() ? f.getArgument(0).getLoc() : f.getLoc();
    int64_t left = ws.getAs<IntegerAttr>("unplanned").getInt();
    add(at, name + ": " + num("buffers") +
                (ws.getAs<IntegerAttr>("buffers").getInt() == 1 ? " buffer"
                                                                : " buffers") +
                " (intermediates and results) planned into one workspace of " +
                str("bytes") + " bytes (" + str("separate") +
                " if each had its own); " +
                (left == 0 ? std::string("no allocation left")
                           : num("unplanned") +
                                 " allocations left (buffers inside loops, "
                                 "sizes not known from the arguments)"));
  }
  bool kernelCalls = false;
  f.walk([&](func::CallOp call) {
    kernelCalls |= !kernelName(call.getCallee()).empty();
  });
  if (f->hasAttr(nnc::attr::kBf16) && kernelCalls) {
    // This machine's CPU and environment: where `nnc run` runs the code.
    Location at = f.getNumArguments() ? f.getArgument(0).getLoc() : f.getLoc();
    llvm::StringMap<bool> cpu = llvm::sys::getHostCPUFeatures();
    const char *env = std::getenv("NNC_BF16");
    bool off = env && llvm::StringRef(env) == "0";
    add(at, name + ": precision bf16: " +
                (cpu.lookup("avx512bf16") && cpu.lookup("avx512bw") && !off
                     ? "its products and convolutions take bf16 operands "
                       "(AVX512-BF16 vdpbf16ps) and sum in f32, except "
                       "direct convolutions and products of one or two rows"
                     : "this CPU has no AVX512-BF16 (or NNC_BF16=0), so its "
                       "products run in f32"));
  }
  // Whether int8 calls run in int8 here (AVX512-VNNI, NNC_INT8 not 0).
  bool int8Runs = false;
  if (f->hasAttr(nnc::attr::kInt8) && kernelCalls) {
    Location at = f.getNumArguments() ? f.getArgument(0).getLoc() : f.getLoc();
    llvm::StringMap<bool> cpu = llvm::sys::getHostCPUFeatures();
    const char *env = std::getenv("NNC_INT8");
    int8Runs = cpu.lookup("avx512vnni") && cpu.lookup("avx512bw") &&
               !(env && llvm::StringRef(env) == "0");
    if (!int8Runs)
      add(at, name + ": --quantize=int8: this CPU has no AVX512-VNNI (or "
                     "NNC_INT8=0), so its products run in f32");
  }
  // Which buffers a kernel call wrote: for "not fused into" remarks.
  llvm::DenseMap<Value, Operation *> kernelWrote;
  llvm::DenseMap<Value, std::vector<Operation *>> readers;
  f.walk([&](Operation *op) {
    if (auto call = dyn_cast<func::CallOp>(op)) {
      std::string what = kernelName(call.getCallee());
      if (what.empty())
        return;
      // A fused call is located at the kernel's op, then the loop it
      // took over.
      llvm::SetVector<Location> pos;
      positions(op->getLoc(), pos);
      std::string int8 =
          f->hasAttr(nnc::attr::kInt8) ? int8Note(call, int8Runs) : "";
      add(pos.empty() ? op->getLoc() : pos.front(),
          what + " runs on the runtime's kernel (" + call.getCallee().str() +
              ")" + (int8.empty() ? winogradNote(call) : int8));
      if (auto epi = op->getAttrOfType<StringAttr>(nnc::kEpilogueAttr)) {
        std::string at = pos.empty() ? "" : " at " + spell(pos.front());
        for (Location p : llvm::drop_begin(pos))
          add(p, "fused into the " + what + at + " as its epilogue (" +
                     epi.getValue().str() +
                     ", applied to each tile of the output while it is in "
                     "registers)");
      }
      // The output is the third buffer whose pointer the call takes (after
      // the two operands; a bias comes after it).
      SmallVector<Value> buffers;
      for (Value v : call.getOperands()) {
        Value p = v;
        while (Operation *def = p.getDefiningOp()) {
          if (auto ext =
                  dyn_cast<memref::ExtractAlignedPointerAsIndexOp>(def)) {
            buffers.push_back(rootOf(ext.getSource()));
            break;
          }
          if (def->getNumOperands() != 1)
            break;
          p = def->getOperand(0); // index casts
        }
      }
      if (buffers.size() >= 3)
        kernelWrote[buffers[2]] = op;
      return;
    }
    if (auto l = dyn_cast<linalg::LinalgOp>(op))
      for (OpOperand *in : l.getDpsInputOperands())
        readers[rootOf(in->get())].push_back(op);
  });
  f.walk([&](linalg::LinalgOp op) {
    if (auto note = op->getAttrOfType<StringAttr>(nnc::kFusionNoteAttr))
      add(op->getLoc(), note.getValue().str());
    llvm::SetVector<Location> pos;
    positions(op->getLoc(), pos);
    if (pos.size() > 1) {
      std::string with;
      for (Location p : llvm::drop_begin(pos))
        with += (with.empty() ? "" : ", ") + spell(p);
      add(op->getLoc(), "fused into one loop with the operations at " + with);
    }
    if (!elementwise(op))
      return;
    // nnc-kernel-calls tagged the loops right after a kernel that it could
    // not fold into the call, with the reason.
    auto why = op->getAttrOfType<StringAttr>(nnc::kNotFusedAttr);
    for (OpOperand *in : op.getDpsInputOperands()) {
      auto it = kernelWrote.find(rootOf(in->get()));
      if (!why || it == kernelWrote.end())
        continue;
      llvm::SetVector<Location> kpos;
      positions(it->second->getLoc(), kpos);
      std::string at = kpos.empty() ? "" : " at " + spell(kpos.front());
      add(op->getLoc(),
          "not fused into the " +
              kernelName(cast<func::CallOp>(it->second).getCallee()) + at +
              " as its epilogue: " + why.getValue().str() +
              ", so this is a separate loop over its output");
      break;
    }
    for (OpOperand &out : op.getDpsInitsMutable()) {
      Value buf = rootOf(out.get());
      if (isa<BlockArgument>(buf))
        continue; // a parameter or state updated in place
      unsigned later = 0;
      for (Operation *r : readers.lookup(buf))
        later += op->isBeforeInBlock(r) || op->getBlock() != r->getBlock();
      if (later > 1)
        add(op->getLoc(), "not fused into what reads it: its result is read "
                          "by several later loops (reverse mode reads it "
                          "again), so it is kept in memory");
    }
  });
}

void Reporter::print() {
  for (auto &[loc, msgs] : remarks) {
    llvm::SMLoc at = nnc::sourceLoc(diags.getSourceMgr(), loc);
    FileLineColLoc flc = nnc::firstPosition(loc);
    for (const std::string &m : msgs) {
      if (at.isValid())
        diags.remark(at, m);
      else if (flc)
        llvm::errs() << flc.getFilename().getValue() << ":" << flc.getLine()
                     << ":" << flc.getColumn() << ": remark: " << m << "\n";
      else
        llvm::errs() << "remark: " << m << "\n";
    }
  }
}
} // namespace

void nnc::reportRemarks(ModuleOp module, nnc::DiagnosticEngine &diags) {
  Reporter r(diags);
  for (auto f : module.getOps<func::FuncOp>())
    if (!f.isExternal())
      r.function(f);
  r.print();
}
