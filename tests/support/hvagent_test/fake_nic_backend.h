// The host side of VM NICs and the networks they join, in memory, for unit
// tests of the VM layer and of migration: compute::NicBackend and
// compute::NetworkResolver fakes whose methods can be made to fail.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "hvagent/compute/nic_backend.h"

namespace hvagent::testing {

// The host side of NICs, in memory: which taps are plugged, on which VLAN,
// for which VM. Any method can be made to fail.
class FakeNics final : public compute::NicBackend {
 public:
  struct Plugged {
    std::string vm_uuid;
    compute::NicConfig nic;
  };

  // `clock` tells when each Attach happened (the hypervisor's call count).
  explicit FakeNics(std::function<size_t()> clock = [] { return size_t{0}; })
      : clock_(std::move(clock)) {}

  // A VM's NICs are attached at once (compute::AttachNics): Attach alone may
  // run on several threads.
  Status Attach(const std::string& vm_uuid, const compute::NicConfig& nic) override {
    if (during_attach) during_attach(nic);
    std::lock_guard lock(attach_mu_);
    calls.push_back("Attach " + nic.mac);
    attached_at.push_back(clock_());
    if (auto it = failures.find("Attach"); it != failures.end()) return it->second;
    if (auto it = attach_failures.find(nic.mac); it != attach_failures.end()) return it->second;
    plugged[nic.tap] = {vm_uuid, nic};
    return absl::OkStatus();
  }
  Status ApplyQos(const compute::NicConfig& nic) override {
    calls.push_back("ApplyQos " + nic.mac);
    if (auto it = failures.find("ApplyQos"); it != failures.end()) return it->second;
    if (auto it = plugged.find(nic.tap); it != plugged.end()) it->second.nic.qos = nic.qos;
    return absl::OkStatus();
  }
  Status Detach(const compute::NicConfig& nic) override {
    calls.push_back("Detach " + nic.mac);
    if (auto it = failures.find("Detach"); it != failures.end()) return it->second;
    plugged.erase(nic.tap);
    portless_taps.erase(nic.tap);
    return absl::OkStatus();
  }
  StatusOr<std::multimap<std::string, compute::NicConfig>> ListAttached() override {
    calls.emplace_back("ListAttached");
    if (auto it = failures.find("ListAttached"); it != failures.end()) return it->second;
    std::multimap<std::string, compute::NicConfig> all;
    for (const auto& [tap, p] : plugged) all.emplace(p.vm_uuid, p.nic);
    return all;
  }

  StatusOr<std::vector<std::string>> ListTaps() override {
    calls.emplace_back("ListTaps");
    if (auto it = failures.find("ListTaps"); it != failures.end()) return it->second;
    std::vector<std::string> taps = Taps();
    taps.insert(taps.end(), portless_taps.begin(), portless_taps.end());
    return taps;
  }

  std::vector<std::string> Taps() const {
    std::vector<std::string> taps;
    for (const auto& [tap, p] : plugged) taps.push_back(tap);
    return taps;
  }

  std::map<std::string, Plugged> plugged;         // by tap
  std::set<std::string> portless_taps;            // taps an attach or detach cut short left
  std::map<std::string, Status> failures;         // by method
  std::map<std::string, Status> attach_failures;  // Attach's, by NIC MAC
  std::vector<std::string> calls;
  std::vector<size_t> attached_at;
  // Called first in each Attach, on the attaching thread, with no lock held.
  std::function<void(const compute::NicConfig&)> during_attach;

 private:
  std::mutex attach_mu_;
  std::function<size_t()> clock_;
};

class FakeNetworks final : public compute::NetworkResolver {
 public:
  StatusOr<compute::ResolvedNetwork> Resolve(const std::string& network) override {
    const auto it = networks.find(network);
    if (it == networks.end()) {
      return absl::NotFoundError(fmt::format("network '{}' does not exist", network));
    }
    return it->second;
  }

  std::map<std::string, compute::ResolvedNetwork> networks = {
      {"vlan.10", {.bridge = "br0", .vlan_id = 10}},
      {"vlan.20", {.bridge = "br0", .vlan_id = 20}},
      {"elsewhere", {.bridge = "br1", .vlan_id = 30}},
  };
};

}  // namespace hvagent::testing
