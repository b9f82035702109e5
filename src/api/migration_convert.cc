#include "hvagent/api/migration_convert.h"

#include <algorithm>
#include <cctype>

#include "hvagent/common/names.h"

namespace hvagent::api {

namespace {
// "scheme://rest", the scheme letters, digits and "+-.": libvirt parses the rest.
bool LooksLikeUri(const std::string& uri) {
  const auto sep = uri.find("://");
  if (sep == std::string::npos || sep == 0) return false;
  for (size_t i = 0; i < sep; ++i) {
    const char c = uri[i];
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.')) {
      return false;
    }
  }
  return uri.size() > sep + 3;
}

v1::MigrationState ToMigrationState(const compute::MigrationStatus& status) {
  switch (status.state) {
    case OperationState::kRunning:
      return status.phase == "migrating" || status.phase == "cleaning up"
                 ? v1::MIGRATION_STATE_RUNNING
                 : v1::MIGRATION_STATE_PREPARING;
    case OperationState::kSucceeded: return v1::MIGRATION_STATE_COMPLETED;
    case OperationState::kFailed: return v1::MIGRATION_STATE_FAILED;
    case OperationState::kCancelled: return v1::MIGRATION_STATE_CANCELLED;
  }
  return v1::MIGRATION_STATE_UNSPECIFIED;
}
}  // namespace

StatusOr<compute::MigrationRequest> MigrationRequestFromProto(const v1::MigrateVmRequest& request) {
  HVAGENT_RETURN_IF_ERROR(ValidateResourceName("name", request.name()));
  if (request.destination().empty()) {
    return absl::InvalidArgumentError(
        "destination: is required (the destination agent's endpoint, e.g. \"host2:7443\" or "
        "\"unix:/run/hvagent/hvagent.sock\")");
  }
  if (!LooksLikeUri(request.destination_libvirt_uri())) {
    return absl::InvalidArgumentError(fmt::format(
        "destination_libvirt_uri: '{}' is not a libvirt URI (e.g. \"qemu+tls://host2/system\")",
        request.destination_libvirt_uri()));
  }
  if (!request.migration_uri().empty() && !request.migration_uri().starts_with("tcp://")) {
    return absl::InvalidArgumentError(fmt::format(
        "migration_uri: '{}' must be tcp://HOST[:PORT] (or empty)", request.migration_uri()));
  }
  if (request.max_downtime_ms() > 60000) {
    return absl::InvalidArgumentError(
        fmt::format("max_downtime_ms: {} is over 60000", request.max_downtime_ms()));
  }
  return compute::MigrationRequest{.vm_name = request.name(),
                                   .destination = request.destination(),
                                   .destination_libvirt_uri = request.destination_libvirt_uri(),
                                   .stream_uri = request.migration_uri(),
                                   .live = request.live(),
                                   .max_bandwidth_mibps = request.max_bandwidth_mibps(),
                                   .max_downtime_ms = request.max_downtime_ms(),
                                   .auto_converge = request.auto_converge()};
}

void MigrationToProto(const compute::MigrationStatus& status, v1::Migration* out) {
  out->set_id(status.id);
  out->set_vm_name(status.vm_name);
  out->set_destination(status.destination);
  out->set_state(ToMigrationState(status));
  out->set_live(status.live);
  out->set_phase(status.phase);
  out->set_data_total_bytes(status.data_total_bytes);
  out->set_data_remaining_bytes(status.data_remaining_bytes);
  out->set_data_processed_bytes(status.data_processed_bytes);
  out->set_downtime_ms(status.downtime_ms);
  uint32_t percent = 0;
  if (status.state == OperationState::kSucceeded) {
    percent = 100;
  } else if (status.data_total_bytes > 0) {
    percent = static_cast<uint32_t>(
        std::min<uint64_t>(99, status.data_processed_bytes * 100 / status.data_total_bytes));
  }
  out->set_percent(percent);
  if (!status.result.ok()) out->set_error(std::string(status.result.message()));
}

}  // namespace hvagent::api
