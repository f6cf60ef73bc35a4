//===- Numbers.h - One strict reader of numbers in text ---------*- C++ -*-===//
//
// Numbers come into the runtime from command lines (a training
// executable's --epochs, --seed), CSV cells and NPY headers. Each is read
// here, and only a string that is a number and nothing else is one: no
// leading spaces or trailing text ("12abc"), no text after an embedded NUL
// ("5\0000"), no value that does not fit (std::strto* would clamp it to
// the largest one), and no sign where the caller wants a count.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_RUNTIME_NUMBERS_H
#define NNC_RUNTIME_NUMBERS_H

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace nnc::rt {

/// `s` as a decimal integer (a leading '-' only with `allowSign`).
inline bool parseInt(const std::string &s, int64_t &out,
                     bool allowSign = true) {
  if (s.empty() || s.size() != std::char_traits<char>::length(s.c_str()))
    return false;
  size_t digits = s[0] == '-' && allowSign ? 1 : 0;
  if (digits == s.size())
    return false;
  for (size_t k = digits; k < s.size(); ++k)
    if (s[k] < '0' || s[k] > '9')
      return false;
  errno = 0;
  long long v = std::strtoll(s.c_str(), nullptr, 10);
  if (errno == ERANGE)
    return false;
  out = v;
  return true;
}

/// `s` as an unsigned decimal integer (no sign).
inline bool parseUInt(const std::string &s, uint64_t &out) {
  if (s.empty() || s.size() != std::char_traits<char>::length(s.c_str()))
    return false;
  for (char c : s)
    if (c < '0' || c > '9')
      return false;
  errno = 0;
  unsigned long long v = std::strtoull(s.c_str(), nullptr, 10);
  if (errno == ERANGE)
    return false;
  out = v;
  return true;
}

/// `s` as a floating-point number (strtod's syntax, the whole string;
/// "nan" and "inf" included: callers that cannot take them check).
inline bool parseDouble(const std::string &s, double &out) {
  if (s.empty() || s.size() != std::char_traits<char>::length(s.c_str()) ||
      s[0] == ' ' || s[0] == '\t')
    return false;
  char *end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() ||
      (errno == ERANGE && v != 0.0 && (v > 1.0 || v < -1.0)))
    return false;
  out = v;
  return true;
}

} // namespace nnc::rt

#endif
