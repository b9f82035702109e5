#include "hvagent/api/validation.h"

#include "hvagent/common/names.h"

#include <algorithm>
#include <cctype>

namespace hvagent::api {

namespace {

bool AllOf(std::string_view value, std::string_view extra) {
  return std::all_of(value.begin(), value.end(), [extra](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           extra.find(c) != std::string_view::npos;
  });
}

Status Invalid(std::string_view field, std::string_view rule) {
  return absl::InvalidArgumentError(fmt::format("{}: {}", field, rule));
}

}  // namespace

Status ValidateVlanId(std::string_view field, uint32_t value, bool allow_untagged) {
  if (value == 0 && allow_untagged) return absl::OkStatus();
  if (value < 1 || value > 4094) {
    return Invalid(field, allow_untagged
                              ? fmt::format("must be 0 (untagged) or 1–4094 (is {})", value)
                              : fmt::format("must be 1–4094 (is {})", value));
  }
  return absl::OkStatus();
}

Status ValidateRequestId(std::string_view value) {
  if (value.empty()) return absl::OkStatus();
  if (value.size() > 128 || !AllOf(value, "_.:-")) {
    return Invalid("request_id", "must be 1–128 characters [A-Za-z0-9_.:-]");
  }
  return absl::OkStatus();
}

Status ValidateExpectedGeneration(int64_t value) {
  if (value < 0) return Invalid("expected_generation", "must be 0 (no check) or positive");
  return absl::OkStatus();
}

Status ValidatePageSize(uint32_t value) {
  if (value > 1000) return Invalid("page.page_size", fmt::format("must be 0–1000 (is {})", value));
  return absl::OkStatus();
}

Status ValidatePage(uint32_t page_size, std::string_view page_token) {
  HVAGENT_RETURN_IF_ERROR(ValidatePageSize(page_size));
  // A token is the last name of the previous page: anything else was not
  // handed out by this agent.
  if (!page_token.empty() && !ValidateResourceName("page.page_token", page_token).ok()) {
    return Invalid("page.page_token", "is not a token from a previous page of this list");
  }
  return absl::OkStatus();
}

}  // namespace hvagent::api
