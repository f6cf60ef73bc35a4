//===- DimExpr.cpp - One spelling per symbolic dimension ------------------===//
//
// Symbolic dimensions are compared by their spelling, and shape functions
// build them as text: a concat of three [B, ...] tensors is `B+B+B`, the
// list `[3 * B, 1]` gives `3*B`. Both are the same size, so they must be
// spelt the same or broadcasting refuses them. A dimension made of names,
// integers, `+`, `-`, `*` and parentheses is read as a polynomial and
// written back in one canonical form (like terms collected, terms by
// degree then name, the constant factor last: `B*3`, `(H*W*4+2)`; a sum
// in parentheses, so that text pasted around it keeps its meaning). A
// parenthesised part with a division (`(H/2)`) is kept as one opaque
// name; anything else unreadable is left as written.
//
//===----------------------------------------------------------------------===//
#include "sema/Types.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <vector>

using namespace nnc;

namespace {
/// Monomials (sorted names, repeated for powers) to their coefficients.
using Poly = std::map<std::vector<std::string>, int64_t>;

class DimParser {
public:
  explicit DimParser(llvm::StringRef s) : s(s) {}
  /// The polynomial, or nullopt when `s` is not one (or overflows).
  std::optional<Poly> parse() {
    auto p = sum();
    if (!p || at != s.size())
      return std::nullopt;
    return p;
  }

private:
  llvm::StringRef s;
  size_t at = 0;
  bool overflow = false;

  bool eat(char c) {
    if (at < s.size() && s[at] == c) {
      ++at;
      return true;
    }
    return false;
  }
  void add(Poly &into, const Poly &p, int64_t sign) {
    for (const auto &[m, c] : p) {
      int64_t r = 0, signedC = 0;
      if (llvm::MulOverflow(c, sign, signedC) ||
          llvm::AddOverflow(into[m], signedC, r))
        overflow = true;
      into[m] = r;
      if (into[m] == 0)
        into.erase(m);
    }
  }
  Poly times(const Poly &a, const Poly &b) {
    Poly out;
    for (const auto &[ma, ca] : a)
      for (const auto &[mb, cb] : b) {
        std::vector<std::string> m = ma;
        m.insert(m.end(), mb.begin(), mb.end());
        std::sort(m.begin(), m.end());
        int64_t c;
        if (llvm::MulOverflow(ca, cb, c))
          overflow = true;
        add(out, Poly{{m, c}}, 1);
      }
    return out;
  }
  std::optional<Poly> sum() {
    auto first = product();
    if (!first)
      return std::nullopt;
    Poly out = *first;
    while (at < s.size() && (s[at] == '+' || s[at] == '-')) {
      int64_t sign = s[at++] == '+' ? 1 : -1;
      auto next = product();
      if (!next)
        return std::nullopt;
      add(out, *next, sign);
    }
    if (overflow)
      return std::nullopt;
    return out;
  }
  std::optional<Poly> product() {
    auto first = factor();
    if (!first)
      return std::nullopt;
    Poly out = *first;
    while (eat('*')) {
      auto next = factor();
      if (!next)
        return std::nullopt;
      out = times(out, *next);
    }
    return out;
  }
  std::optional<Poly> factor() {
    if (at >= s.size())
      return std::nullopt;
    if (s[at] == '(') {
      size_t open = at, depth = 0, close = open;
      for (; close < s.size(); ++close) {
        depth += s[close] == '(';
        if (s[close] == ')' && --depth == 0)
          break;
      }
      if (close >= s.size())
        return std::nullopt;
      llvm::StringRef inside = s.slice(open + 1, close);
      bool divides = false; // a '/' outside inner parentheses
      for (size_t k = 0, d = 0; k < inside.size(); ++k) {
        d += inside[k] == '(';
        d -= inside[k] == ')';
        divides |= d == 0 && inside[k] == '/';
      }
      if (divides) { // opaque: a division is not a polynomial
        at = close + 1;
        return Poly{{{s.slice(open, close + 1).str()}, 1}};
      }
      ++at;
      auto p = sum();
      if (!p || !eat(')'))
        return std::nullopt;
      return p;
    }
    if (eat('-')) { // unary minus: how a canonical sum may start
      auto p = factor();
      if (!p)
        return std::nullopt;
      Poly out;
      add(out, *p, -1);
      return out;
    }
    size_t start = at;
    if (std::isdigit(static_cast<unsigned char>(s[at]))) {
      while (at < s.size() && std::isdigit(static_cast<unsigned char>(s[at])))
        ++at;
      int64_t v;
      if (s.slice(start, at).getAsInteger(10, v))
        return std::nullopt;
      return v ? Poly{{{}, v}} : Poly{};
    }
    while (at < s.size() && (std::isalnum(static_cast<unsigned char>(s[at])) ||
                             s[at] == '_' || s[at] == '?'))
      ++at;
    if (at == start)
      return std::nullopt;
    return Poly{{{s.slice(start, at).str()}, 1}};
  }
};
} // namespace

std::string nnc::canonicalDim(llvm::StringRef s) {
  std::optional<Poly> p = DimParser(s).parse();
  if (!p || p->empty() || (p->size() == 1 && p->begin()->first.empty()))
    return s.str(); // not a polynomial, or a constant: as written
  std::vector<std::pair<std::vector<std::string>, int64_t>> terms(p->begin(),
                                                                  p->end());
  std::sort(terms.begin(), terms.end(), [](const auto &a, const auto &b) {
    if (a.first.size() != b.first.size())
      return a.first.size() > b.first.size();
    return a.first < b.first;
  });
  std::string out;
  for (const auto &[names, c] : terms) {
    if (c == INT64_MIN)
      return s.str(); // its magnitude does not fit: as written
    std::string term;
    for (const std::string &n : names)
      term += (term.empty() ? "" : "*") + n;
    int64_t mag = c < 0 ? -c : c;
    if (term.empty())
      term = std::to_string(mag);
    else if (mag != 1)
      term += "*" + std::to_string(mag);
    out += (c < 0 ? "-" : out.empty() ? "" : "+") + term;
  }
  // A sum is parenthesised, so that code pasting it into a product or a
  // difference (`dimProduct`, a symbolic `*` or `-`) keeps its meaning.
  return terms.size() > 1 ? "(" + out + ")" : out;
}
