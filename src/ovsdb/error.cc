#include "hvagent/ovsdb/error.h"

#include "absl/strings/cord.h"

namespace hvagent::ovsdb {

namespace {

absl::string_view ToAbsl(std::string_view s) { return {s.data(), s.size()}; }

}  // namespace

Status TransactionError(std::string_view tag, std::string_view details) {
  return WithErrorTag(
      absl::FailedPreconditionError(fmt::format("ovsdb transaction failed: {}: {}", tag, details)),
      tag);
}

Status WithErrorTag(Status status, std::string_view tag) {
  if (!status.ok()) status.SetPayload(ToAbsl(kErrorTagTypeUrl), absl::Cord(ToAbsl(tag)));
  return status;
}

std::optional<std::string> ErrorTag(const Status& status) {
  const auto payload = status.GetPayload(ToAbsl(kErrorTagTypeUrl));  // an absl::optional<Cord>
  if (!payload) return std::nullopt;
  return std::string(*payload);
}

bool HasErrorTag(const Status& status, std::string_view tag) {
  const std::optional<std::string> found = ErrorTag(status);
  return found && *found == tag;
}

}  // namespace hvagent::ovsdb
