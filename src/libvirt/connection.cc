#include "hvagent/libvirt/connection.h"

#include "hvagent/libvirt/libvirt_error.h"

namespace hvagent::libvirt {

StatusOr<std::unique_ptr<Connection>> Connection::Open(const std::string& uri) {
  InstallErrorHandler();
  ConnectHandle handle(virConnectOpen(uri.c_str()));
  if (!handle) {
    Status error = LastLibvirtError(fmt::format("connect to libvirt at '{}'", uri));
    // Whatever the cause (no socket, refused, daemon gone), the caller may
    // retry: only a refusal by policy is not transient.
    if (error.code() != absl::StatusCode::kPermissionDenied) {
      return absl::UnavailableError(error.message());
    }
    return error;
  }
  return std::unique_ptr<Connection>(new Connection(uri, std::move(handle)));
}

bool Connection::IsAlive() const { return virConnectIsAlive(handle_.get()) == 1; }

StatusOr<std::string> Connection::LibvirtVersion() const {
  unsigned long version = 0;  // NOLINT(google-runtime-int): libvirt's type
  if (virConnectGetLibVersion(handle_.get(), &version) < 0) {
    return LastLibvirtError("virConnectGetLibVersion");
  }
  return fmt::format("{}.{}.{}", version / 1000000, (version / 1000) % 1000, version % 1000);
}

StatusOr<std::string> Connection::Hostname() const {
  OwnedCString name(virConnectGetHostname(handle_.get()));
  if (!name) {
    return LastLibvirtError("virConnectGetHostname");
  }
  return std::string(name.get());
}

StatusOr<std::string> Connection::CapabilitiesXml() const {
  OwnedCString xml(virConnectGetCapabilities(handle_.get()));
  if (!xml) {
    return LastLibvirtError("virConnectGetCapabilities");
  }
  return std::string(xml.get());
}

StatusOr<Domain> Connection::DefineDomain(std::string_view xml) {
  const std::string copy(xml);
  DomainHandle dom(virDomainDefineXML(handle_.get(), copy.c_str()));
  if (!dom) {
    return LastLibvirtError("define domain");
  }
  return Domain(std::move(dom));
}

Status Connection::DetachPciNodeDevice(const std::string& node_device_name) {
  NodeDeviceHandle dev(virNodeDeviceLookupByName(handle_.get(), node_device_name.c_str()));
  if (!dev) return LastLibvirtError(fmt::format("look up node device {}", node_device_name));
  if (virNodeDeviceDetachFlags(dev.get(), "vfio", 0) < 0) {
    return LastLibvirtError(fmt::format("detach {} to vfio-pci", node_device_name));
  }
  return absl::OkStatus();
}

Status Connection::ReattachPciNodeDevice(const std::string& node_device_name) {
  NodeDeviceHandle dev(virNodeDeviceLookupByName(handle_.get(), node_device_name.c_str()));
  if (!dev) return LastLibvirtError(fmt::format("look up node device {}", node_device_name));
  if (virNodeDeviceReAttach(dev.get()) < 0) {
    return LastLibvirtError(fmt::format("re-attach {} to its host driver", node_device_name));
  }
  return absl::OkStatus();
}

StatusOr<Domain> Connection::CreateTransientDomain(std::string_view xml) {
  const std::string copy(xml);
  DomainHandle dom(virDomainCreateXML(handle_.get(), copy.c_str(), 0));
  if (!dom) return LastLibvirtError("start transient domain");
  return Domain(std::move(dom));
}

StatusOr<std::vector<Domain>> Connection::ListAllDomains() {
  virDomainPtr* raw = nullptr;
  const int count = virConnectListAllDomains(handle_.get(), &raw, 0);
  if (count < 0) return LastLibvirtError("list domains");
  // Own every handle first, then the array itself.
  std::vector<Domain> domains;
  domains.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) domains.emplace_back(DomainHandle(raw[i]));
  OwnedCString array(reinterpret_cast<char*>(raw));
  return domains;
}

StatusOr<Domain> Connection::LookupDomainByName(const std::string& name) {
  DomainHandle dom(virDomainLookupByName(handle_.get(), name.c_str()));
  if (!dom) {
    return LastLibvirtError(fmt::format("look up domain '{}'", name));
  }
  return Domain(std::move(dom));
}

}  // namespace hvagent::libvirt
