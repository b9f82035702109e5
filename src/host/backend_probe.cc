#include "hvagent/host/backend_probe.h"

#include "hvagent/libvirt/connection.h"
#include "hvagent/ovsdb/jsonrpc_connection.h"

namespace hvagent::host {

namespace {

constexpr auto kOvsdbTimeout = std::chrono::seconds(3);

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

class OvsdbProbe final : public BackendProbe {
 public:
  explicit OvsdbProbe(std::string endpoint) : endpoint_(std::move(endpoint)) {}
  std::string name() const override { return "ovsdb"; }
  std::string endpoint() const override { return endpoint_; }

  StatusOr<std::string> Probe() override {
    if (conn_ && conn_->dead()) conn_.reset();
    if (!conn_) {
      HVAGENT_ASSIGN_OR_RETURN(conn_, ovsdb::JsonRpcConnection::Connect(endpoint_, kOvsdbTimeout));
      // The schema version identifies what the server speaks; read it once per connection.
      auto schema = conn_->Call("get_schema", {"Open_vSwitch"}, kOvsdbTimeout);
      if (!schema.ok()) {
        conn_.reset();
        return schema.status();
      }
      version_ = schema->value("version", "");
    }
    auto echo = conn_->Call("echo", nlohmann::json::array({"hvagent"}), kOvsdbTimeout);
    if (!echo.ok()) {
      conn_.reset();
      return echo.status();
    }
    return version_;
  }

 private:
  std::string endpoint_;
  std::unique_ptr<ovsdb::JsonRpcConnection> conn_;
  std::string version_;
};

}  // namespace

std::unique_ptr<BackendProbe> MakeLibvirtProbe(libvirt::ConnectionManager& libvirt) {
  return std::make_unique<LibvirtProbe>(libvirt);
}

std::unique_ptr<BackendProbe> MakeOvsdbProbe(std::string endpoint) {
  return std::make_unique<OvsdbProbe>(std::move(endpoint));
}

}  // namespace hvagent::host
