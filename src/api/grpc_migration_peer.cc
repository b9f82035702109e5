#include "hvagent/api/grpc_migration_peer.h"

#include <chrono>

#include "hvagent/compute/domain_xml.h"
#include "hvagent/v1/migration_peer.grpc.pb.h"

namespace hvagent::api {

namespace {

// A peer agent's answer as the project's Status (the codes are gRPC's).
Status FromGrpc(const grpc::Status& status, std::string_view call) {
  if (status.ok()) return absl::OkStatus();
  return Status(static_cast<absl::StatusCode>(status.error_code()),
                fmt::format("{}: {}", call, status.error_message()));
}

class GrpcMigrationPeer final : public compute::MigrationPeer {
 public:
  explicit GrpcMigrationPeer(std::shared_ptr<grpc::Channel> channel)
      : stub_(v1::MigrationPeerService::NewStub(std::move(channel))) {}

  Status CheckIncoming(const std::string& domain_xml, bool live) override {
    return Call(&Stub::CheckIncomingMigration, "CheckIncomingMigration", domain_xml, live);
  }
  Status PrepareIncoming(const std::string& domain_xml) override {
    return Call(&Stub::PrepareIncomingMigration, "PrepareIncomingMigration", domain_xml, true);
  }
  Status AbortIncoming(const std::string& domain_xml) override {
    return Call(&Stub::AbortIncomingMigration, "AbortIncomingMigration", domain_xml, true);
  }
  StatusOr<compute::MigrationJob> FinishIncoming(const std::string& domain_xml) override {
    v1::IncomingMigrationResponse response;
    HVAGENT_RETURN_IF_ERROR(Call(&Stub::FinishIncomingMigration, "FinishIncomingMigration",
                                 domain_xml, true, &response));
    return compute::MigrationJob{.data_total = response.data_total_bytes(),
                                 .data_processed = response.data_total_bytes(),
                                 .downtime_ms = response.downtime_ms()};
  }

 private:
  using Stub = v1::MigrationPeerService::Stub;
  using Method = grpc::Status (Stub::*)(grpc::ClientContext*, const v1::IncomingMigrationRequest&,
                                        v1::IncomingMigrationResponse*);

  Status Call(Method method, std::string_view name, const std::string& domain_xml, bool live,
              v1::IncomingMigrationResponse* response = nullptr) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::IncomingMigrationRequest request;
    request.set_domain_xml(domain_xml);
    request.set_live(live);
    // The destination orders the changes under the VM's name.
    HVAGENT_ASSIGN_OR_RETURN(const compute::VmConfig config, compute::ParseDomainXml(domain_xml));
    request.set_vm_name(config.name);
    v1::IncomingMigrationResponse ignored;
    return FromGrpc(
        ((*stub_).*method)(&context, request, response != nullptr ? response : &ignored), name);
  }

  std::unique_ptr<Stub> stub_;
};

}  // namespace

compute::MigrationPeerConnector GrpcMigrationPeerConnector(
    std::shared_ptr<grpc::ChannelCredentials> tls) {
  return [tls](const std::string& endpoint) -> StatusOr<std::unique_ptr<compute::MigrationPeer>> {
    std::shared_ptr<grpc::Channel> channel;
    if (endpoint.starts_with("unix:")) {
      channel = grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials());
    } else if (tls != nullptr) {
      channel = grpc::CreateChannel(endpoint, tls);
    } else {
      return absl::FailedPreconditionError(fmt::format(
          "destination '{}': agent-to-agent calls over TCP need mutual TLS (api.tls_cert, "
          "api.tls_key, api.tls_client_ca)",
          endpoint));
    }
    return std::unique_ptr<compute::MigrationPeer>(
        std::make_unique<GrpcMigrationPeer>(std::move(channel)));
  };
}

}  // namespace hvagent::api
