//===- Repl.cpp - The loop of `nnc repl` ----------------------------------===//
//
// On a terminal, lines are read with llvm::LineEditor (libedit): history
// kept in ~/.nnc-history, Tab completing commands and names. Ctrl-C at the
// prompt abandons the line; during `:train` the training loop's own
// handler stops at the next step and the session goes on; Ctrl-D leaves.
// From a pipe (`nnc repl < script.txt`) each prompt and input is echoed
// before its result, so a script's output reads like a session.
//
//===----------------------------------------------------------------------===//
#include "repl/Repl.h"
#include "lexer/Lexer.h"
#include "support/Diagnostics.h"

#include "llvm/LineEditor/LineEditor.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <csignal>
#include <cstdio>
#include <iostream>
#include <unistd.h>

using namespace nnc;

#ifndef NNC_VERSION
#define NNC_VERSION "0.0.0"
#endif

namespace {
volatile std::sig_atomic_t interruptedAtPrompt = 0;

void onInterrupt(int) { interruptedAtPrompt = 1; }

/// SIGINT sets a flag instead of ending the process while the REPL runs
/// (no SA_RESTART, so that a read at the prompt returns).
struct PromptInterrupts {
  struct sigaction old{};
  PromptInterrupts() {
    struct sigaction sa{};
    sa.sa_handler = onInterrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
  }
  ~PromptInterrupts() { sigaction(SIGINT, &old, nullptr); }
};

const char *kPrompt = "nn> ";
const char *kMore = "..> ";
} // namespace

int nnc::openBrackets(llvm::StringRef text) {
  llvm::SourceMgr sm;
  DiagnosticEngine quiet(sm);
  quiet.setQuiet(true);
  Lexer lexer(text, quiet);
  int depth = 0;
  for (Token t = lexer.next(); !t.is(TokenKind::Eof); t = lexer.next()) {
    if (t.is(TokenKind::LParen) || t.is(TokenKind::LBracket) ||
        t.is(TokenKind::LBrace))
      ++depth;
    else if (t.is(TokenKind::RParen) || t.is(TokenKind::RBracket) ||
             t.is(TokenKind::RBrace))
      --depth;
    if (quiet.tooMany())
      break;
  }
  return depth;
}

/// Feeds lines to the session, joining them while a bracket is open.
class LineJoiner {
public:
  explicit LineJoiner(Session &s) : session(s) {}
  /// Takes one line; returns false if a complete input failed.
  bool add(const std::string &line) {
    pending += line;
    pending += "\n";
    if (openBrackets(pending) > 0)
      return true;
    std::string input;
    input.swap(pending);
    std::fflush(stdout);
    return session.eval(input);
  }
  bool continuing() const { return !pending.empty(); }
  void clear() { pending.clear(); }

private:
  Session &session;
  std::string pending;
};

static int runScript(Session &session) {
  LineJoiner joiner(session);
  bool failed = false;
  std::string line;
  while (!session.quitRequested() && std::getline(std::cin, line)) {
    llvm::outs() << (joiner.continuing() ? kMore : kPrompt) << line << "\n";
    llvm::outs().flush();
    failed |= !joiner.add(line);
  }
  if (joiner.continuing()) {
    llvm::SourceMgr sm;
    DiagnosticEngine(sm).error("the input ended inside an open bracket");
    failed = true;
  }
  return failed ? 1 : 0;
}

static int runInteractive(Session &session) {
  llvm::LineEditor editor("nnc",
                          llvm::LineEditor::getDefaultHistoryPath("nnc"));
  editor.setListCompleter([&](llvm::StringRef buffer, size_t pos) {
    std::vector<llvm::LineEditor::Completion> out;
    llvm::StringRef before = buffer.substr(0, pos);
    size_t typed = before.size() - completionWordStart(before);
    for (const std::string &c : session.complete(before))
      out.push_back({c.substr(typed), c});
    return out;
  });
  llvm::outs() << "nnc " << NNC_VERSION
               << " REPL: definitions, `let`s and expressions are compiled "
                  "as you type them.\n:help lists the commands; Ctrl-D "
                  "leaves.\n";
  llvm::outs().flush();
  LineJoiner joiner(session);
  PromptInterrupts interrupts;
  while (!session.quitRequested()) {
    editor.setPrompt(joiner.continuing() ? kMore : kPrompt);
    interruptedAtPrompt = 0;
    std::optional<std::string> line = editor.readLine();
    if (interruptedAtPrompt) {
      // Ctrl-C: abandon what was typed, prompt again.
      std::fputs("^C\n", stdout);
      joiner.clear();
      continue;
    }
    if (!line && joiner.continuing()) {
      // Ctrl-D inside an open bracket: the unfinished input is dropped.
      std::fputs("\n(unfinished input dropped; Ctrl-D again leaves)\n",
                 stdout);
      joiner.clear();
      continue;
    }
    if (!line) {
      std::fputs("\n", stdout);
      break;
    }
    joiner.add(*line);
    interruptedAtPrompt = 0;
  }
  editor.saveHistory();
  return 0;
}

int nnc::runRepl(const ReplOptions &opts, const std::string &file) {
  // Results (stdout), diagnostics and training progress (stderr) appear in
  // the order they happen, also when both go to one pipe.
  llvm::outs().SetUnbuffered();
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  Session session(opts);
  bool interactive = isatty(0);
  if (!file.empty() && !session.load(file) && !interactive)
    return 1;
  return interactive ? runInteractive(session) : runScript(session);
}
