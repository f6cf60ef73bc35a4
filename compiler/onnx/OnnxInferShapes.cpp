//===- OnnxInferShapes.cpp - libonnx's shape inference, contained ---------===//
//
// libonnx 1.12's shape inference trusts a node's attributes and its inputs'
// ranks: some malformed nodes that pass ONNX's checker (a ConvTranspose
// whose filter is a scalar, a Scan with a misspelt attribute) make it read out of bounds and crash the process. An import is
// a reader of untrusted files, so each inference first runs in a forked
// child; only when the child came back alive does the importer run it
// itself. A crash becomes one clear error instead of a SIGSEGV.
//
//===----------------------------------------------------------------------===//
#include "onnx/OnnxImporter.h"

#include <onnx/shape_inference/implementation.h>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace nnc {
namespace onnx_import {

namespace {
/// The exit code of a child that came back from shape inference (with
/// shapes or with an exception): not one a sanitizer or a signal gives.
constexpr int kSurvived = 42;

void runInference(onnx::ModelProto &m, bool dataProp) {
  m.mutable_graph()->clear_value_info();
  onnx::shape_inference::InferShapes(
      m, onnx::OpSchemaRegistry::Instance(),
      onnx::ShapeInferenceOptions(false, 0, dataProp));
}

/// Whether shape inference returns (or throws) rather than crashing.
bool survives(onnx::ModelProto &m, bool dataProp) {
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0)
    return true; // no child to spare: run it in-process, as before
  if (pid == 0) {
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT})
      std::signal(sig, SIG_DFL);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
      dup2(null, STDOUT_FILENO);
      dup2(null, STDERR_FILENO);
    }
    try {
      runInference(m, dataProp);
    } catch (...) {
    }
    _exit(kSurvived);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == kSurvived;
}
} // namespace

bool inferShapes(onnx::ModelProto &m, bool dataProp, std::string &error) {
  if (!survives(m, dataProp)) {
    error = "libonnx crashes on this model (a node's attributes or its "
            "inputs' ranks are malformed)";
    return false;
  }
  try {
    runInference(m, dataProp);
    return true;
  } catch (const std::exception &e) {
    error = e.what();
    return false;
  }
}

} // namespace onnx_import
} // namespace nnc
