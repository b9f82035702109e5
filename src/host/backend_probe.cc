#include "hvagent/host/backend_probe.h"

#include "hvagent/libvirt/connection.h"

namespace hvagent::host {

namespace {

class LibvirtProbe final : public BackendProbe {
 public:
  explicit LibvirtProbe(libvirt::ConnectionManager& libvirt) : libvirt_(libvirt) {}
  std::string name() const override { return "libvirt"; }
  std::string endpoint() const override { return libvirt_.uri(); }

  StatusOr<std::string> Probe() override {
    HVAGENT_ASSIGN_OR_RETURN(auto conn, libvirt_.Get());
    return conn->LibvirtVersion();
  }

 private:
  libvirt::ConnectionManager& libvirt_;
};

}  // namespace

std::unique_ptr<BackendProbe> MakeLibvirtProbe(libvirt::ConnectionManager& libvirt) {
  return std::make_unique<LibvirtProbe>(libvirt);
}

}  // namespace hvagent::host
