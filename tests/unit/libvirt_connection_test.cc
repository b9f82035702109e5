// The libvirt layer against libvirt's in-memory test driver: real libvirt code
// paths, no daemon.
#include <gtest/gtest.h>
#include <libvirt/virterror.h>

#include "hvagent/libvirt/connection.h"
#include "hvagent/libvirt/libvirt_error.h"

namespace hvagent::libvirt {
namespace {

constexpr const char* kTestUri = "test:///default";

constexpr const char* kDomainXml = R"(<domain type='test'>
  <name>unit-vm</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
</domain>)";

TEST(LibvirtConnectionTest, OpensAndReportsVersion) {
  auto conn = Connection::Open(kTestUri);
  ASSERT_TRUE(conn.ok()) << conn.status();
  EXPECT_TRUE((*conn)->IsAlive());
  auto version = (*conn)->LibvirtVersion();
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(version->rfind("9.", 0), 0u) << *version;
}

TEST(LibvirtConnectionTest, DomainLifecycle) {
  auto conn = Connection::Open(kTestUri);
  ASSERT_TRUE(conn.ok());
  auto dom = (*conn)->DefineDomain(kDomainXml);
  ASSERT_TRUE(dom.ok()) << dom.status();
  EXPECT_EQ(dom->Name(), "unit-vm");
  EXPECT_EQ(dom->Uuid()->size(), 36u);
  EXPECT_EQ(*dom->State(), DomainState::kShutOff);
  ASSERT_TRUE(dom->Start().ok());
  EXPECT_EQ(*dom->State(), DomainState::kRunning);
  // A failed call keeps libvirt's own message, after the agent's context.
  const Status again = dom->Start();
  EXPECT_FALSE(again.ok());
  EXPECT_NE(again.message().find("start domain 'unit-vm': "), std::string::npos) << again;
  EXPECT_NE(again.message().find("already running"), std::string::npos) << again;
  ASSERT_TRUE(dom->Destroy().ok());
  const Status destroy_again = dom->Destroy();
  EXPECT_EQ(destroy_again.code(), absl::StatusCode::kFailedPrecondition) << destroy_again;
  const Status undefined = dom->Undefine();
  ASSERT_TRUE(undefined.ok()) << undefined;
  EXPECT_EQ((*conn)->LookupDomainByName("unit-vm").status().code(), absl::StatusCode::kNotFound);
}

TEST(LibvirtConnectionTest, MalformedXmlIsInvalidArgument) {
  auto conn = Connection::Open(kTestUri);
  ASSERT_TRUE(conn.ok());
  auto dom = (*conn)->DefineDomain("<domain type='test'><name>x</name");
  EXPECT_EQ(dom.status().code(), absl::StatusCode::kInvalidArgument) << dom.status();
}

TEST(LibvirtConnectionTest, UnreachableDaemonIsUnavailable) {
  auto conn = Connection::Open("qemu+unix:///system?socket=/nonexistent/libvirt-sock");
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kUnavailable) << conn.status();
  EXPECT_NE(conn.status().message().find("/nonexistent/libvirt-sock"), std::string::npos);
}

TEST(LibvirtErrorTest, MapsTheCodesAgentsRelyOn) {
  EXPECT_EQ(StatusCodeForLibvirtError(VIR_ERR_NO_DOMAIN), absl::StatusCode::kNotFound);
  EXPECT_EQ(StatusCodeForLibvirtError(VIR_ERR_OPERATION_INVALID),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusCodeForLibvirtError(VIR_ERR_INVALID_ARG), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusCodeForLibvirtError(VIR_ERR_NO_SUPPORT), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(StatusCodeForLibvirtError(VIR_ERR_OPERATION_TIMEOUT),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(StatusCodeForLibvirtError(VIR_ERR_ACCESS_DENIED), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(StatusCodeForLibvirtError(VIR_ERR_AGENT_UNRESPONSIVE), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForLibvirtError(VIR_ERR_DOM_EXIST), absl::StatusCode::kAlreadyExists);
}

// libvirt's generic failure (an API that failed without setting an error)
// is retryable; an internal error from a driver that says what failed is not.
TEST(LibvirtErrorTest, AFailureWithoutACauseIsUnavailable) {
  const Status unknown =
      StatusOfLibvirtError(VIR_ERR_INTERNAL_ERROR, VIR_FROM_NONE,
                           "An error occurred, but the cause is unknown", "XML of domain 'vm'");
  EXPECT_EQ(unknown.code(), absl::StatusCode::kUnavailable) << unknown;
  EXPECT_NE(unknown.message().find("cause is unknown"), std::string::npos) << unknown;
  EXPECT_EQ(
      StatusOfLibvirtError(VIR_ERR_INTERNAL_ERROR, VIR_FROM_QEMU,
                           "internal error: process exited while connecting to monitor", "start")
          .code(),
      absl::StatusCode::kInternal);
  EXPECT_EQ(
      StatusOfLibvirtError(VIR_ERR_INTERNAL_ERROR, VIR_FROM_RPC, "client socket is closed", "list")
          .code(),
      absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace hvagent::libvirt
