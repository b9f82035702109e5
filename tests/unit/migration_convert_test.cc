// MigrateVmRequest → compute::MigrationRequest (the fields and their rules)
// and compute::MigrationStatus → Migration (state, percent, error).
#include "hvagent/api/migration_convert.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hvagent::api {
namespace {

using ::testing::HasSubstr;

v1::MigrateVmRequest Valid() {
  v1::MigrateVmRequest req;
  req.set_name("web");
  req.set_destination("host2:7443");
  req.set_destination_libvirt_uri("qemu+tls://host2/system");
  req.set_migration_uri("tcp://10.0.0.2");
  req.set_live(true);
  req.set_max_bandwidth_mibps(100);
  req.set_max_downtime_ms(500);
  req.set_auto_converge(true);
  return req;
}

TEST(MigrationConvertTest, EveryFieldReachesTheRequest) {
  auto request = MigrationRequestFromProto(Valid());
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->vm_name, "web");
  EXPECT_EQ(request->destination, "host2:7443");
  EXPECT_EQ(request->destination_libvirt_uri, "qemu+tls://host2/system");
  EXPECT_EQ(request->stream_uri, "tcp://10.0.0.2");
  EXPECT_TRUE(request->live);
  EXPECT_EQ(request->max_bandwidth_mibps, 100u);
  EXPECT_EQ(request->max_downtime_ms, 500u);
  EXPECT_TRUE(request->auto_converge);
}

TEST(MigrationConvertTest, BadFieldsAreNamed) {
  const std::vector<std::pair<std::function<void(v1::MigrateVmRequest&)>, std::string>> cases = {
      {[](auto& r) { r.set_name(""); }, "name"},
      {[](auto& r) { r.set_destination(""); }, "destination:"},
      {[](auto& r) { r.set_destination_libvirt_uri(""); }, "destination_libvirt_uri"},
      {[](auto& r) { r.set_destination_libvirt_uri("host2"); }, "destination_libvirt_uri"},
      {[](auto& r) { r.set_destination_libvirt_uri("qemu tls://x"); }, "destination_libvirt_uri"},
      {[](auto& r) { r.set_migration_uri("rdma://10.0.0.2"); }, "migration_uri"},
      {[](auto& r) { r.set_max_downtime_ms(60001); }, "max_downtime_ms"},
  };
  for (const auto& [spoil, field] : cases) {
    v1::MigrateVmRequest req = Valid();
    spoil(req);
    auto request = MigrationRequestFromProto(req);
    EXPECT_EQ(request.status().code(), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_THAT(std::string(request.status().message()), HasSubstr(field));
  }
}

TEST(MigrationConvertTest, StatusShowsStatePercentAndError) {
  compute::MigrationStatus status{.id = "m1",
                                  .vm_name = "web",
                                  .destination = "host2:7443",
                                  .live = true,
                                  .state = OperationState::kRunning,
                                  .phase = "preparing destination"};
  v1::Migration out;
  MigrationToProto(status, &out);
  EXPECT_EQ(out.state(), v1::MIGRATION_STATE_PREPARING);
  EXPECT_EQ(out.percent(), 0u);

  status.phase = "migrating";
  status.data_total_bytes = 1000;
  status.data_processed_bytes = 250;
  status.data_remaining_bytes = 750;
  status.downtime_ms = 120;
  MigrationToProto(status, &out);
  EXPECT_EQ(out.id(), "m1");
  EXPECT_EQ(out.vm_name(), "web");
  EXPECT_EQ(out.destination(), "host2:7443");
  EXPECT_EQ(out.state(), v1::MIGRATION_STATE_RUNNING);
  EXPECT_EQ(out.percent(), 25u);
  EXPECT_EQ(out.data_remaining_bytes(), 750u);
  EXPECT_EQ(out.data_processed_bytes(), 250u);
  EXPECT_EQ(out.downtime_ms(), 120u);
  EXPECT_EQ(out.phase(), "migrating");
  EXPECT_TRUE(out.live());

  status.data_processed_bytes = 1000;
  MigrationToProto(status, &out);
  EXPECT_EQ(out.percent(), 99u) << "100 only once it completed";

  status.state = OperationState::kSucceeded;
  MigrationToProto(status, &out);
  EXPECT_EQ(out.state(), v1::MIGRATION_STATE_COMPLETED);
  EXPECT_EQ(out.percent(), 100u);
  EXPECT_EQ(out.error(), "");

  status.state = OperationState::kFailed;
  status.result = absl::UnavailableError("unable to connect");
  MigrationToProto(status, &out);
  EXPECT_EQ(out.state(), v1::MIGRATION_STATE_FAILED);
  EXPECT_EQ(out.error(), "unable to connect");

  status.state = OperationState::kCancelled;
  MigrationToProto(status, &out);
  EXPECT_EQ(out.state(), v1::MIGRATION_STATE_CANCELLED);
}

}  // namespace
}  // namespace hvagent::api
