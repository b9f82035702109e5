// hvagentd's server reflection (grpc.reflection.v1alpha), as grpcurl and other
// generic clients use it: the services it lists and the files it describes.
#include <google/protobuf/descriptor.pb.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "hvagent_test/agent_process.h"
#include "hvagent_test/ovsdb_server.h"
#include "hvagent_test/start_or_fail.h"

namespace hvagent::testing {
namespace {

using grpc::reflection::v1alpha::ServerReflection;
using grpc::reflection::v1alpha::ServerReflectionRequest;
using grpc::reflection::v1alpha::ServerReflectionResponse;

class ReflectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ovsdb_ = StartOrFail<OvsdbServer>();
    ASSERT_NE(ovsdb_, nullptr);
    agent_ = std::make_unique<AgentProcess>(AgentOptions{.ovsdb_endpoint = ovsdb_->endpoint()});
    ASSERT_TRUE(agent_->Start()) << agent_->log();
  }

  // Sends each request on one reflection stream and collects the answers.
  std::vector<ServerReflectionResponse> Ask(const std::vector<ServerReflectionRequest>& requests) {
    auto stub = ServerReflection::NewStub(agent_->Channel());
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    auto stream = stub->ServerReflectionInfo(&ctx);
    std::vector<ServerReflectionResponse> responses;
    for (const auto& request : requests) {
      if (!stream->Write(request)) break;
      ServerReflectionResponse response;
      if (!stream->Read(&response)) break;
      responses.push_back(std::move(response));
    }
    stream->WritesDone();
    const grpc::Status status = stream->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(responses.size(), requests.size());
    return responses;
  }

  std::unique_ptr<OvsdbServer> ovsdb_;
  std::unique_ptr<AgentProcess> agent_;
};

TEST_F(ReflectionTest, ListsEveryService) {
  ServerReflectionRequest request;
  request.set_list_services("");
  const auto responses = Ask({request});
  ASSERT_EQ(responses.size(), 1u);
  ASSERT_TRUE(responses[0].has_list_services_response()) << responses[0].DebugString();
  std::set<std::string> names;
  for (const auto& service : responses[0].list_services_response().service()) {
    names.insert(service.name());
  }
  for (const char* expected :
       {"grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection",
        "hvagent.v1.HostService", "hvagent.v1.NetworkService", "hvagent.v1.EventService",
        "hvagent.v1.VmService", "hvagent.v1.MigrationPeerService"}) {
    EXPECT_TRUE(names.contains(expected))
        << expected << " missing from " << responses[0].DebugString();
  }
}

TEST_F(ReflectionTest, DescribesTheFileDeclaringASymbol) {
  ServerReflectionRequest by_symbol;
  by_symbol.set_file_containing_symbol("hvagent.v1.NetworkService");
  ServerReflectionRequest unknown;
  unknown.set_file_containing_symbol("hvagent.v1.NoSuchService");
  const auto responses = Ask({by_symbol, unknown});
  ASSERT_EQ(responses.size(), 2u);

  ASSERT_TRUE(responses[0].has_file_descriptor_response()) << responses[0].DebugString();
  const auto& files = responses[0].file_descriptor_response().file_descriptor_proto();
  ASSERT_FALSE(files.empty());
  std::vector<google::protobuf::FileDescriptorProto> parsed;
  for (const std::string& bytes : files) {
    google::protobuf::FileDescriptorProto file;
    ASSERT_TRUE(file.ParseFromString(bytes));
    parsed.push_back(std::move(file));
  }
  // The declaring file comes first; its dependencies may follow.
  const google::protobuf::FileDescriptorProto& network = parsed[0];
  EXPECT_EQ(network.name(), "hvagent/v1/network.proto");
  EXPECT_EQ(network.package(), "hvagent.v1");
  ASSERT_EQ(network.service_size(), 1);
  EXPECT_EQ(network.service(0).name(), "NetworkService");
  const auto& methods = network.service(0).method();
  EXPECT_TRUE(std::any_of(methods.begin(), methods.end(), [](const auto& m) {
    return m.name() == "CreateNetwork" && m.input_type() == ".hvagent.v1.CreateNetworkRequest" &&
           m.output_type() == ".hvagent.v1.Network";
  }));
  // Each dependency it imports is there too, so a client can build it.
  for (const std::string& dependency : network.dependency()) {
    EXPECT_TRUE(std::any_of(parsed.begin(), parsed.end(), [&](const auto& f) {
      return f.name() == dependency;
    })) << dependency;
  }

  ASSERT_TRUE(responses[1].has_error_response()) << responses[1].DebugString();
  EXPECT_EQ(responses[1].error_response().error_code(),
            static_cast<int>(grpc::StatusCode::NOT_FOUND));
}

}  // namespace
}  // namespace hvagent::testing
