// Conversions between hvagent.v1's migration messages and compute's
// MigrationRequest and MigrationStatus (migration_convert.cc), unit-tested.
#pragma once

#include "hvagent/common/status.h"
#include "hvagent/compute/migration_manager.h"
#include "hvagent/v1/vm.pb.h"

namespace hvagent::api {

// INVALID_ARGUMENT naming the field: name, destination,
// destination_libvirt_uri ("scheme://…"), migration_uri ("tcp://host[:port]").
StatusOr<compute::MigrationRequest> MigrationRequestFromProto(const v1::MigrateVmRequest& request);
void MigrationToProto(const compute::MigrationStatus& status, v1::Migration* out);

}  // namespace hvagent::api
