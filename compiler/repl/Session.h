//===- Session.h - The state of an `nnc repl` session -----------*- C++ -*-===//
//
// A session keeps what the user defined and computed between inputs: the
// sources (files loaded, definitions typed), the tensors bound with `let`,
// the `let`s that are replayed before each input (model instances, data
// sets), and every tensor value the compiled code reads: session tensors
// by name, instance parameters by path (`m.dense_1.w`) and loaded data
// sets by source. Each input is checked by sema with the session's sources
// and compiled by the pipeline of `nnc run`; nothing here is a second
// compiler. No MLIR header.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_REPL_SESSION_H
#define NNC_REPL_SESSION_H

#include "driver/Pipeline.h"
#include "nnc/runtime.h"
#include "sema/Sema.h"

#include "llvm/ADT/StringRef.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace llvm {
class SourceMgr;
}

namespace nnc {

class DiagnosticEngine;

struct ReplOptions {
  std::vector<std::string> searchPaths;
  CodegenOptions codegen;
  uint64_t seed = 0;   ///< parameter initialisation and random ops
  bool colors = false; ///< coloured diagnostics
};

class Session {
public:
  explicit Session(ReplOptions opts);
  ~Session();
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;

  /// Evaluates one complete input: a command (`:help`), definitions or
  /// statements. Reports errors; returns false after one.
  bool eval(const std::string &input);
  /// `:load FILE`: its definitions join the session.
  bool load(const std::string &path);
  /// Completions of the word that ends at `prefix`'s end: commands after
  /// a leading ':', else names in scope, built-ins and stdlib names.
  std::vector<std::string> complete(llvm::StringRef prefix) const;
  bool quitRequested() const { return quit; }

private:
  /// A `let` replayed before every input (an instance, a data set).
  struct Replayed {
    std::string name, text;
    std::string model; ///< an instance: its model or layer
  };
  struct SessionTensor {
    std::string name;
    TensorType type;
  };

  // Inputs (Session.cpp).
  bool define(const std::string &text);
  /// Adds a source and checks the session with it (its definitions
  /// elaborated); removes it again after errors (null).
  std::unique_ptr<Program> addSource(SessionSource source, bool file,
                                     llvm::SourceMgr &sm,
                                     DiagnosticEngine &diags);
  bool runStatements(const std::string &text);
  /// The value the session holds under a dotted path (`m.dense_1.w`: a
  /// parameter of an instance that was applied or trained), or null.
  const nnc_tensor *keptValue(llvm::StringRef path) const;
  /// Stores what a checked input bound, after its program ran.
  void keepBindings(const ReplResult &r);
  /// Forgets `name`: its tensor (unless keepValue), replayed `let`,
  /// constant and the values below it (`m.*`).
  void forget(const std::string &name, bool keepValue = false);
  /// The sources sema checks: the constants, then files and definitions.
  std::vector<SessionSource> allSources() const;
  /// The request of an input: the session's tensors and replayed `let`s.
  ReplRequest request(const std::string &input) const;
  /// Checks the session (with `req`, if any) in `sm`; null after errors.
  std::unique_ptr<Program> check(const ReplRequest *req, llvm::SourceMgr &sm,
                                 DiagnosticEngine &diags,
                                 const std::string &modelName = "");
  std::string nextInputName() {
    return "<repl " + std::to_string(++inputs) + ">";
  }
  /// Runs a checked input's program, prints what it shows, stores what it
  /// binds; false (reported) on failure.
  bool execute(const Program &program, llvm::SourceMgr &sm,
               DiagnosticEngine &diags);
  /// Removes parameters whose shape the program no longer agrees with
  /// (after `:reload` or a redefinition), so that they start afresh.
  void dropMismatched(const nnc_model &m);

  // Commands (Commands.cpp).
  bool command(llvm::StringRef line);
  bool cmdHelp();
  bool cmdType(llvm::StringRef expr);
  bool cmdSummary(llvm::StringRef name);
  bool cmdEmit(llvm::StringRef args);
  bool cmdTime(llvm::StringRef expr);
  bool cmdReload();
  bool cmdThreads(llvm::StringRef n);
  bool cmdVars();
  /// The model of `name`: a model, or the model of an instance ("" if
  /// neither; `instance` receives the instance's name).
  std::string modelOf(llvm::StringRef name, std::string *instance = nullptr);

  // Weights and training (Weights.cpp).
  bool cmdTrain(llvm::StringRef args);
  bool cmdSave(llvm::StringRef args);
  bool cmdLoadWeights(llvm::StringRef args);
  /// The instance a command means: `name`, or the only instance that has
  /// values; "" (reported) if none fits.
  std::string instanceFor(llvm::StringRef name, llvm::StringRef what);
  /// The parameters and state of model `model` (names and types), from
  /// sema; false (reported) on errors.
  bool modelParams(const std::string &model,
                   std::vector<std::pair<std::string, TensorType>> &out);

  ReplOptions opts;
  /// Files loaded (path and the text read) and definitions typed.
  std::vector<SessionSource> sources;
  std::vector<bool> isFile;
  std::vector<std::pair<std::string, std::string>> constants; ///< name, value
  std::vector<Replayed> replayed;
  std::vector<SessionTensor> tensors;
  /// Every tensor value the compiled code reads (see the file comment).
  nnc_named_tensors values{};
  /// Per instance: optimizer state and step counts of `:train`.
  std::map<std::string, nnc_named_tensors> trainState;
  /// Models whose train blocks were defined, newest last.
  std::vector<std::string> trainModels;
  /// Names sema saw in scope after the last input (tab completion).
  std::vector<std::string> scopeNames;
  unsigned inputs = 0;
  bool quit = false;
};

/// Where the word being completed starts in `before` (the text left of
/// the cursor): a name, or a `:command`.
size_t completionWordStart(llvm::StringRef before);

/// Tensor type text of a runtime tensor: `f32[2, 3]`.
std::string tensorTypeText(const nnc_tensor &t);

} // namespace nnc

#endif // NNC_REPL_SESSION_H
