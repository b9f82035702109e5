// Which RFC 7047 error made an OVSDB operation fail, carried on the Status as
// a typed payload, so callers test the error's tag instead of searching the
// message text. The client sets it on every transaction that the server
// refused (FAILED_PRECONDITION): the "error" string of the failed operation's
// result (RFC 7047 §5.2), or of the commit.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "hvagent/common/status.h"

namespace hvagent::ovsdb {

// The payload's type URL on an absl::Status.
inline constexpr std::string_view kErrorTagTypeUrl = "type.hvagent.dev/hvagent.ovsdb.ErrorTag";

// The error tags of RFC 7047 (§4.1.3, §5.2) and ovsdb-server(7); the server may
// send others, which ErrorTag returns as they are.
namespace error_tag {
// A "wait" whose condition does not hold when its timeout (0: at once) expires:
// a guard the caller put in the transaction found the rows changed or absent.
inline constexpr std::string_view kTimedOut = "timed out";
inline constexpr std::string_view kConstraintViolation = "constraint violation";
inline constexpr std::string_view kReferentialIntegrityViolation =
    "referential integrity violation";
inline constexpr std::string_view kResourcesExhausted = "resources exhausted";
inline constexpr std::string_view kIoError = "I/O error";
inline constexpr std::string_view kDuplicateUuidName = "duplicate uuid-name";
inline constexpr std::string_view kDomainError = "domain error";
inline constexpr std::string_view kRangeError = "range error";
inline constexpr std::string_view kNotOwner = "not owner";
inline constexpr std::string_view kNotSupported = "not supported";
inline constexpr std::string_view kAborted = "aborted";
// ovsdb-server(7): an operation it cannot parse, and RBAC refusals.
inline constexpr std::string_view kSyntaxError = "syntax error";
inline constexpr std::string_view kPermissionError = "permission error";
}  // namespace error_tag

// FAILED_PRECONDITION "ovsdb transaction failed: <tag>: <details>", tagged.
Status TransactionError(std::string_view tag, std::string_view details);
// `status` (any code and message) tagged with `tag`.
Status WithErrorTag(Status status, std::string_view tag);
// The tag on `status`, if it has one.
std::optional<std::string> ErrorTag(const Status& status);
// Whether `status` carries exactly `tag`.
bool HasErrorTag(const Status& status, std::string_view tag);

}  // namespace hvagent::ovsdb
