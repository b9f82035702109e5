#include "hvagent/store/schema.h"

#include <array>

namespace hvagent::store {

namespace {
// STRICT tables: a value of the wrong type is an error, not silently kept.
constexpr std::array<std::string_view, 8> kMigrations = {
    // 1: networks, named VLANs on a bridge.
    R"sql(
CREATE TABLE networks (
  name TEXT NOT NULL PRIMARY KEY CHECK (name <> ''),
  uuid TEXT NOT NULL UNIQUE,
  bridge TEXT NOT NULL,
  vlan_id INTEGER NOT NULL CHECK (vlan_id BETWEEN 0 AND 4094),
  created_unix_ms INTEGER NOT NULL,
  generation INTEGER NOT NULL
) STRICT;
)sql",
    // 2: outcomes of mutating API calls by request_id, pruned by age.
    R"sql(
CREATE TABLE requests (
  request_id TEXT NOT NULL PRIMARY KEY CHECK (request_id <> ''),
  method TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  status_code INTEGER NOT NULL,
  status_message TEXT NOT NULL,
  response BLOB NOT NULL,
  created_unix_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX requests_by_age ON requests (created_unix_ms);
)sql",
    // 3: PCI endpoints handed to vfio-pci (or being), recorded before each
    // step so a restarted agent finishes what a killed one began.
    R"sql(
CREATE TABLE passthrough_devices (
  address TEXT NOT NULL PRIMARY KEY CHECK (address <> ''),
  vendor_device TEXT NOT NULL,
  intent TEXT NOT NULL CHECK (intent IN ('bound', 'released')),
  done INTEGER NOT NULL CHECK (done IN (0, 1)),
  updated_unix_ms INTEGER NOT NULL
) STRICT;
)sql",
    // 4: the cluster CPU baseline every domain is held to (one row, or none).
    R"sql(
CREATE TABLE cpu_baseline (
  id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
  cpu_xml TEXT NOT NULL CHECK (cpu_xml <> ''),
  set_unix_ms INTEGER NOT NULL
) STRICT;
)sql",
    // 5: migrations away from this host (compute::MigrationManager), written
    // at start and at each phase or state change, so a restarted agent still
    // answers for the ones it began.
    R"sql(
CREATE TABLE migrations (
  id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
  vm_name TEXT NOT NULL,
  destination TEXT NOT NULL,
  live INTEGER NOT NULL CHECK (live IN (0, 1)),
  state TEXT NOT NULL CHECK (state IN ('running', 'succeeded', 'failed', 'cancelled')),
  phase TEXT NOT NULL,
  error_code INTEGER NOT NULL,
  error_message TEXT NOT NULL,
  data_total_bytes INTEGER NOT NULL,
  data_processed_bytes INTEGER NOT NULL,
  downtime_ms INTEGER NOT NULL,
  started_unix_ms INTEGER NOT NULL,
  updated_unix_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX migrations_by_update ON migrations (updated_unix_ms);
)sql",
    // 6: service chains (docs/service-chains.md): the chain as the API has
    // it (JSON), and the id its flows' cookie carries, fixed at create.
    R"sql(
CREATE TABLE service_chains (
  name TEXT NOT NULL PRIMARY KEY CHECK (name <> ''),
  uuid TEXT NOT NULL UNIQUE,
  cookie_id INTEGER NOT NULL UNIQUE CHECK (cookie_id > 0),
  spec_json TEXT NOT NULL,
  created_unix_ms INTEGER NOT NULL,
  generation INTEGER NOT NULL
) STRICT;
)sql",
    // 7: a mutating call's intent, recorded before it acts: 'pending' until
    // it answers. A retry (or the agent's restart) resumes a pending one with
    // the request it recorded and the values it generated (MACs, UUIDs).
    R"sql(
ALTER TABLE requests ADD COLUMN state TEXT NOT NULL DEFAULT 'done'
  CHECK (state IN ('pending', 'done'));
ALTER TABLE requests ADD COLUMN request BLOB NOT NULL DEFAULT x'';
ALTER TABLE requests ADD COLUMN generated TEXT NOT NULL DEFAULT '{}';
)sql",
    // 8: the domain-type probe's last verdict (one row, or none), with the
    // host identity it was found on: a start on the same identity reuses it
    // instead of booting the probe guest again (compute/domain_type_record.h).
    R"sql(
CREATE TABLE domain_type_verdict (
  id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
  host_key TEXT NOT NULL CHECK (host_key <> ''),
  domain_type TEXT NOT NULL CHECK (domain_type IN ('kvm', 'qemu')),
  reason TEXT NOT NULL,
  probed_unix_ms INTEGER NOT NULL
) STRICT;
)sql",
};
}  // namespace

std::span<const std::string_view> SchemaMigrations() { return kMigrations; }

}  // namespace hvagent::store
