//===- GpuTarget.cpp - What --target=cuda needs of the driver -------------===//
//
// Chips and PTX versions, the CUDA toolkit's place, and the kernels' PTX as
// gpu-module-to-binary left it in gpu.binary ops (see GpuTarget.h).
//
//===----------------------------------------------------------------------===//
#include "driver/GpuTarget.h"
#include "support/Diagnostics.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <set>

using namespace nnc;

bool nnc::hasLibdevice(const std::string &dir) {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, "nvvm", "libdevice", "libdevice.10.bc");
  return !dir.empty() && llvm::sys::fs::exists(path);
}

std::string nnc::defaultCudaPath() {
#ifdef NNC_CUDA_PATH
  if (hasLibdevice(NNC_CUDA_PATH))
    return NNC_CUDA_PATH;
#endif
  for (const char *var : {"CUDA_HOME", "CUDA_PATH"})
    if (const char *v = std::getenv(var); v && hasLibdevice(v))
      return v;
  if (hasLibdevice("/usr/local/cuda"))
    return "/usr/local/cuda";
  return "";
}

/// Calls `fn` with each kernel module's name and PTX.
template <typename Fn> static void forEachPTX(mlir::ModuleOp module, Fn fn) {
  module.walk([&](mlir::gpu::BinaryOp binary) {
    for (mlir::Attribute a : binary.getObjects())
      if (auto object = mlir::dyn_cast<mlir::gpu::ObjectAttr>(a))
        fn(binary.getSymName(), object.getObject().getValue());
  });
}

void nnc::printKernelPTX(mlir::ModuleOp module, llvm::raw_ostream &os) {
  forEachPTX(module, [&](llvm::StringRef name, llvm::StringRef ptx) {
    os << "// kernel module " << name << "\n" << ptx.rtrim('\0');
    if (!ptx.rtrim('\0').ends_with("\n"))
      os << "\n";
  });
}

bool nnc::checkKernelPTX(mlir::ModuleOp module, const std::string &cudaPath,
                         DiagnosticEngine &diags) {
  std::set<std::string> missing;
  forEachPTX(module, [&](llvm::StringRef, llvm::StringRef ptx) {
    // An undefined function is declared `.extern .func ... __nv_expf(`.
    for (size_t at = ptx.find(".extern .func"); at != llvm::StringRef::npos;
         at = ptx.find(".extern .func", at + 1)) {
      llvm::StringRef line = ptx.substr(at).split('\n').first;
      size_t nv = line.find("__nv_");
      if (nv != llvm::StringRef::npos)
        missing.insert(line.substr(nv).take_until(
                           [](char c) { return c == '(' || c == ' '; })
                           .str());
    }
  });
  if (missing.empty())
    return true;
  std::string names;
  for (const std::string &m : missing)
    names += (names.empty() ? "" : ", ") + m;
  diags.error("--target=cuda: the kernels call " + names +
              " from the CUDA toolkit's libdevice, which " +
              (cudaPath.empty() ? std::string("was not found")
                                : "is not in '" + cudaPath + "'") +
              ": give the toolkit with --cuda-path=DIR (the directory "
              "holding nvvm/libdevice/libdevice.10.bc)");
  return false;
}

namespace {
/// A temporary file removed when this goes out of scope.
struct TempFile {
  llvm::SmallString<128> path;
  llvm::FileRemover remover;
  explicit TempFile(llvm::StringRef suffix) {
    if (!llvm::sys::fs::createTemporaryFile("nnc-kernels", suffix, path))
      remover.setFile(path);
  }
};

/// Runs `tool` with `args`; its output (stdout and stderr) on failure.
bool runTool(const std::string &tool, llvm::ArrayRef<std::string> args,
             std::string &output) {
  TempFile log("log");
  std::vector<llvm::StringRef> argv{tool};
  for (const std::string &a : args)
    argv.push_back(a);
  std::optional<llvm::StringRef> redirects[] = {
      std::nullopt, llvm::StringRef(log.path), llvm::StringRef(log.path)};
  std::string error;
  int rc = llvm::sys::ExecuteAndWait(tool, argv, std::nullopt, redirects, 0, 0,
                                     &error);
  if (rc == 0)
    return true;
  auto text = llvm::MemoryBuffer::getFile(log.path);
  output = !error.empty() ? error : text ? (*text)->getBuffer().str() : "";
  return false;
}

/// The fat binary of `ptx` for `chip`, or "" with `error` set.
std::string fatBinary(llvm::StringRef ptx, const std::string &chip,
                      const std::string &bin, std::string &error) {
  TempFile ptxFile("ptx"), cubin("cubin"), fatbin("fatbin");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(ptxFile.path, ec);
    if (ec) {
      error = ec.message();
      return "";
    }
    os << ptx.rtrim('\0');
  }
  std::string sm = llvm::StringRef(chip).drop_front(3).str(); // sm_80 -> 80
  if (!runTool(bin + "/ptxas",
               {"-arch=" + chip, "-O3", ptxFile.path.str().str(), "-o",
                cubin.path.str().str()},
               error) ||
      !runTool(
          bin + "/fatbinary",
          {"--create=" + fatbin.path.str().str(), "-64",
           "--image3=kind=elf,sm=" + sm + ",file=" + cubin.path.str().str(),
           "--image3=kind=ptx,sm=" + sm + ",file=" + ptxFile.path.str().str()},
          error))
    return "";
  auto data = llvm::MemoryBuffer::getFile(fatbin.path);
  if (!data) {
    error = data.getError().message();
    return "";
  }
  return (*data)->getBuffer().str();
}
} // namespace

bool nnc::addCubins(mlir::ModuleOp module, const std::string &chip,
                    const std::string &cudaPath, DiagnosticEngine &diags) {
  std::string bin = cudaPath + "/bin";
  if (cudaPath.empty() || !llvm::sys::fs::can_execute(bin + "/ptxas") ||
      !llvm::sys::fs::can_execute(bin + "/fatbinary"))
    return true;
  bool ok = true;
  module.walk([&](mlir::gpu::BinaryOp binary) {
    llvm::SmallVector<mlir::Attribute> objects;
    for (mlir::Attribute a : binary.getObjects()) {
      auto object = mlir::dyn_cast<mlir::gpu::ObjectAttr>(a);
      if (!object ||
          object.getFormat() != mlir::gpu::CompilationTarget::Assembly) {
        objects.push_back(a);
        continue;
      }
      std::string error;
      std::string fat =
          fatBinary(object.getObject().getValue(), chip, bin, error);
      if (fat.empty()) {
        diags.error("--target=cuda: the CUDA toolkit's ptxas (" + bin +
                    "/ptxas) rejected the kernels: " + error);
        ok = false;
        return;
      }
      objects.push_back(mlir::gpu::ObjectAttr::get(
          object.getTarget(), mlir::gpu::CompilationTarget::Fatbin,
          mlir::StringAttr::get(module.getContext(), fat),
          object.getProperties(), object.getKernels()));
    }
    binary.setObjectsAttr(mlir::ArrayAttr::get(module.getContext(), objects));
  });
  return ok;
}
