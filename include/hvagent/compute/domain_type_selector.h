// The domain type guests run under on this host, chosen once per agent run
// by compute.domain_type: "auto" probes (domain_type_probe.h), "qemu" skips
// the probe, "kvm" probes and refuses to go on when KVM cannot run guests.
// With a store, a probe's verdict is reused by later runs on the same host
// (domain_type_record.h).
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "hvagent/common/status.h"
#include "hvagent/compute/domain_type_probe.h"
#include "hvagent/store/domain_type_verdict_store.h"

namespace hvagent::compute {

enum class DomainTypeSetting { kAuto, kKvm, kQemu };

// "auto", "kvm" or "qemu"; INVALID_ARGUMENT naming `key` otherwise.
StatusOr<DomainTypeSetting> ParseDomainTypeSetting(std::string_view value, std::string_view key);

class DomainTypeSelector {
 public:
  // `records` (may be null: probe at every run) must outlive this object.
  DomainTypeSelector(DomainTypeSetting setting, ProbeOptions options,
                     store::DomainTypeVerdictStore* records = nullptr)
      : setting_(setting), options_(std::move(options)), records_(records) {}

  // The choice, probing on the first call that has a connection; later calls
  // return the kept choice. With kKvm, FAILED_PRECONDITION naming the reason
  // when the probe finds KVM unusable (and again on every later call).
  StatusOr<DomainTypeChoice> Choose(libvirt::Connection& conn);

  // The choice made so far, if any (never probes): what GetHost reports.
  std::optional<DomainTypeChoice> Current() const;

 private:
  const DomainTypeSetting setting_;
  const ProbeOptions options_;
  store::DomainTypeVerdictStore* const records_;
  std::mutex probe_mu_;    // one probe at a time; held while it runs
  mutable std::mutex mu_;  // the result only: Current() never waits for a probe
  std::optional<DomainTypeChoice> choice_;
  Status refused_;
};

}  // namespace hvagent::compute
