// The read-only role: who it applies to, and what it says.
#include "hvagent/api/access_policy.h"

#include <gtest/gtest.h>

namespace hvagent::api {
namespace {

constexpr char kCreateVm[] = "/hvagent.v1.VmService/CreateVm";

TEST(AccessPolicyTest, ReadOnlyIdentityIsDeniedEveryChangeNamingMethodAndClient) {
  const AccessPolicy policy({"monitoring", "audit.example.com"});
  const Status by_cn =
      policy.CheckChange({.authenticated = true, .names = {"monitoring"}}, kCreateVm);
  EXPECT_EQ(by_cn.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(by_cn.message(),
            "/hvagent.v1.VmService/CreateVm: client 'monitoring' has the read-only role "
            "(api.read_only_identities)");
  // A subject alternative name counts as much as the CN.
  EXPECT_EQ(policy
                .CheckChange({.authenticated = true, .names = {"controller", "audit.example.com"}},
                             kCreateVm)
                .code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(AccessPolicyTest, OtherClientsAndTheUnixSocketMayChange) {
  const AccessPolicy policy({"monitoring"});
  EXPECT_TRUE(policy.CheckChange({.authenticated = true, .names = {"controller"}}, kCreateVm).ok());
  // Exact names only: no prefixes, no case folding.
  EXPECT_TRUE(policy.CheckChange({.authenticated = true, .names = {"Monitoring"}}, kCreateVm).ok());
  EXPECT_TRUE(
      policy.CheckChange({.authenticated = true, .names = {"monitoring2"}}, kCreateVm).ok());
  // The unix socket: no certificate, root only.
  EXPECT_TRUE(policy.CheckChange({.authenticated = false, .names = {}}, kCreateVm).ok());
  // No read-only identities configured: everyone the CA signed may change.
  EXPECT_TRUE(
      AccessPolicy().CheckChange({.authenticated = true, .names = {"monitoring"}}, kCreateVm).ok());
}

}  // namespace
}  // namespace hvagent::api
