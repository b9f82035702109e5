// Which domain type this host can really run. KVM may be offered (the module
// is loaded, /dev/kvm exists) yet unable to run a 64-bit guest at a usable
// speed, as in nested set-ups without hardware help: such a host enters long
// mode but a Linux guest never gets past its decompressor. So KVM is chosen
// only after a probe guest, built with the project (probe/long_mode_probe.S),
// has run 64-bit code under it and said so on its serial port in time.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "hvagent/compute/probe_domain_name.h"
#include "hvagent/compute/vm_config.h"
#include "hvagent/libvirt/connection.h"

namespace hvagent::compute {

// The probe guest: a flat multiboot image that enters long mode and prints
// "hvagent-probe: ok" on COM1 after a few MiB of work (embedded at build time).
std::string_view LongModeProbeImage();

struct ProbeOptions {
  // The image and the serial log are written here (created if missing).
  std::string work_dir;
  // How long the started guest gets to print its "ok" marker.
  std::chrono::milliseconds deadline{3000};
  // The guest to boot; tests pass one that never proves itself.
  std::string_view image = LongModeProbeImage();
};

// What one boot of the probe guest showed.
struct ProbeRun {
  enum class Outcome {
    kRan,           // "ok" within the deadline: 64-bit code ran, and fast enough
    kLongModeOnly,  // entered long mode, but did not finish its work in time
    kSilent,        // printed nothing of its markers in time
    kNotStarted,    // libvirt or QEMU refused to start it
  };
  Outcome outcome = Outcome::kNotStarted;
  std::chrono::milliseconds elapsed{0};
  std::string error;  // why it did not start (kNotStarted)
};

// Boots `options.image` as a transient domain of `type` and waits for its
// markers; the domain is destroyed before this returns, whatever happened.
ProbeRun RunProbeGuest(libvirt::Connection& conn, DomainType type, const ProbeOptions& options);

// What the agent uses, and why, in one line ("qemu: KVM offered but …").
struct DomainTypeChoice {
  DomainType type = DomainType::kQemu;
  std::string reason;
  // False when the answer may change while the host does not (the probe
  // guest did not start: libvirt or memory may be short just now), so it is
  // not recorded for later starts (domain_type_record.h).
  bool lasting = true;
};

// The decision, pure: libvirt's offer and what the KVM run showed (no run
// when KVM is not offered).
DomainTypeChoice DecideDomainType(bool kvm_offered, const std::optional<ProbeRun>& kvm_run,
                                  std::chrono::milliseconds deadline);

// True when libvirt's capabilities offer KVM for x86_64 HVM guests.
StatusOr<bool> OffersKvm(libvirt::Connection& conn);

// Destroys probe domains an agent killed mid-probe left running.
void RemoveStaleProbeDomains(libvirt::Connection& conn);

// The whole probe: removes stale probe domains, asks libvirt, boots the probe
// guest under KVM when offered, and decides.
StatusOr<DomainTypeChoice> ProbeDomainType(libvirt::Connection& conn, const ProbeOptions& options);

}  // namespace hvagent::compute
