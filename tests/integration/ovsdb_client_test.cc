// The monitoring OVSDB client against real daemons: a hermetic ovsdb-server
// (cache, resync, keep-alive, coalescing, failure isolation) and a testbed's
// ovs-vswitchd (a change returns only once it is applied).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <latch>
#include <mutex>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hvagent/ovsdb/client.h"
#include "hvagent_test/ovsdb_server.h"
#include "hvagent_test/polling.h"
#include "hvagent_test/port_plug_ops.h"
#include "hvagent_test/start_or_fail.h"
#include "hvagent_test/test_guest.h"
#include "hvagent_test/testbed.h"

namespace hvagent::testing {
namespace {

using nlohmann::json;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr auto kPatience = std::chrono::seconds(30);

// Client state changes within milliseconds: a tighter poll than the default.
::testing::AssertionResult PollUntil(const std::function<bool()>& pred,
                                     std::chrono::milliseconds timeout = kPatience) {
  return Eventually(pred, "the client's state", timeout, std::chrono::milliseconds(20));
}

// A table as the server holds it (a select through a separate connection, not
// a cache), in the cache's notation: uuid -> normalized columns, minus the
// skipped ones.
ovsdb::Table ServerTable(const std::string& endpoint, const std::string& table,
                         const std::vector<std::string>& skipped = {}) {
  ovsdb::Client other({.endpoint = endpoint, .wait_for_apply = false});
  EXPECT_TRUE(other.WaitConnected(kPatience)) << "no connection to " << endpoint;
  auto result =
      other.Transact(json::array({{{"op", "select"}, {"table", table}, {"where", json::array()}}}));
  EXPECT_TRUE(result.ok()) << result.status();
  ovsdb::Table out;
  if (!result.ok()) return out;
  for (const json& row : result->at(0).at("rows")) {
    ovsdb::Row columns = json::object();
    for (const auto& [column, value] : row.items()) {
      if (column == "_uuid" || column == "_version") continue;
      if (std::find(skipped.begin(), skipped.end(), column) != skipped.end()) continue;
      columns[column] = ovsdb::NormalizeDatum(value);
    }
    out[row.at("_uuid").at(1).get<std::string>()] = columns;
  }
  return out;
}

// Every monitored table of the cache equals the server's.
void ExpectCacheEqualsServer(const ovsdb::Client& client, const std::string& endpoint) {
  for (const std::string table :
       {"Open_vSwitch", "Bridge", "Port", "Interface", "Mirror", "QoS", "Queue"}) {
    const auto skipped = ovsdb::ClientOptions().skipped_columns;
    const auto left_out = skipped.find(table);
    EXPECT_EQ(
        client.GetTable(table),
        ServerTable(endpoint, table,
                    left_out == skipped.end() ? std::vector<std::string>{} : left_out->second))
        << table;
  }
}

int64_t ServerPid(const OvsdbServer& server) {
  const std::string dir = server.endpoint().substr(5, server.endpoint().size() - 5 - 8);
  return std::stoll(ReadFile(dir + "/ovsdb-server.pid"));
}

class OvsdbClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = StartOrFail<OvsdbServer>();
    ASSERT_NE(server_, nullptr);
    ASSERT_TRUE(server_->Vsctl({"add-br", "br0"}).ok());
  }

  // A bare ovsdb-server has no ovs-vswitchd to acknowledge changes.
  ovsdb::ClientOptions Options() {
    return {.endpoint = server_->endpoint(), .wait_for_apply = false};
  }
  // For tests that restart or hang the server: reconnect attempts come quickly.
  ovsdb::ClientOptions QuickReconnectOptions() {
    ovsdb::ClientOptions options = Options();
    options.backoff_min = std::chrono::milliseconds(50);
    options.backoff_max = std::chrono::milliseconds(400);
    return options;
  }
  // For tests that pause the server on purpose: neither the keep-alive nor a
  // call gives up meanwhile.
  ovsdb::ClientOptions PausableServerOptions() {
    ovsdb::ClientOptions options = Options();
    options.probe_interval = std::chrono::seconds(60);
    options.call_timeout = std::chrono::seconds(120);
    return options;
  }

  // Plugs `name` through `client`, which waits for ovs-vswitchd: the answer
  // must be `code`, saying the change was committed and `why` it was not
  // applied, and the port must be in the database.
  void ExpectCommittedButNotApplied(ovsdb::Client& client, const std::string& name,
                                    absl::StatusCode code, std::string_view why) {
    const auto result = client.Transact(PortPlugOps("br0", name, 1));
    EXPECT_EQ(result.status().code(), code) << result.status();
    EXPECT_THAT(MessageOf(result.status()), HasSubstr("committed"));
    EXPECT_THAT(MessageOf(result.status()), HasSubstr(why));
    EXPECT_TRUE(server_->Vsctl({"get", "Port", name, "tag"}).ok()) << name << " was not committed";
  }

  std::string PortUuid(ovsdb::Client& client, const std::string& name) {
    const auto rows = client.Find("Port", "name", name);
    return rows.size() == 1 ? rows[0].first : "";
  }

  std::unique_ptr<OvsdbServer> server_;
};

TEST_F(OvsdbClientTest, CacheFollowsChangesMadeByAnotherClient) {
  ovsdb::Client client(Options());
  ASSERT_TRUE(client.connected());
  std::atomic<int> heard{0};
  const uint64_t listener =
      client.AddListener([&heard](const std::vector<ovsdb::RowChange>& changes) {
        heard += static_cast<int>(changes.size());
      });
  EXPECT_EQ(client.Find("Bridge", "name", "br0").size(), 1U);

  ASSERT_TRUE(server_
                  ->Vsctl({"add-port", "br0", "p1", "tag=10", "--", "set", "Port", "p1",
                           "external_ids:owner=someone", "trunks=1,2"})
                  .ok());
  ASSERT_TRUE(PollUntil([&] { return !PortUuid(client, "p1").empty(); }));
  auto row = client.GetRow("Port", PortUuid(client, "p1"));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ((*row)["tag"], 10);
  EXPECT_EQ((*row)["trunks"], json::parse(R"(["set", [1, 2]])"));
  EXPECT_EQ((*row)["external_ids"], json::parse(R"(["map", [["owner", "someone"]]])"));

  // update2 diffs on every kind of column: atom-like optional, set, map.
  ASSERT_TRUE(server_
                  ->Vsctl({"set", "Port", "p1", "tag=20", "trunks=2,3", "external_ids:owner=other",
                           "external_ids:vm=x"})
                  .ok());
  ASSERT_TRUE(PollUntil([&] {
    auto r = client.GetRow("Port", PortUuid(client, "p1"));
    return r && (*r)["tag"] == 20;
  }));
  row = client.GetRow("Port", PortUuid(client, "p1"));
  EXPECT_EQ((*row)["trunks"], json::parse(R"(["set", [2, 3]])"));
  EXPECT_EQ((*row)["external_ids"], json::parse(R"(["map", [["owner", "other"], ["vm", "x"]]])"));
  ASSERT_TRUE(server_
                  ->Vsctl({"clear", "Port", "p1", "tag", "--", "remove", "Port", "p1",
                           "external_ids", "vm"})
                  .ok());
  ASSERT_TRUE(PollUntil([&] {
    auto r = client.GetRow("Port", PortUuid(client, "p1"));
    return r && (*r)["tag"] == json::parse(R"(["set", []])");
  }));
  ExpectCacheEqualsServer(client, server_->endpoint());

  ASSERT_TRUE(server_->Vsctl({"del-port", "br0", "p1"}).ok());
  ASSERT_TRUE(PollUntil([&] { return client.Find("Port", "name", "p1").empty(); }));
  EXPECT_TRUE(client.Find("Interface", "name", "p1").empty());
  ExpectCacheEqualsServer(client, server_->endpoint());
  EXPECT_GT(heard.load(), 0);
  client.RemoveListener(listener);
}

// The columns the agent never reads (ClientOptions::skipped_columns) are
// neither kept nor heard of: ovs-vswitchd rewrites several of them on every
// port, and keeping them was most of the agent's memory on a full host.
TEST_F(OvsdbClientTest, ChangesToLeftOutColumnsAreNeitherCachedNorHeard) {
  ovsdb::Client client(Options());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(server_->Vsctl({"add-port", "br0", "p1", "tag=10"}).ok());
  ASSERT_TRUE(PollUntil([&] { return !PortUuid(client, "p1").empty(); }));
  std::vector<ovsdb::RowChange> heard;
  std::mutex heard_mu;
  const uint64_t listener = client.AddListener([&](const std::vector<ovsdb::RowChange>& changes) {
    std::lock_guard lock(heard_mu);
    heard.insert(heard.end(), changes.begin(), changes.end());
  });

  ASSERT_TRUE(server_
                  ->Vsctl({"set", "Interface", "p1", "mtu_request=1400", "status:driver_name=tun",
                           "--", "set", "Port", "p1", "status:stp_state=forwarding"})
                  .ok());
  // Then a column the agent reads: once it is seen, so was everything before.
  ASSERT_TRUE(server_->Vsctl({"set", "Port", "p1", "tag=30"}).ok());
  ASSERT_TRUE(PollUntil([&] {
    auto r = client.GetRow("Port", PortUuid(client, "p1"));
    return r && (*r)["tag"] == 30;
  }));
  client.RemoveListener(listener);

  std::lock_guard lock(heard_mu);
  ASSERT_EQ(heard.size(), 1U) << "only the tag's change is heard";
  EXPECT_EQ(heard[0].table, "Port");
  const auto iface = client.Find("Interface", "name", "p1");
  ASSERT_EQ(iface.size(), 1U);
  EXPECT_FALSE(iface[0].second.contains("mtu_request"));
  EXPECT_FALSE(iface[0].second.contains("status"));
  EXPECT_TRUE(iface[0].second.contains("link_state"));
  EXPECT_FALSE(client.GetRow("Port", PortUuid(client, "p1"))->contains("status"));
  ExpectCacheEqualsServer(client, server_->endpoint());
}

TEST_F(OvsdbClientTest, ServerRestartReconnectsAndResyncsWithoutStaleOrDuplicateRows) {
  ovsdb::Client client(QuickReconnectOptions());
  ASSERT_TRUE(client.connected());
  for (const std::string name : {"keep", "gone"}) {
    ASSERT_TRUE(client.Transact(PortPlugOps("br0", name, 5)).ok());
  }
  ASSERT_TRUE(PollUntil([&] { return client.GetTable("Port").size() == 3; }));  // + br0's own

  server_->Stop();
  ASSERT_TRUE(PollUntil([&] { return !client.connected(); }));
  // Disconnected: calls fail at once, they never wait for the server.
  const auto down = client.Transact(PortPlugOps("br0", "never", 5));
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable) << down.status();

  // While the server is down its database changes (as a restore would): the
  // client must not keep the row that went away.
  const std::string dir = server_->endpoint().substr(5, server_->endpoint().size() - 5 - 8);
  const json unplug = json::array(
      {"Open_vSwitch",
       {{"op", "mutate"},
        {"table", "Bridge"},
        {"where", ovsdb::WhereEq("name", "br0")},
        {"mutations", json::array({json::array(
                          {"ports", "delete",
                           json::array({"set", json::array({json::array(
                                                   {"uuid", PortUuid(client, "gone")})})})})})}},
       {{"op", "delete"}, {"table", "Port"}, {"where", ovsdb::WhereEq("name", "gone")}},
       {{"op", "delete"}, {"table", "Interface"}, {"where", ovsdb::WhereEq("name", "gone")}}});
  const ProcessResult offline =
      RunProcess({"ovsdb-tool", "transact", dir + "/conf.db", unplug.dump()});
  ASSERT_TRUE(offline.ok()) << offline.err;

  std::string error;
  ASSERT_TRUE(server_->Resume(&error)) << error;
  ASSERT_TRUE(PollUntil([&] { return client.connected(); }));
  EXPECT_EQ(client.stats().connects, 2U);
  EXPECT_TRUE(client.Find("Port", "name", "gone").empty());
  EXPECT_EQ(client.Find("Port", "name", "keep").size(), 1U);
  EXPECT_EQ(client.GetTable("Port").size(), 2U);
  ExpectCacheEqualsServer(client, server_->endpoint());

  // And the connection works again, cache included.
  ASSERT_TRUE(client.Transact(PortPlugOps("br0", "after", 7)).ok());
  ASSERT_TRUE(PollUntil([&] { return !PortUuid(client, "after").empty(); }));
  ExpectCacheEqualsServer(client, server_->endpoint());
}

TEST_F(OvsdbClientTest, HungServerIsDetectedByEchoAndReconnected) {
  ovsdb::ClientOptions options = QuickReconnectOptions();
  options.probe_interval = std::chrono::milliseconds(300);
  options.call_timeout = std::chrono::milliseconds(1000);
  ovsdb::Client client(options);
  ASSERT_TRUE(client.connected());
  // The server stops answering but keeps its socket open: only the keep-alive can tell.
  const int64_t pid = ServerPid(*server_);
  ASSERT_EQ(kill(static_cast<pid_t>(pid), SIGSTOP), 0);
  const bool noticed = static_cast<bool>(PollUntil([&] { return !client.connected(); }));
  ASSERT_EQ(kill(static_cast<pid_t>(pid), SIGCONT), 0);
  ASSERT_TRUE(noticed);
  ASSERT_TRUE(PollUntil([&] { return client.connected(); }));
  EXPECT_GE(client.stats().connects, 2U);
  ASSERT_TRUE(client.Transact(PortPlugOps("br0", "alive", 1)).ok());
}

// A free TCP port on the loopback (the kernel's pick, released for the server).
int FreeTcpPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

TEST_F(OvsdbClientTest, TcpEndpointWorksLikeUnix) {
  const std::string dir = server_->endpoint().substr(5, server_->endpoint().size() - 5 - 8);
  const int port = FreeTcpPort();
  ASSERT_GT(port, 0);
  const ProcessResult added =
      RunProcess({"ovs-appctl", "-t", dir + "/ovsdb-server.ctl", "ovsdb-server/add-remote",
                  fmt::format("ptcp:{}:127.0.0.1", port)});
  ASSERT_TRUE(added.ok()) << added.err;
  ovsdb::ClientOptions options = Options();
  options.endpoint = fmt::format("tcp:127.0.0.1:{}", port);
  ovsdb::Client client(options);
  ASSERT_TRUE(client.WaitConnected(kPatience));
  ASSERT_TRUE(client.Transact(PortPlugOps("br0", "overtcp", 9)).ok());
  ASSERT_TRUE(PollUntil([&] { return client.Find("Port", "name", "overtcp").size() == 1; }));
  ExpectCacheEqualsServer(client, server_->endpoint());
}

TEST_F(OvsdbClientTest, ServerNeverReachableFailsFast) {
  ovsdb::Client client({.endpoint = "unix:/nonexistent/db.sock", .wait_for_apply = false});
  EXPECT_FALSE(client.connected());
  EXPECT_EQ(client.Transact(PortPlugOps("br0", "x", 1)).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(client.Transact(json::object()).status().code(), absl::StatusCode::kInvalidArgument);
}

// Runs `calls` from one thread each while the server is paused: the first is
// in flight alone, all the others queue behind it; returns each caller's result.
std::vector<StatusOr<json>> RunConcurrently(ovsdb::Client& client, OvsdbServer& server,
                                            const std::vector<json>& calls) {
  const auto pid = static_cast<pid_t>(ServerPid(server));
  EXPECT_EQ(kill(pid, SIGSTOP), 0);
  std::vector<StatusOr<json>> results(calls.size(), absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  threads.emplace_back([&] { results[0] = client.Transact(calls[0]); });
  const bool first_sent =
      static_cast<bool>(PollUntil([&] { return client.stats().in_flight == 1; }));
  std::latch start(static_cast<ptrdiff_t>(calls.size() - 1));
  for (size_t i = 1; i < calls.size(); ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = client.Transact(calls[i]);
    });
  }
  const bool queued =
      static_cast<bool>(PollUntil([&] { return client.stats().queued == calls.size() - 1; }));
  EXPECT_EQ(kill(pid, SIGCONT), 0);
  for (auto& t : threads) t.join();
  EXPECT_TRUE(first_sent);
  EXPECT_TRUE(queued);
  return results;
}

TEST_F(OvsdbClientTest, ConcurrentTransactionsCoalesceAndEachGetsItsOwnResult) {
  ovsdb::Client client(PausableServerOptions());  // the server is paused on purpose
  ASSERT_TRUE(client.connected());
  constexpr int kCallers = 50;
  std::vector<json> calls;
  calls.reserve(kCallers);
  for (int i = 0; i < kCallers; ++i) {
    calls.push_back(PortPlugOps("br0", fmt::format("c{}", i), i + 1));
  }
  const auto results = RunConcurrently(client, *server_, calls);

  const ovsdb::ClientStats stats = client.stats();
  EXPECT_EQ(stats.round_trips, 2U);  // the first alone, the other 49 in one transact
  EXPECT_EQ(stats.max_batch, kCallers - 1U);
  EXPECT_EQ(stats.transactions, static_cast<uint64_t>(kCallers));
  const ovsdb::Table ports = ServerTable(server_->endpoint(), "Port");
  for (int i = 0; i < kCallers; ++i) {
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].status();
    ASSERT_EQ(results[i]->size(), 3U);
    // Its own Port row: the uuid it got back names its port, with its tag, and
    // its Interface (the same uuid-name in every caller) is its own.
    const std::string port_uuid = results[i]->at(1).at("uuid").at(1).get<std::string>();
    const std::string iface_uuid = results[i]->at(0).at("uuid").at(1).get<std::string>();
    ASSERT_TRUE(ports.contains(port_uuid)) << i;
    EXPECT_EQ(ports.at(port_uuid)["name"], fmt::format("c{}", i));
    EXPECT_EQ(ports.at(port_uuid)["tag"], i + 1);
    EXPECT_EQ(ports.at(port_uuid)["interfaces"], json::array({"uuid", iface_uuid}));
  }
  ASSERT_TRUE(PollUntil([&] { return client.GetTable("Port").size() == kCallers + 1U; }));
  ExpectCacheEqualsServer(client, server_->endpoint());
}

TEST_F(OvsdbClientTest, OneBadOperationInABatchFailsOnlyItsCaller) {
  ovsdb::Client client(PausableServerOptions());  // the server is paused on purpose
  ASSERT_TRUE(client.connected());
  std::vector<json> calls;
  calls.push_back(PortPlugOps("br0", "first", 1));
  for (int i = 0; i < 10; ++i) calls.push_back(PortPlugOps("br0", fmt::format("g{}", i), 2));
  calls.push_back(PortPlugOps("br0", "badtag", 5000));  // tag is 0..4095: the op fails
  for (int i = 10; i < 20; ++i) calls.push_back(PortPlugOps("br0", fmt::format("g{}", i), 2));
  const auto results = RunConcurrently(client, *server_, calls);

  for (size_t i = 0; i < calls.size(); ++i) {
    if (i == 11) {
      EXPECT_EQ(results[i].status().code(), absl::StatusCode::kFailedPrecondition);
      EXPECT_THAT(MessageOf(results[i].status()), HasSubstr("constraint violation"));
      EXPECT_THAT(MessageOf(results[i].status()), Not(ContainsRegex("m[0-9]+_")));
    } else {
      EXPECT_TRUE(results[i].ok()) << i << ": " << results[i].status();
    }
  }
  EXPECT_GT(client.stats().reruns, 0U);
  const ovsdb::Table ports = ServerTable(server_->endpoint(), "Port");
  EXPECT_EQ(ports.size(), 1U + 21U);  // br0's own, "first", g0..g19
  for (const auto& [uuid, row] : ports) EXPECT_NE(row["name"], "badtag");
}

TEST_F(OvsdbClientTest, CommitFailureOfABatchIsPinnedOnTheMemberAlone) {
  ovsdb::Client client(PausableServerOptions());  // the server is paused on purpose
  ASSERT_TRUE(client.connected());
  // Two callers insert the same port name: each alone is fine, together the
  // commit breaks the unique index, and no operation is to blame.
  const std::vector<json> calls = {PortPlugOps("br0", "lead", 1), PortPlugOps("br0", "a", 1),
                                   PortPlugOps("br0", "dup", 2), PortPlugOps("br0", "dup", 3),
                                   PortPlugOps("br0", "b", 1)};
  const auto results = RunConcurrently(client, *server_, calls);
  EXPECT_TRUE(results[0].ok() && results[1].ok() && results[4].ok());
  // Whichever of the two queued first wins, as if they had run one by one.
  EXPECT_NE(results[2].ok(), results[3].ok());
  const Status& lost = results[2].ok() ? results[3].status() : results[2].status();
  EXPECT_EQ(lost.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(MessageOf(lost), HasSubstr("constraint violation"));
  EXPECT_EQ(client.stats().reruns, 4U);  // the four members of the failed batch, each alone
  const ovsdb::Table ports = ServerTable(server_->endpoint(), "Port");
  int dups = 0;
  for (const auto& [uuid, row] : ports) dups += row["name"] == "dup" ? 1 : 0;
  EXPECT_EQ(dups, 1);
  EXPECT_EQ(ports.size(), 5U);
}

TEST_F(OvsdbClientTest, ChangeWithoutOvsVswitchdIsReportedAsCommittedButNotApplied) {
  ovsdb::ClientOptions options = Options();
  options.wait_for_apply = true;  // but there is no ovs-vswitchd at all
  ovsdb::Client client(options);
  ASSERT_TRUE(client.connected());
  ExpectCommittedButNotApplied(client, "pending", absl::StatusCode::kUnavailable,
                               "no ovs-vswitchd");
  // Reads change nothing, so they wait for nobody.
  EXPECT_TRUE(client.RowExists("Port", "name", "pending").value_or(false));
}

TEST_F(OvsdbClientTest, ChangeNotAppliedInTimeIsDeadlineExceeded) {
  // A stand-in for a stuck ovs-vswitchd: it holds vswitchd's lock but never
  // moves cur_cfg.
  const std::string log = ::testing::TempDir() + "/stuck-vswitchd.log";
  std::filesystem::remove(log);  // appended to: no "locked" of an earlier run
  BackgroundProcess stuck({"ovsdb-client", "lock", server_->endpoint(), "ovs_vswitchd"}, log);
  ASSERT_TRUE(PollUntil([&] {
    return ReadFile(log).find("{\"locked\":true}") != std::string::npos;
  })) << ReadFile(log);
  ovsdb::ClientOptions options = Options();
  options.wait_for_apply = true;
  options.apply_timeout = std::chrono::milliseconds(300);
  ovsdb::Client client(options);
  ASSERT_TRUE(client.connected());
  ExpectCommittedButNotApplied(client, "late", absl::StatusCode::kDeadlineExceeded, "not applied");
}

// With the testbed's ovs-vswitchd: a change returns once it is applied.
TEST(OvsdbClientVswitchdTest, ChangeReturnsOnceOvsVswitchdAppliedIt) {
  auto bed = StartOrFail<Testbed>();
  ASSERT_NE(bed, nullptr);
  ASSERT_TRUE(bed->AddNetdevBridge("br0"));
  ovsdb::Client client({.endpoint = "unix:" + bed->ovsdb_socket(), .wait_for_apply = true});
  ASSERT_TRUE(client.connected());
  for (int i = 0; i < 5; ++i) {
    const std::string name = fmt::format("hvint{}", i);
    json ops = PortPlugOps("br0", name, 10 + i);
    ops[0]["row"]["type"] = "internal";
    const auto result = client.Transact(ops);
    ASSERT_TRUE(result.ok()) << result.status();
    // Already applied when it returns: cur_cfg caught up with next_cfg, and
    // ovs-vswitchd has given the interface its OpenFlow port number.
    const auto root = client.GetTable("Open_vSwitch");
    ASSERT_EQ(root.size(), 1U);
    const ovsdb::Row& row = root.begin()->second;
    EXPECT_GE(row["cur_cfg"].get<int64_t>(), row["next_cfg"].get<int64_t>());
    const auto iface = client.Find("Interface", "name", name);
    ASSERT_EQ(iface.size(), 1U);
    EXPECT_TRUE(iface[0].second["ofport"].is_number_integer() &&
                iface[0].second["ofport"].get<int64_t>() > 0)
        << iface[0].second.dump();
  }
  EXPECT_EQ(bed->Vsctl({"get", "Interface", "hvint4", "ofport"}).ok(), true);
}

}  // namespace
}  // namespace hvagent::testing
