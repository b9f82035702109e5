// A libvirt domain handle with the operations the agent uses, each returning
// a Status that carries libvirt's own error.
#pragma once

#include <optional>
#include <string>

#include "hvagent/common/status.h"
#include "hvagent/libvirt/domain_state.h"
#include "hvagent/libvirt/handles.h"

namespace hvagent::libvirt {

class Domain {
 public:
  explicit Domain(DomainHandle handle);

  // Cached at construction: error paths must not call into libvirt before the
  // last error is read, and every libvirt call resets it.
  const std::string& Name() const { return name_; }
  StatusOr<std::string> Uuid() const;
  StatusOr<DomainState> State() const;
  StatusOr<std::string> XmlDesc(unsigned int flags = 0) const;
  // The persistent definition (what the next boot uses), not the live state.
  StatusOr<std::string> PersistentXml() const { return XmlDesc(VIR_DOMAIN_XML_INACTIVE); }

  struct Info {
    uint64_t cpu_time_ns = 0;
    uint64_t memory_kib = 0;  // in use now
    uint32_t vcpus = 0;
  };
  StatusOr<Info> GetInfo() const;

  Status Start();
  Status Destroy();
  Status Undefine();
  // Whether libvirtd starts it when the host boots.
  StatusOr<bool> Autostart() const;
  Status SetAutostart(bool autostart);
  // ACPI power button / reboot request: the guest decides.
  Status Shutdown();
  Status Reboot();
  // Hard reset, as the reset button.
  Status Reset();
  Status Suspend();
  Status Resume();
  // Hot-plugs / unplugs a device (its XML) in the running domain only; the
  // persistent definition is the caller's to update.
  Status AttachLiveDevice(std::string_view device_xml);
  Status DetachLiveDevice(std::string_view device_xml);

  // The running domain's own metadata element under namespace `uri` (gone
  // when it stops): nullopt when there is none.
  StatusOr<std::optional<std::string>> LiveMetadata(const std::string& uri) const;
  Status SetLiveMetadata(const std::string& element_xml, const std::string& prefix,
                         const std::string& uri);

  virDomainPtr raw() const { return handle_.get(); }

 private:
  DomainHandle handle_;
  std::string name_;
};

}  // namespace hvagent::libvirt
