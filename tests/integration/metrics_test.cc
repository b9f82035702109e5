// The Prometheus endpoint of a real hvagentd on the testbed: after some
// traffic (a good and a failing RPC, a network, a VM) a scrape over plain HTTP
// carries every family with sensible labels and values; bond member state
// follows a link going down; non-loopback addresses are refused unless allowed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

#include "hvagent/v1/network.grpc.pb.h"
#include "hvagent/v1/vm.grpc.pb.h"
#include "hvagent_test/agent_process.h"
#include "hvagent_test/testbed.h"

namespace hvagent::testing {
namespace {

using ::testing::HasSubstr;

using Labels = std::map<std::string, std::string>;

struct Series {
  std::string name;
  Labels labels;
  double value = 0;
};

// GET /metrics over HTTP/1.0 from 127.0.0.1:port; the body, or "" on failure.
std::string Scrape(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{.tv_sec = 30, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buf[8192];
      ssize_t n = 0;
      while ((n = read(fd, buf, sizeof(buf))) > 0) response.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  if (!response.starts_with("HTTP/1.1 200") && !response.starts_with("HTTP/1.0 200")) return "";
  const auto body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

// The Prometheus text exposition format: `name{k="v",...} value` per line.
std::vector<Series> Parse(const std::string& text) {
  static const std::regex kLine(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$)");
  static const std::regex kLabel(R"re(([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)")re");
  std::vector<Series> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.front() == '#') continue;
    std::smatch m;
    if (!std::regex_match(line, m, kLine)) {
      ADD_FAILURE() << "not a sample line: " << line;
      continue;
    }
    Series s{.name = m[1], .labels = {}, .value = 0};
    const std::string labels = m[3];
    for (auto it = std::sregex_iterator(labels.begin(), labels.end(), kLabel);
         it != std::sregex_iterator(); ++it) {
      s.labels[(*it)[1]] = (*it)[2];
    }
    s.value = m[4] == "Nan" ? 0 : std::stod(m[4]);
    out.push_back(std::move(s));
  }
  return out;
}

// The value of the one series `name` whose labels include `labels`.
std::optional<double> Find(const std::vector<Series>& all, const std::string& name,
                           const Labels& labels) {
  std::optional<double> found;
  for (const Series& s : all) {
    if (s.name != name) continue;
    bool match = true;
    for (const auto& [k, v] : labels) {
      auto it = s.labels.find(k);
      if (it == s.labels.end() || it->second != v) match = false;
    }
    if (!match) continue;
    EXPECT_FALSE(found.has_value()) << "two series match " << name;
    found = s.value;
  }
  return found;
}

bool HasFamily(const std::vector<Series>& all, const std::string& name) {
  for (const Series& s : all) {
    if (s.name == name) return true;
  }
  return false;
}

class MetricsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    bed_ = StartTestbedWithBr0OrFail();
    ASSERT_NE(bed_, nullptr);
    // A bond of two veth pairs whose far ends stay in the testbed namespace.
    for (const std::string m : {"mbond0", "mbond1"}) {
      ASSERT_TRUE(
          bed_->Exec({"ip", "link", "add", m, "type", "veth", "peer", "name", m + "p"}).ok());
      ASSERT_TRUE(bed_->Exec({"ip", "link", "set", m, "up"}).ok());
      ASSERT_TRUE(bed_->Exec({"ip", "link", "set", m + "p", "up"}).ok());
    }
    ASSERT_TRUE(bed_->Vsctl({"add-bond", "br0", "mbond", "mbond0", "mbond1"}).ok());
  }
  static void TearDownTestSuite() { bed_.reset(); }

  std::unique_ptr<AgentProcess> StartAgent(std::vector<std::string> extra) {
    return std::make_unique<AgentProcess>(
        AgentOptions{.libvirt_uri = bed_->libvirt_uri(),
                     .ovsdb_endpoint = "unix:" + bed_->ovsdb_socket(),
                     .state_dir = "",
                     .extra_args = std::move(extra),
                     .netns = ""});
  }

  // The port the agent logged ("metrics on http://127.0.0.1:PORT/metrics",
  // before "serving on", which Start() waits for).
  static int MetricsPort(const AgentProcess& agent) {
    static const std::regex kServing(R"(metrics on http://127\.0\.0\.1:(\d+)/metrics)");
    const std::string log = agent.log();
    std::smatch m;
    return std::regex_search(log, m, kServing) ? std::stoi(m[1]) : 0;
  }

  // Scrapes until `done` holds for the parsed series (the switch state
  // behind scrape-time gauges changes asynchronously), up to 60 s.
  template <typename Pred>
  static std::vector<Series> ScrapeUntil(int port, Pred done) {
    std::vector<Series> series;
    for (int i = 0; i < 600; ++i) {
      series = Parse(Scrape(port));
      if (done(series)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return series;
  }

  inline static std::unique_ptr<Testbed> bed_;
};

TEST_F(MetricsTest, EveryFamilyAfterSomeTraffic) {
  auto agent = StartAgent({"--metrics-listen", "127.0.0.1:0"});
  ASSERT_TRUE(agent->Start()) << agent->log();
  const int port = MetricsPort(*agent);
  ASSERT_GT(port, 0) << agent->log();

  auto networks = v1::NetworkService::NewStub(agent->Channel());
  auto vms = v1::VmService::NewStub(agent->Channel());
  v1::CreateNetworkRequest net;
  net.set_name("vlan.10");
  net.set_vlan_id(10);
  v1::Network network;
  ASSERT_TRUE(networks->CreateNetwork(Ctx().get(), net, &network).ok());
  // A failing call: no such network.
  v1::GetNetworkRequest get;
  get.set_name("no-such-network");
  EXPECT_EQ(networks->GetNetwork(Ctx().get(), get, &network).error_code(), grpc::NOT_FOUND);
  v1::CreateVmRequest create;
  create.mutable_spec()->set_name("metrics-vm");
  create.mutable_spec()->set_num_vcpus(1);
  create.mutable_spec()->set_memory_bytes(128ULL << 20);
  v1::Vm vm;
  const grpc::Status created = vms->CreateVm(Ctx(120).get(), create, &vm);
  ASSERT_TRUE(created.ok()) << created.error_message() << agent->log();

  // The libvirt probe runs every 2 s: wait for the bond members' links too.
  const auto series = ScrapeUntil(port, [](const std::vector<Series>& s) {
    // A scrape's own domain listing shows from the next scrape on.
    return Find(s, "hvagent_bond_member_up", {{"member", "mbond0"}}) == 1.0 &&
           Find(s, "hvagent_bond_member_up", {{"member", "mbond1"}}) == 1.0 &&
           Find(s, "hvagent_libvirt_call_duration_seconds_count", {{"call", "list_domains"}});
  });
  ASSERT_FALSE(series.empty()) << agent->log();

  // RPCs by method and code: counts and latency histograms.
  EXPECT_EQ(Find(series, "hvagent_rpc_requests_total",
                 {{"method", "/hvagent.v1.NetworkService/CreateNetwork"}, {"code", "OK"}}),
            1.0);
  EXPECT_EQ(Find(series, "hvagent_rpc_requests_total",
                 {{"method", "/hvagent.v1.NetworkService/GetNetwork"}, {"code", "NOT_FOUND"}}),
            1.0);
  EXPECT_EQ(Find(series, "hvagent_rpc_duration_seconds_count",
                 {{"method", "/hvagent.v1.VmService/CreateVm"}, {"code", "OK"}}),
            1.0);
  EXPECT_EQ(Find(series, "hvagent_rpc_duration_seconds_bucket",
                 {{"method", "/hvagent.v1.VmService/CreateVm"}, {"code", "OK"}, {"le", "+Inf"}}),
            1.0);
  const auto sum = Find(series, "hvagent_rpc_duration_seconds_sum",
                        {{"method", "/hvagent.v1.VmService/CreateVm"}, {"code", "OK"}});
  ASSERT_TRUE(sum.has_value());
  EXPECT_GT(*sum, 0.0);

  // VMs by state, every state present: the new VM is defined and off.
  EXPECT_EQ(Find(series, "hvagent_vms", {{"state", "shut-off"}}), 1.0);
  EXPECT_EQ(Find(series, "hvagent_vms", {{"state", "running"}}), 0.0);

  // Ports by bridge: br0's own port, the bond, as ovs-vsctl counts them.
  const auto listed = bed_->Vsctl({"list-ports", "br0"});
  ASSERT_TRUE(listed.ok());
  const auto port_count = std::count(listed.out.begin(), listed.out.end(), '\n') + 1;
  EXPECT_EQ(Find(series, "hvagent_ovs_ports", {{"bridge", "br0"}}),
            static_cast<double>(port_count));

  // Bond members, both links up, one of them active.
  EXPECT_EQ(Find(series, "hvagent_bond_member_up",
                 {{"bridge", "br0"}, {"bond", "mbond"}, {"member", "mbond0"}}),
            1.0);
  const double active =
      Find(series, "hvagent_bond_member_active", {{"member", "mbond0"}}).value_or(-1) +
      Find(series, "hvagent_bond_member_active", {{"member", "mbond1"}}).value_or(-1);
  EXPECT_EQ(active, 1.0);

  // OVSDB transactions (CreateNetwork checks its bridge) and their sizes.
  const auto transactions = Find(series, "hvagent_ovsdb_transactions_total", {{"result", "ok"}});
  ASSERT_TRUE(transactions.has_value());
  EXPECT_GE(*transactions, 1.0);
  EXPECT_EQ(Find(series, "hvagent_ovsdb_transaction_duration_seconds_count", {{"result", "ok"}}),
            transactions);
  EXPECT_EQ(Find(series, "hvagent_ovsdb_transaction_operations_count", {}), transactions);
  // The client merged callers into batches: every transaction went in one.
  const auto batches = Find(series, "hvagent_ovsdb_batch_callers_count", {});
  ASSERT_TRUE(batches.has_value());
  EXPECT_GE(*batches, 1.0);
  EXPECT_GE(Find(series, "hvagent_ovsdb_batch_callers_sum", {}).value_or(0), 1.0);
  EXPECT_GE(Find(series, "hvagent_ovsdb_round_trips_total", {}).value_or(0), 1.0);
  EXPECT_GE(Find(series, "hvagent_ovsdb_connects_total", {}).value_or(0), 1.0);

  // libvirt calls: the monitor's probes and the scrape's own domain listing.
  EXPECT_GE(Find(series, "hvagent_libvirt_call_duration_seconds_count",
                 {{"call", "probe"}, {"result", "ok"}})
                .value_or(0),
            1.0);
  EXPECT_GE(Find(series, "hvagent_libvirt_call_duration_seconds_count",
                 {{"call", "list_domains"}, {"result", "ok"}})
                .value_or(0),
            1.0);

  // Backends, and every scrape-time source answered.
  EXPECT_EQ(Find(series, "hvagent_backend_up", {{"backend", "libvirt"}}), 1.0);
  EXPECT_EQ(Find(series, "hvagent_backend_up", {{"backend", "ovsdb"}}), 1.0);
  for (const char* source : {"vms", "backends", "ovs", "ovsdb_client"}) {
    EXPECT_EQ(Find(series, "hvagent_metrics_source_up", {{"source", source}}), 1.0) << source;
  }
  EXPECT_TRUE(HasFamily(series, "hvagent_build_info"));

  // A member's link goes down: its gauge follows, the other member is active.
  ASSERT_TRUE(bed_->Exec({"ip", "link", "set", "mbond0p", "down"}).ok());
  const auto after = ScrapeUntil(port, [](const std::vector<Series>& s) {
    return Find(s, "hvagent_bond_member_up", {{"member", "mbond0"}}) == 0.0 &&
           Find(s, "hvagent_bond_member_active", {{"member", "mbond1"}}) == 1.0;
  });
  EXPECT_EQ(Find(after, "hvagent_bond_member_up", {{"member", "mbond0"}}), 0.0);
  EXPECT_EQ(Find(after, "hvagent_bond_member_up", {{"member", "mbond1"}}), 1.0);
  EXPECT_EQ(Find(after, "hvagent_bond_member_active", {{"member", "mbond1"}}), 1.0);
  ASSERT_TRUE(bed_->Exec({"ip", "link", "set", "mbond0p", "up"}).ok());

  v1::DeleteVmRequest del;
  del.set_name("metrics-vm");
  v1::DeleteVmResponse deleted;
  EXPECT_TRUE(vms->DeleteVm(Ctx().get(), del, &deleted).ok());
  const auto gone = ScrapeUntil(port, [](const std::vector<Series>& s) {
    return Find(s, "hvagent_vms", {{"state", "shut-off"}}) == 0.0;
  });
  EXPECT_EQ(Find(gone, "hvagent_vms", {{"state", "shut-off"}}), 0.0);
}

TEST_F(MetricsTest, NonLoopbackRefusedUnlessAllowed) {
  auto refused = StartAgent({"--metrics-listen", "0.0.0.0:0"});
  EXPECT_FALSE(refused->Start());
  EXPECT_THAT(refused->log(), HasSubstr("metrics.listen '0.0.0.0:0' is not a loopback address"));

  auto allowed = StartAgent({"--metrics-listen", "0.0.0.0:0", "--metrics-allow-remote", "true"});
  ASSERT_TRUE(allowed->Start()) << allowed->log();
  static const std::regex kServing(R"(metrics on http://0\.0\.0\.0:(\d+)/metrics)");
  std::smatch m;
  const std::string log = allowed->log();
  ASSERT_TRUE(std::regex_search(log, m, kServing)) << log;
  // Reached through loopback too, as it listens on every address.
  EXPECT_THAT(Scrape(std::stoi(m[1])), HasSubstr("hvagent_build_info"));
}

TEST_F(MetricsTest, EmptyListenDisablesTheEndpoint) {
  auto agent = StartAgent({"--metrics-listen", ""});
  ASSERT_TRUE(agent->Start()) << agent->log();
  // Logged before "serving on", which Start() waits for.
  EXPECT_THAT(agent->log(), HasSubstr("metrics: disabled"));
  EXPECT_THAT(agent->log(), ::testing::Not(HasSubstr("metrics on")));
}

}  // namespace
}  // namespace hvagent::testing
