// Input rules shared by the services. Each check returns INVALID_ARGUMENT
// naming the field and the rule, or OK. Name rules are common/names.h.
#pragma once

#include <cstdint>
#include <string_view>

#include "hvagent/common/status.h"

namespace hvagent::api {

// A VLAN id: 1–4094, or 0 (untagged) where `allow_untagged`.
Status ValidateVlanId(std::string_view field, uint32_t value, bool allow_untagged);

// An optional request_id: empty, or 1–128 characters [A-Za-z0-9_.:-].
Status ValidateRequestId(std::string_view value);

// An update's expected_generation: 0 (no check) or positive.
Status ValidateExpectedGeneration(int64_t value);

// page_size: 0 (default) to 1000.
Status ValidatePageSize(uint32_t value);
// page_size as above, and page_token empty or one this agent handed out.
Status ValidatePage(uint32_t page_size, std::string_view page_token);

}  // namespace hvagent::api
