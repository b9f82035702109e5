// The project's one result type: absl::Status / absl::StatusOr. Its codes are
// defined to match google.rpc.Code, so the API edge maps them to gRPC 1:1.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "fmt/format.h"

namespace hvagent {

using Status = absl::Status;
template <typename T>
using StatusOr = absl::StatusOr<T>;

// The status's message as a std::string (Debian's Abseil has its own
// string_view type, which does not convert implicitly).
inline std::string MessageOf(const Status& status) {
  return {status.message().data(), status.message().size()};
}

// Prefixes the message with what was being done, keeping the code.
Status Annotate(const Status& status, std::string_view context);

}  // namespace hvagent

// Debian builds Abseil with its own string_view type (not std::string_view),
// which Status::message() returns: let fmt format it, and Status itself.
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<std::string_view> {
  auto format(absl::string_view s, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(std::string_view(s.data(), s.size()), ctx);
  }
};
template <>
struct fmt::formatter<absl::Status> : fmt::formatter<std::string_view> {
  auto format(const absl::Status& s, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(s.ToString(), ctx);
  }
};

#define HVAGENT_CONCAT_INNER_(a, b) a##b
#define HVAGENT_CONCAT_(a, b) HVAGENT_CONCAT_INNER_(a, b)

// Returns the status of `expr` from the enclosing function if it is not OK.
#define HVAGENT_RETURN_IF_ERROR(expr)                                     \
  do {                                                                    \
    if (::absl::Status hvagent_status_ = (expr); !hvagent_status_.ok()) { \
      return hvagent_status_;                                             \
    }                                                                     \
  } while (false)

// Declares `lhs` from a StatusOr, or returns its status if it is not OK.
#define HVAGENT_ASSIGN_OR_RETURN(lhs, expr) \
  HVAGENT_ASSIGN_OR_RETURN_IMPL_(HVAGENT_CONCAT_(hvagent_or_, __LINE__), lhs, expr)
// `tmp` and `lhs` name or declare variables: they cannot be parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define HVAGENT_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) {                                     \
    return std::move(tmp).status();                    \
  }                                                    \
  lhs = *std::move(tmp)
// NOLINTEND(bugprone-macro-parentheses)
