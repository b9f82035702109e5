// hvctl: the operator's CLI for hvagentd, in acli's OBJECT.VERB grammar.
// This first cut knows host.get and health; later commands join Commands().
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <functional>
#include <iostream>
#include <map>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "grpc/health/v1/health.grpc.pb.h"
#include "hvagent/v1/host.grpc.pb.h"

namespace {

struct Context {
  std::shared_ptr<grpc::Channel> channel;
  bool json = false;
};

grpc::ClientContext* WithDeadline(grpc::ClientContext& ctx) {
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return &ctx;
}

int Fail(const grpc::Status& status) {
  std::cerr << "hvctl: " << status.error_message() << " (" << status.error_code() << ")\n";
  return 1;
}

void PrintFields(const Context& ctx, const nlohmann::ordered_json& fields) {
  if (ctx.json) {
    std::cout << fields.dump(2) << "\n";
    return;
  }
  size_t width = 0;
  for (const auto& [key, value] : fields.items()) width = std::max(width, key.size());
  for (const auto& [key, value] : fields.items()) {
    std::cout << key << std::string(width - key.size() + 2, ' ')
              << (value.is_string() ? value.get<std::string>() : value.dump()) << "\n";
  }
}

int HostGet(const Context& ctx) {
  auto stub = hvagent::v1::HostService::NewStub(ctx.channel);
  grpc::ClientContext call;
  hvagent::v1::Host host;
  grpc::Status status = stub->GetHost(WithDeadline(call), {}, &host);
  if (!status.ok()) return Fail(status);
  nlohmann::ordered_json fields;
  fields["hostname"] = host.hostname();
  fields["agent_version"] = host.agent_version();
  fields["libvirt_endpoint"] = host.libvirt().endpoint();
  fields["libvirt_state"] = hvagent::v1::BackendState_Name(host.libvirt().state());
  fields["libvirt_version"] = host.libvirt().version();
  fields["ovsdb_endpoint"] = host.ovsdb().endpoint();
  fields["ovsdb_state"] = hvagent::v1::BackendState_Name(host.ovsdb().state());
  fields["ovsdb_version"] = host.ovsdb().version();
  fields["physical_cores"] = host.physical_cores();
  fields["memory_bytes"] = host.memory_bytes();
  PrintFields(ctx, fields);
  return 0;
}

int Health(const Context& ctx) {
  auto stub = grpc::health::v1::Health::NewStub(ctx.channel);
  grpc::ClientContext call;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(WithDeadline(call), {}, &response);
  if (!status.ok()) return Fail(status);
  nlohmann::ordered_json fields;
  fields["status"] = grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status());
  PrintFields(ctx, fields);
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? 0 : 3;
}

struct Command {
  std::string help;
  std::function<int(const Context&)> run;
};

// OBJECT.VERB -> command. A function-local static: built on first use.
const std::map<std::string, Command>& Commands() {
  static const auto* commands = new std::map<std::string, Command>{
      {"host.get", {"Show the host and the state of the agent's backends", HostGet}},
      {"health", {"Overall health (SERVING / NOT_SERVING); exit 3 when not serving", Health}},
  };
  return *commands;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hvctl: drive hvagentd (acli-style OBJECT.VERB commands)"};
  std::string endpoint = "unix:/run/hvagent/hvagent.sock";
  std::string output = "text";
  std::string command;
  app.add_option("--endpoint", endpoint, "gRPC endpoint of hvagentd")->capture_default_str();
  app.add_option("-o,--output", output, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  std::string commands_help = "Command:";
  for (const auto& [name, entry] : Commands()) commands_help += "\n  " + name + "  " + entry.help;
  app.add_option("command", command, commands_help)->required();
  CLI11_PARSE(app, argc, argv);

  const auto found = Commands().find(command);
  if (found == Commands().end()) {
    std::cerr << "hvctl: unknown command '" << command << "' (try --help)\n";
    return 2;
  }
  Context ctx{grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials()), output == "json"};
  return found->second.run(ctx);
}
