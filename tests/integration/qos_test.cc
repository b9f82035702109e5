// Per-NIC QoS on the real OVS: the rows ApplyNicQos writes, and egress
// shaping measured on the wire. One sender sends a burst of UDP datagrams
// alternately to a namespace behind a shaped port and one behind an unshaped
// port, in the same run: the shaped receiver gets a small fraction of what the
// unshaped one gets (a ratio, no absolute times).
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "hvagent/network/nic_qos.h"
#include "hvagent/ovsdb/client.h"
#include "hvagent_test/shared_switch_test.h"
#include "hvagent_test/testbed.h"
#include "netns_packets.h"

namespace hvagent::testing {
namespace {

using std::chrono::seconds;
using std::chrono::steady_clock;

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

class QosTest : public SharedBr0Test {
 protected:
  void SetUpOnBr0() override {
    PlugHosts(
        "br0",
        {{"s", "10.6.0.1/24", "ps"}, {"r1", "10.6.0.2/24", "pr1"}, {"r2", "10.6.0.3/24", "pr2"}});
    if (HasFatalFailure()) return;
    qos_ = std::make_unique<network::NicQosApplier>(*ovsdb_);
  }

  std::string Get(const std::string& table, const std::string& row, const std::string& column) {
    return Trim(bed_->Vsctl({"get", table, row, column}).out);
  }

  std::unique_ptr<network::NicQosApplier> qos_;
};

TEST_F(QosTest, RowsAppliedReplacedAndClearedInPlace) {
  const network::NicQos qos{
      .ingress_rate_kbps = 1000, .ingress_burst_kb = 100, .egress_rate_kbps = 10000};
  ASSERT_TRUE(qos_->ApplyNicQos("pr1", qos).ok());
  EXPECT_EQ(Get("Interface", "pr1", "ingress_policing_rate"), "1000");
  EXPECT_EQ(Get("Interface", "pr1", "ingress_policing_burst"), "100");
  const std::string qos_uuid = Get("Port", "pr1", "qos");
  ASSERT_NE(qos_uuid, "[]");
  EXPECT_EQ(Get("QoS", qos_uuid, "type"), "linux-htb");
  EXPECT_EQ(Get("QoS", qos_uuid, "other_config:max-rate"), "\"10000000\"");
  EXPECT_EQ(Get("QoS", qos_uuid, "external_ids:owner"), "hvagent");
  const std::string queue_uuid = Get("QoS", qos_uuid, "queues:0");
  EXPECT_EQ(Get("Queue", queue_uuid, "other_config:max-rate"), "\"10000000\"");
  auto read = qos_->ReadNicQos("pr1");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, qos);

  // A new rate replaces the agent's rows; nothing is left behind.
  ASSERT_TRUE(qos_->ApplyNicQos("pr1", {.egress_rate_kbps = 20000}).ok());
  EXPECT_EQ(Get("Interface", "pr1", "ingress_policing_rate"), "0");
  EXPECT_EQ(Trim(bed_->Vsctl({"--bare", "--columns=_uuid", "list", "QoS"}).out).size(), 36u);
  EXPECT_EQ(Trim(bed_->Vsctl({"--bare", "--columns=_uuid", "list", "Queue"}).out).size(), 36u);
  EXPECT_FALSE(bed_->Vsctl({"get", "QoS", qos_uuid, "type"}).ok());

  ASSERT_TRUE(qos_->ApplyNicQos("pr1", {}).ok());
  EXPECT_EQ(Get("Port", "pr1", "qos"), "[]");
  EXPECT_EQ(bed_->Vsctl({"list", "QoS"}).out, "");
  EXPECT_EQ(bed_->Vsctl({"list", "Queue"}).out, "");

  EXPECT_EQ(qos_->ApplyNicQos("nope", qos).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(qos_->ApplyNicQos("pr1", {.ingress_burst_kb = 5}).code(),
            absl::StatusCode::kInvalidArgument);
  // A QoS row someone else put on the port is not the agent's to replace.
  ASSERT_TRUE(bed_->Vsctl({"--", "set", "Port", "pr2", "qos=@q", "--", "--id=@q", "create", "QoS",
                           "type=linux-htb"})
                  .ok());
  EXPECT_EQ(qos_->ApplyNicQos("pr2", qos).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Get("Interface", "pr2", "ingress_policing_rate"), "0");
}

TEST_F(QosTest, EgressRateShapesTrafficComparedWithAnUnshapedPortInTheSameRun) {
  for (const char* ip : {"10.6.0.2", "10.6.0.3"}) {  // ARP and MAC learning first
    ASSERT_TRUE(bed_->ExecIn("s", {"ping", "-c", "1", "-W", "5", ip}).ok());
  }
  ASSERT_TRUE(qos_->ApplyNicQos("pr1", {.egress_rate_kbps = 500}).ok());
  // ovs-vswitchd installs the htb qdisc on pr1 asynchronously.
  const auto deadline = steady_clock::now() + seconds(60);
  while (bed_->Exec({"tc", "qdisc", "show", "dev", "pr1"}).out.find("htb") == std::string::npos &&
         steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_NE(bed_->Exec({"tc", "qdisc", "show", "dev", "pr1"}).out.find("htb"), std::string::npos);

  FrameCounter shaped(bed_->netns() + "-r1", "eth0");
  FrameCounter unshaped(bed_->netns() + "-r2", "eth0");
  ASSERT_TRUE(shaped.ok() && unshaped.ok());
  const int sender =
      InNetns(bed_->netns() + "-s", [] { return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0); });
  ASSERT_GE(sender, 0);
  // Bytes, not frames: the receivers' GRO may merge datagrams into one frame.
  const auto udp_from_sender = [](int64_t* bytes) {
    return [bytes](const Ipv4Frame& f) {
      if (f.protocol == IPPROTO_UDP && f.src == Ipv4("10.6.0.1"))
        *bytes += static_cast<int64_t>(f.length);
    };
  };
  // The same paced burst to one receiver at a time: on the userspace datapath
  // a shaped port slows the whole switch while its queue is full, so the two
  // are measured one after the other, each over the time its burst took.
  constexpr int kDatagrams = 2000;
  const std::string payload(1400, 'x');
  const auto burst = [&](const char* ip, FrameCounter& counter) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(9);
    inet_pton(AF_INET, ip, &to.sin_addr);
    int64_t bytes = 0;
    for (int i = 0; i < kDatagrams; ++i) {
      (void)sendto(sender, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to),
                   sizeof(to));
      // Spacing, so that the switch's own receive queue drops nothing.
      if (i % 2 == 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      counter.Read(udp_from_sender(&bytes), 0);
    }
    return bytes;
  };
  int64_t unshaped_bytes = burst("10.6.0.3", unshaped);
  // The unshaped one may still have a few in flight: take them too.
  while (unshaped.Read(udp_from_sender(&unshaped_bytes), 1000) > 0) {
  }
  // The shaped one: what arrived while the burst was being sent (its queue
  // would trickle out later at the shaped rate).
  const int64_t shaped_bytes = burst("10.6.0.2", shaped);
  close(sender);
  std::cerr << "bytes received: shaped " << shaped_bytes << ", unshaped " << unshaped_bytes
            << " of " << int64_t{kDatagrams} * 1400 << " sent to each\n";
  EXPECT_GT(unshaped_bytes, int64_t{kDatagrams} * 1400 / 2)
      << "the unshaped burst did not get through the switch";
  EXPECT_LT(shaped_bytes * 4, unshaped_bytes);
}

}  // namespace
}  // namespace hvagent::testing
