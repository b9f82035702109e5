// One libvirt connection. virConnectPtr is thread-safe, so one Connection may be
// shared by the agent's workers.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hvagent/common/status.h"
#include "hvagent/libvirt/domain.h"
#include "hvagent/libvirt/handles.h"

namespace hvagent::libvirt {

class Connection {
 public:
  // Opens `uri` read-write, e.g. "qemu:///system" or "test:///default".
  // UNAVAILABLE when libvirtd cannot be reached.
  static StatusOr<std::unique_ptr<Connection>> Open(const std::string& uri);

  const std::string& uri() const { return uri_; }
  bool IsAlive() const;

  // libvirt's version as major.minor.release.
  StatusOr<std::string> LibvirtVersion() const;
  StatusOr<std::string> Hostname() const;
  StatusOr<std::string> CapabilitiesXml() const;

  // Persistently defines a domain from its XML description.
  StatusOr<Domain> DefineDomain(std::string_view xml);
  StatusOr<Domain> LookupDomainByName(const std::string& name);
  // Starts a domain that leaves no definition behind when it stops.
  StatusOr<Domain> CreateTransientDomain(std::string_view xml);
  // Every domain, defined or running.
  StatusOr<std::vector<Domain>> ListAllDomains();

  // PCI passthrough through libvirt's node devices ("pci_0000_3b_00_0"):
  // detach unbinds the host driver and binds vfio-pci (virNodeDeviceDetachFlags
  // with "vfio"); re-attach gives the device back to its host driver.
  Status DetachPciNodeDevice(const std::string& node_device_name);
  Status ReattachPciNodeDevice(const std::string& node_device_name);

  virConnectPtr raw() const { return handle_.get(); }

 private:
  Connection(std::string uri, ConnectHandle handle)
      : uri_(std::move(uri)), handle_(std::move(handle)) {}

  std::string uri_;
  ConnectHandle handle_;
};

}  // namespace hvagent::libvirt
