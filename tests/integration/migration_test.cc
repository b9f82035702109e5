// Migration between two real hosts (scripts/testbed-pair: two libvirtds with
// their own host names and UUIDs, two OVS, a migration veth and a VXLAN tunnel
// between the br0s), each with its own hvagentd. A guest on A pings a peer on
// B's br0 across the tunnel while it moves to B; the agents talk to each other
// over their unix sockets. One pair and one agent per host for the binary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <iostream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "guest_vm_request.h"
#include "hvagent/v1/network.grpc.pb.h"
#include "hvagent/v1/vm.grpc.pb.h"
#include "hvagent_test/agent_process.h"
#include "hvagent_test/polling.h"
#include "hvagent_test/start_or_fail.h"
#include "hvagent_test/test_guest.h"
#include "hvagent_test/testbed_pair.h"

namespace hvagent::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kPeerIp[] = "10.88.0.1";
constexpr char kGuestIp[] = "10.88.0.2";

// What a ping log says about a stretch of pings: sent (by sequence), answered,
// and the longest silence between two answers.
struct PingReport {
  int sent = 0;
  int answered = 0;
  double longest_gap_s = 0;
  int lost() const { return sent - answered; }
};

// iputils `ping -D` lines: "[1701520000.123456] 64 bytes from …: icmp_seq=5 …".
PingReport ParseHostPing(const std::string& log) {
  static const std::regex kLine(R"(\[(\d+\.\d+)\] \d+ bytes from .*icmp_seq=(\d+))");
  PingReport report;
  std::set<int> seqs;
  double last = -1;
  for (std::sregex_iterator it(log.begin(), log.end(), kLine), end; it != end; ++it) {
    const double at = std::stod((*it)[1]);
    seqs.insert(std::stoi((*it)[2]));
    if (last >= 0) report.longest_gap_s = std::max(report.longest_gap_s, at - last);
    last = at;
  }
  if (seqs.empty()) return report;
  report.sent = *seqs.rbegin() - *seqs.begin() + 1;
  report.answered = static_cast<int>(seqs.size());
  return report;
}

// busybox ping lines on the guest's console: "64 bytes from …: seq=5 …".
PingReport ParseGuestPing(const std::string& console) {
  static const std::regex kLine(R"(bytes from [0-9.]+: seq=(\d+))");
  std::set<int> seqs;
  for (std::sregex_iterator it(console.begin(), console.end(), kLine), end; it != end; ++it) {
    seqs.insert(std::stoi((*it)[1]));
  }
  PingReport report;
  if (seqs.empty()) return report;
  report.sent = *seqs.rbegin() - *seqs.begin() + 1;
  report.answered = static_cast<int>(seqs.size());
  return report;
}

// The guest's "tick N" counters in console order.
std::vector<int> Ticks(const std::string& console) {
  static const std::regex kTick(R"(tick (\d+))");
  std::vector<int> ticks;
  for (std::sregex_iterator it(console.begin(), console.end(), kTick), end; it != end; ++it) {
    ticks.push_back(std::stoi((*it)[1]));
  }
  return ticks;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class MigrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pair_ = StartOrFail<TestbedPair>().release();
    ASSERT_NE(pair_, nullptr);
    // The peer the guest pings sits on B's br0, VLAN 10: before the move the
    // guest reaches it only through the VXLAN tunnel.
    std::string error;
    ASSERT_TRUE(
        pair_->b().AddHostNamespace("peer", "eth0", std::string(kPeerIp) + "/24", "hvpeer", &error))
        << error;
    ASSERT_TRUE(pair_->b().Vsctl({"add-port", "br0", "hvpeer", "tag=10"}).ok());
    agent_a_ = StartAgent(pair_->a(), "a").release();
    ASSERT_NE(agent_a_, nullptr);
    agent_b_ = StartAgent(pair_->b(), "b").release();
    ASSERT_NE(agent_b_, nullptr);
    // vlan.10 on both hosts; vlan.20 only on A.
    CreateNetwork(*agent_a_, "vlan.10", 10);
    CreateNetwork(*agent_b_, "vlan.10", 10);
    CreateNetwork(*agent_a_, "vlan.20", 20);
  }
  static void TearDownTestSuite() {
    for (AgentProcess* agent : {agent_a_, agent_b_}) {
      if (agent == nullptr) continue;
      const std::string dir = agent->state_dir();
      delete agent;
      std::filesystem::remove_all(dir);
    }
    agent_a_ = agent_b_ = nullptr;
    delete pair_;
    pair_ = nullptr;
  }

  static std::unique_ptr<AgentProcess> StartAgent(Testbed& bed, const std::string& host) {
    auto agent = std::make_unique<AgentProcess>(AgentOptions{
        .libvirt_uri = bed.libvirt_uri(),
        .ovsdb_endpoint = "unix:" + bed.ovsdb_socket(),
        .state_dir = "/tmp/hvagent-mig" + host + "." + std::to_string(getpid()),
        .netns = bed.netns(),
    });
    if (!agent->Start()) {
      ADD_FAILURE() << "agent on host " << host << " did not start: " << agent->log();
      return nullptr;
    }
    return agent;
  }

  static void CreateNetwork(AgentProcess& agent, const std::string& name, uint32_t vlan) {
    v1::CreateNetworkRequest net;
    net.set_name(name);
    net.set_vlan_id(vlan);
    v1::Network out;
    const grpc::Status s =
        v1::NetworkService::NewStub(agent.Channel())->CreateNetwork(Ctx().get(), net, &out);
    ASSERT_TRUE(s.ok() || s.error_code() == grpc::ALREADY_EXISTS) << s.error_message();
  }

  void TearDown() override {
    // Whatever a test left, on either host.
    for (AgentProcess* agent : {agent_a_, agent_b_}) {
      if (agent != nullptr) DeleteEveryVm(*Vms(*agent));
    }
  }

  static std::unique_ptr<v1::VmService::Stub> Vms(AgentProcess& agent) {
    return v1::VmService::NewStub(agent.Channel());
  }

  // The test guest with one access NIC on `network`, running `script`; 128
  // MiB, so that a live move copies less.
  static v1::CreateVmRequest GuestVm(const std::string& name, const std::string& network,
                                     const std::string& script) {
    v1::CreateVmRequest req = GuestVmRequest(name, script);
    req.mutable_spec()->set_memory_bytes(128ULL << 20);
    req.mutable_spec()->add_nics()->set_network(network);
    return req;
  }

  // Creates `name` on A and powers it on; its VM as A shows it.
  static v1::Vm RunOnA(const std::string& name, const std::string& network,
                       const std::string& script) {
    v1::Vm vm;
    auto stub = Vms(*agent_a_);
    grpc::Status s = stub->CreateVm(Ctx().get(), GuestVm(name, network, script), &vm);
    EXPECT_TRUE(s.ok()) << s.error_message();
    v1::VmPowerRequest on;
    on.set_name(name);
    s = stub->PowerOn(Ctx().get(), on, &vm);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return vm;
  }

  static v1::MigrateVmRequest ToB(const std::string& name) {
    v1::MigrateVmRequest req;
    req.set_name(name);
    req.set_destination("unix:" + agent_b_->socket());
    req.set_destination_libvirt_uri(pair_->b_remote_libvirt_uri());
    req.set_migration_uri("tcp://" + pair_->b_migration_addr());
    req.set_live(true);
    return req;
  }

  // Polls the migration until it ends; its last state.
  // Starts moving `vm` from A to B at `mibps` MiB/s and returns the
  // migration once data is moving.
  static v1::Migration StartAndAwaitProgress(const std::string& vm, uint64_t mibps) {
    v1::MigrateVmRequest req = ToB(vm);
    req.set_max_bandwidth_mibps(mibps);
    v1::Migration now;
    const grpc::Status s = Vms(*agent_a_)->MigrateVm(Ctx().get(), req, &now);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (!s.ok()) return now;
    v1::GetMigrationRequest get;
    get.set_id(now.id());
    EXPECT_TRUE(Eventually(
        [&] {
          return Vms(*agent_a_)->GetMigration(Ctx().get(), get, &now).ok() &&
                 now.data_processed_bytes() > 0;
        },
        "migration progress", seconds(60)));
    return now;
  }

  static v1::Migration WaitForEnd(const std::string& id, seconds patience = seconds(150)) {
    v1::Migration migration;
    v1::GetMigrationRequest get;
    get.set_id(id);
    const auto deadline = std::chrono::steady_clock::now() + patience;
    std::string last_phase;
    while (std::chrono::steady_clock::now() < deadline) {
      const grpc::Status s = Vms(*agent_a_)->GetMigration(Ctx().get(), get, &migration);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      if (migration.phase() != last_phase) {
        last_phase = migration.phase();
        std::cerr << "migration " << id << ": " << last_phase << " (" << migration.percent()
                  << "%)\n";
      }
      if (migration.state() == v1::MIGRATION_STATE_COMPLETED ||
          migration.state() == v1::MIGRATION_STATE_FAILED ||
          migration.state() == v1::MIGRATION_STATE_CANCELLED) {
        return migration;
      }
      std::this_thread::sleep_for(milliseconds(200));
    }
    ADD_FAILURE() << "migration " << id << " did not end within " << patience.count() << " s";
    return migration;
  }

  static grpc::StatusCode GetVmCode(AgentProcess& agent, const std::string& name, v1::Vm* out) {
    v1::GetVmRequest get;
    get.set_name(name);
    return Vms(agent)->GetVm(Ctx().get(), get, out).error_code();
  }

  static bool HasLink(Testbed& bed, const std::string& ifname) {
    return bed.Exec({"ip", "link", "show", ifname}).ok();
  }
  static bool HasPort(Testbed& bed, const std::string& port) {
    return bed.Vsctl({"get", "Port", port, "name"}).ok();
  }
  static bool HasDomain(Testbed& bed, const std::string& name) {
    return RunProcess({"virsh", "-c", bed.libvirt_uri(), "dominfo", name}).ok();
  }

  // Everything of VM `vm` (a domain, NIC taps and ports) is absent from `bed`.
  static void ExpectNothingOf(Testbed& bed, const v1::Vm& vm, const std::string& host) {
    EXPECT_FALSE(HasDomain(bed, vm.spec().name())) << host << " has the domain";
    for (const auto& nic : vm.nics()) {
      EXPECT_FALSE(HasLink(bed, nic.tap())) << host << " has tap " << nic.tap();
      EXPECT_FALSE(HasPort(bed, nic.tap())) << host << " has port " << nic.tap();
    }
  }

  // An answer as its status and serialized response.
  struct Answered {
    grpc::Status status;
    std::string bytes;
  };

  // Sends `send` to A, SIGKILLs A `delay` later, starts a new A on the same
  // store, and retries the same call until it answers, as a controller that
  // cannot know how far it got would. The first answer and the retry's.
  template <typename Response, typename Send>
  static std::pair<Answered, Answered> KillAAndRetry(const Send& send, milliseconds delay) {
    auto call = [&send](const std::shared_ptr<grpc::Channel>& channel) {
      Response out;
      auto stub = v1::VmService::NewStub(channel);
      const grpc::Status status = send(*stub, Ctx().get(), &out);
      return Answered{status, out.SerializeAsString()};
    };
    auto first = std::async(std::launch::async, call, agent_a_->Channel());
    std::this_thread::sleep_for(delay);
    agent_a_->Kill();
    const Answered before = first.get();
    EXPECT_TRUE(agent_a_->Start()) << agent_a_->log();
    Answered retried;
    for (int attempt = 0; attempt < 60; ++attempt) {
      retried = call(agent_a_->Channel());
      if (retried.status.error_code() != grpc::UNAVAILABLE) break;
      std::this_thread::sleep_for(milliseconds(500));
    }
    return {before, retried};
  }

  // `send` (a call answering a Migration) killed `kill` in and retried: its
  // migration as the retry answered it, which must be OK and, when the first
  // call answered before the kill, that same answer. `answered` tells which.
  template <typename Send>
  static v1::Migration KilledAndRetried(const std::string& what, const Send& send,
                                        milliseconds kill, bool* answered) {
    const auto [first, retried] = KillAAndRetry<v1::Migration>(send, kill);
    *answered = first.status.ok();
    EXPECT_TRUE(retried.status.ok()) << what << " killed after " << kill.count()
                                     << " ms, retried: " << retried.status.error_message();
    if (first.status.ok()) {
      EXPECT_EQ(retried.bytes, first.bytes) << what << ": another answer replayed";
    }
    v1::Migration migration;
    EXPECT_TRUE(migration.ParseFromString(retried.bytes));
    return migration;
  }

  // The fault tests' seed (HVAGENT_FAULT_SEED replays one; printed) and
  // rounds (HVAGENT_FAULT_ROUNDS, make soak: 10).
  // (getenv: nothing in these tests sets the environment.)
  static unsigned FaultSeed(const std::string& what) {
    const char* given = std::getenv("HVAGENT_FAULT_SEED");  // NOLINT(concurrency-mt-unsafe)
    const unsigned seed = given != nullptr ? static_cast<unsigned>(std::stoul(given))
                                           : std::mt19937(std::random_device{}())();
    std::cerr << what << ": seed " << seed << ", " << FaultRounds() << " rounds\n";
    return seed;
  }
  static int FaultRounds() {
    const char* rounds = std::getenv("HVAGENT_FAULT_ROUNDS");  // NOLINT(concurrency-mt-unsafe)
    return rounds != nullptr && std::atoi(rounds) > 0 ? std::atoi(rounds) : 1;
  }

  // Where `name` runs: "A", "B", or what else virsh says of both.
  static std::string WhereRuns(const std::string& name) {
    auto state = [&](Testbed& bed) {
      const ProcessResult r = RunProcess({"virsh", "-c", bed.libvirt_uri(), "domstate", name});
      return r.ok() ? r.out.substr(0, r.out.find('\n')) : std::string("(none)");
    };
    const std::string on_a = state(pair_->a());
    const std::string on_b = state(pair_->b());
    if (on_a == "running" && on_b == "(none)") return "A";
    if (on_b == "running" && on_a == "(none)") return "B";
    return "A: " + on_a + ", B: " + on_b;
  }

  // `name` runs on `host` ("A" or "B") only, within a minute.
  static void ExpectRunsOnlyOn(const std::string& name, const std::string& host) {
    std::string where;
    EXPECT_TRUE(Eventually(
        [&] {
          where = WhereRuns(name);
          return where == host;
        },
        "the VM on " + host + " only", seconds(60)))
        << where;
  }

  inline static TestbedPair* pair_ = nullptr;
  inline static AgentProcess* agent_a_ = nullptr;
  inline static AgentProcess* agent_b_ = nullptr;
};

TEST_F(MigrationTest, RunningGuestMovesToBWhilePingingAPeerOnB) {
  // The guest pings the peer every 200 ms and counts seconds on its console.
  const std::string script = std::string("ip link set eth0 up\nip addr add ") + kGuestIp +
                             "/24 dev eth0\n"
                             "(i=0; while true; do i=$((i+1)); echo \"tick $i\"; sleep 1; done) &\n"
                             "ping -i 0.2 " +
                             kPeerIp + "\n";
  const v1::Vm vm = RunOnA("mover", "vlan.10", script);
  ASSERT_EQ(vm.nics_size(), 1);
  const std::string tap = vm.nics(0).tap();
  const std::string console = vm.console_log_path();
  ASSERT_FALSE(console.empty());
  // Across the tunnel before the move.
  ASSERT_TRUE(Eventually([&] { return ParseGuestPing(ReadFile(console)).answered >= 3; },
                         "the guest's pings answered across the VXLAN tunnel", seconds(120)));
  ASSERT_TRUE(HasLink(pair_->a(), tap));
  ASSERT_TRUE(HasPort(pair_->a(), tap));

  // The peer pings the guest too, with host time stamps: the measured gap.
  BackgroundProcess peer_ping(
      {"ip", "netns", "exec", pair_->b().netns() + "-peer", "ping", "-D", "-i", "0.1", kGuestIp},
      pair_->b().state_dir() + "/peer-ping.log");
  const size_t console_before = ReadFile(console).size();
  const std::vector<int> ticks_before = Ticks(ReadFile(console));
  ASSERT_FALSE(ticks_before.empty());
  std::this_thread::sleep_for(seconds(2));

  v1::Migration started;
  const auto t0 = std::chrono::steady_clock::now();
  grpc::Status s = Vms(*agent_a_)->MigrateVm(Ctx().get(), ToB("mover"), &started);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(started.id().empty());
  EXPECT_EQ(started.destination(), "unix:" + agent_b_->socket());
  const v1::Migration done = WaitForEnd(started.id());
  const double took_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(done.state(), v1::MIGRATION_STATE_COMPLETED) << done.error();
  EXPECT_EQ(done.percent(), 100u);
  EXPECT_GT(done.data_total_bytes(), 0u);

  // Pings go on after the move, now inside B.
  const int answered_at_end = ParseGuestPing(ReadFile(console)).answered;
  ASSERT_TRUE(
      Eventually([&] { return ParseGuestPing(ReadFile(console)).answered >= answered_at_end + 5; },
                 "the guest's pings answered on B", seconds(60)));
  peer_ping.Signal(SIGINT);
  peer_ping.Wait(seconds(5));
  const PingReport from_peer = ParseHostPing(ReadFile(pair_->b().state_dir() + "/peer-ping.log"));
  const std::string console_after = ReadFile(console);
  const PingReport from_guest = ParseGuestPing(console_after.substr(console_before));
  std::cerr << "MIGRATION RESULT: live migration A->B took " << took_s << " s, "
            << done.data_total_bytes() / 1024 << " KiB total; libvirt downtime "
            << done.downtime_ms() << " ms\n"
            << "MIGRATION RESULT: guest->peer pings (200 ms): " << from_guest.sent << " sent, "
            << from_guest.lost() << " lost\n"
            << "MIGRATION RESULT: peer->guest pings (100 ms): " << from_peer.sent << " sent, "
            << from_peer.lost() << " lost, longest gap between replies "
            << static_cast<int>(from_peer.longest_gap_s * 1000) << " ms\n";
  EXPECT_GT(from_peer.answered, 0);
  // "A moment": a few seconds at most under TCG on a loaded machine.
  EXPECT_LT(from_peer.longest_gap_s, 5.0);
  EXPECT_LT(from_guest.lost(), 25);

  // Not rebooted: one boot, and the counter carries on from where it was.
  EXPECT_EQ(Count(console_after, "hvtest: up"), 1u);
  const std::vector<int> ticks = Ticks(console_after);
  ASSERT_FALSE(ticks.empty());
  EXPECT_TRUE(std::is_sorted(ticks.begin(), ticks.end())) << "the counter restarted";
  EXPECT_GT(ticks.back(), ticks_before.back() + 2);

  // B has the VM (persistent, running), its tap and port; A has none of them.
  v1::Vm on_b;
  ASSERT_EQ(GetVmCode(*agent_b_, "mover", &on_b), grpc::OK);
  EXPECT_EQ(on_b.power_state(), v1::POWER_STATE_ON);
  EXPECT_TRUE(HasLink(pair_->b(), tap));
  EXPECT_TRUE(HasPort(pair_->b(), tap));
  EXPECT_EQ(pair_->b().Vsctl({"get", "Port", tap, "tag"}).out, "10\n");
  v1::Vm on_a;
  EXPECT_EQ(GetVmCode(*agent_a_, "mover", &on_a), grpc::NOT_FOUND);
  ExpectNothingOf(pair_->a(), vm, "A");
}

TEST_F(MigrationTest, DestinationWithoutTheNetworkIsRefusedAndNothingMoves) {
  const v1::Vm vm = RunOnA("stayer", "vlan.20", "sleep 3600\n");
  v1::Migration out;
  const grpc::Status s = Vms(*agent_a_)->MigrateVm(Ctx().get(), ToB("stayer"), &out);
  EXPECT_EQ(s.error_code(), grpc::FAILED_PRECONDITION) << s.error_message();
  EXPECT_NE(s.error_message().find("vlan.20"), std::string::npos) << s.error_message();
  v1::Vm on_a;
  ASSERT_EQ(GetVmCode(*agent_a_, "stayer", &on_a), grpc::OK);
  EXPECT_EQ(on_a.power_state(), v1::POWER_STATE_ON);
  EXPECT_TRUE(HasPort(pair_->a(), vm.nics(0).tap()));
  ExpectNothingOf(pair_->b(), vm, "B");
}

TEST_F(MigrationTest, DestinationThatCannotRunTheVmsCpuIsRefusedNamingFeatures) {
  // A model this (TCG) hypervisor cannot offer: B's compare refuses it. The
  // VM is stopped (it could not run on A either) and moves offline, so only
  // B's CPU check stands in the way.
  v1::CreateVmRequest create = GuestVm("fast", "vlan.10", "sleep 3600\n");
  create.mutable_spec()->set_cpu_model_override("Cascadelake-Server");
  v1::Vm vm;
  grpc::Status s = Vms(*agent_a_)->CreateVm(Ctx().get(), create, &vm);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::MigrateVmRequest req = ToB("fast");
  req.set_live(false);
  v1::Migration out;
  s = Vms(*agent_a_)->MigrateVm(Ctx().get(), req, &out);
  EXPECT_EQ(s.error_code(), grpc::FAILED_PRECONDITION) << s.error_message();
  // The features are named (which ones is the cpu module's finding).
  EXPECT_THAT(s.error_message(),
              ::testing::ContainsRegex("cannot run the VM's: missing CPU features: [a-z0-9]"));
  std::cerr << "CPU refusal: " << s.error_message() << "\n";
  v1::Vm on_a;
  EXPECT_EQ(GetVmCode(*agent_a_, "fast", &on_a), grpc::OK);
  ExpectNothingOf(pair_->b(), vm, "B");
}

TEST_F(MigrationTest, CancelledMidwayLeavesTheVmRunningOnAAndBClean) {
  const v1::Vm vm = RunOnA("slow", "vlan.10", "sleep 3600\n");
  // Midway (1 MiB/s: slow enough to cancel): data is moving, and the
  // destination has prepared the NIC.
  v1::Migration now = StartAndAwaitProgress("slow", 1);
  ASSERT_FALSE(HasFailure());
  v1::GetMigrationRequest get;
  get.set_id(now.id());
  grpc::Status s;
  EXPECT_EQ(now.state(), v1::MIGRATION_STATE_RUNNING);
  EXPECT_GT(now.data_remaining_bytes(), 0u);
  EXPECT_TRUE(HasPort(pair_->b(), vm.nics(0).tap())) << "B did not prepare the port";
  std::cerr << "cancel at " << now.data_processed_bytes() / 1024 << " of "
            << now.data_total_bytes() / 1024 << " KiB\n";

  v1::CancelMigrationRequest cancel;
  cancel.set_id(now.id());
  v1::Migration cancelling;
  s = Vms(*agent_a_)->CancelMigration(Ctx().get(), cancel, &cancelling);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const v1::Migration done = WaitForEnd(now.id(), seconds(60));
  EXPECT_EQ(done.state(), v1::MIGRATION_STATE_CANCELLED) << done.error();

  v1::Vm on_a;
  ASSERT_EQ(GetVmCode(*agent_a_, "slow", &on_a), grpc::OK);
  EXPECT_EQ(on_a.power_state(), v1::POWER_STATE_ON);
  EXPECT_TRUE(HasLink(pair_->a(), vm.nics(0).tap()));
  EXPECT_TRUE(HasPort(pair_->a(), vm.nics(0).tap()));
  ExpectNothingOf(pair_->b(), vm, "B");
}

TEST_F(MigrationTest, StoppedVmMovesOffline) {
  v1::Vm vm;
  grpc::Status s =
      Vms(*agent_a_)->CreateVm(Ctx().get(), GuestVm("parked", "vlan.10", "sleep 3600\n"), &vm);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::MigrateVmRequest req = ToB("parked");
  req.set_live(true);
  v1::Migration out;
  s = Vms(*agent_a_)->MigrateVm(Ctx().get(), req, &out);
  EXPECT_EQ(s.error_code(), grpc::FAILED_PRECONDITION) << "live migration of a stopped VM";

  // Through hvctl, as an operator would.
  const ProcessResult cli =
      RunProcess({BuildDir() + "/src/cli/hvctl", "--endpoint", "unix:" + agent_a_->socket(), "-o",
                  "json", "vm.migrate", "parked", "host=unix:" + agent_b_->socket(),
                  "libvirt_uri=" + pair_->b_remote_libvirt_uri(), "live=false"});
  ASSERT_TRUE(cli.ok()) << cli.out << cli.err;
  std::smatch id;
  ASSERT_TRUE(std::regex_search(cli.out, id, std::regex(R"re("id":\s*"([^"]+)")re"))) << cli.out;
  const v1::Migration done = WaitForEnd(id[1].str(), seconds(60));
  ASSERT_EQ(done.state(), v1::MIGRATION_STATE_COMPLETED) << done.error();
  EXPECT_FALSE(done.live());
  v1::Vm on_b;
  ASSERT_EQ(GetVmCode(*agent_b_, "parked", &on_b), grpc::OK);
  EXPECT_EQ(on_b.power_state(), v1::POWER_STATE_OFF);
  EXPECT_EQ(on_b.uuid(), vm.uuid());
  v1::Vm on_a;
  EXPECT_EQ(GetVmCode(*agent_a_, "parked", &on_a), grpc::NOT_FOUND);
}

TEST_F(MigrationTest, KillingTheSourceAgentMidwayEndsWithTheVmOnOneHostOnly) {
  const v1::Vm vm = RunOnA("orphan", "vlan.10", "sleep 3600\n");
  const std::string tap = vm.nics(0).tap();
  // 16 MiB/s: about 10 s, killed well before the end.
  v1::Migration now = StartAndAwaitProgress("orphan", 16);
  ASSERT_FALSE(HasFailure());
  v1::GetMigrationRequest get;
  get.set_id(now.id());
  grpc::Status s;
  agent_a_->Kill();
  ASSERT_TRUE(agent_a_->Start()) << agent_a_->log();

  // libvirt finishes (or fails) the job without the agent: the VM then runs
  // on exactly one host, defined on that one only.
  auto state = [](Testbed& bed) {
    const ProcessResult r = RunProcess({"virsh", "-c", bed.libvirt_uri(), "domstate", "orphan"});
    return r.ok() ? r.out.substr(0, r.out.find('\n')) : std::string("(none)");
  };
  std::string on_a, on_b;
  ASSERT_TRUE(Eventually(
      [&] {
        on_a = state(pair_->a());
        on_b = state(pair_->b());
        return (on_a == "running") != (on_b == "running") && (on_a == "(none)" || on_b == "(none)");
      },
      "the VM on one host only", seconds(180)))
      << "A: " << on_a << ", B: " << on_b;
  std::cerr << "MIGRATION RESULT: source agent killed midway: the VM ended on "
            << (on_b == "running" ? "B" : "A") << "\n";
  Testbed& home = on_b == "running" ? pair_->b() : pair_->a();
  Testbed& away = on_b == "running" ? pair_->a() : pair_->b();
  AgentProcess& home_agent = on_b == "running" ? *agent_b_ : *agent_a_;
  v1::Vm shown;
  EXPECT_EQ(GetVmCode(home_agent, "orphan", &shown), grpc::OK);
  EXPECT_TRUE(HasPort(home, tap));
  // The other host's NICs go: the restarted source's sweep removes a
  // vanished VM's, the destination its failed arrival's.
  EXPECT_TRUE(Eventually([&] { return !HasPort(away, tap) && !HasLink(away, tap); },
                         "the other host's NICs removed", seconds(60)));
  // The restarted agent answers for the migration its predecessor began,
  // from its record and where the VM is now: the same outcome on every read.
  const v1::MigrationState expected =
      on_b == "running" ? v1::MIGRATION_STATE_COMPLETED : v1::MIGRATION_STATE_FAILED;
  for (int read = 0; read < 2; ++read) {
    v1::Migration outcome;
    s = Vms(*agent_a_)->GetMigration(Ctx().get(), get, &outcome);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(outcome.id(), now.id());
    EXPECT_EQ(outcome.vm_name(), "orphan");
    EXPECT_EQ(outcome.state(), expected)
        << v1::MigrationState_Name(outcome.state()) << ": " << outcome.error();
    if (expected == v1::MIGRATION_STATE_FAILED) {
      EXPECT_THAT(outcome.error(), ::testing::HasSubstr("agent restarted mid-migration"));
    }
  }
  // Ended: nothing to cancel.
  v1::CancelMigrationRequest cancel;
  cancel.set_id(now.id());
  v1::Migration cancelled;
  EXPECT_EQ(Vms(*agent_a_)->CancelMigration(Ctx().get(), cancel, &cancelled).error_code(),
            grpc::FAILED_PRECONDITION);
}

// Exactly once through a kill (issue 15; the fault suite's migration part):
// MigrateVm and CancelMigration, each sent with a request_id, the source
// agent SIGKILLed at a random point of the call (seeded; HVAGENT_FAULT_SEED
// replays; HVAGENT_FAULT_ROUNDS repeats), a new agent started on its store,
// the call retried with the same request_id. The retry answers OK with the
// migration the first call began (the same answer when the first one came),
// never a second migration nor NOT_FOUND for a VM that has left; that
// migration ends as one would; the VM runs on one host only and the other
// keeps none of its NICs.
TEST_F(MigrationTest, MigrateAndCancelKilledMidwayAndRetriedActExactlyOnce) {
  const unsigned seed = FaultSeed("migration faults");
  std::mt19937 random(seed);
  // Within the call's usual length, so kills land before, during and after
  // it (here a MigrateVm answered within about 110 ms, a cancel within 15).
  auto delay = [&random](int max_ms) {
    return milliseconds(std::uniform_int_distribution<int>(0, max_ms)(random));
  };
  auto nics_gone = [](Testbed& bed, const v1::Vm& vm) {
    return std::all_of(vm.nics().begin(), vm.nics().end(), [&](const v1::Nic& nic) {
      return !HasPort(bed, nic.tap()) && !HasLink(bed, nic.tap());
    });
  };
  for (int round = 0; round < FaultRounds(); ++round) {
    // MigrateVm, unthrottled: a few seconds.
    const std::string mover = fmt::format("eo-move-{}", round);
    const v1::Vm vm = RunOnA(mover, "vlan.10", "sleep 3600\n");
    ASSERT_FALSE(HasFailure());
    v1::MigrateVmRequest move = ToB(mover);
    move.set_request_id(fmt::format("eo-migrate-{}-{}", seed, round));
    const milliseconds move_kill = delay(150);
    bool answered = false;
    const v1::Migration began = KilledAndRetried(
        "MigrateVm",
        [&move](v1::VmService::Stub& stub, grpc::ClientContext* ctx, v1::Migration* out) {
          return stub.MigrateVm(ctx, move, out);
        },
        move_kill, &answered);
    ASSERT_FALSE(HasFailure());
    const v1::Migration moved = WaitForEnd(began.id());
    std::cerr << "MIGRATION RESULT: MigrateVm killed after " << move_kill.count() << " ms ("
              << (answered ? "answered" : "not answered")
              << "): " << v1::MigrationState_Name(moved.state()) << "\n";
    ASSERT_TRUE(moved.state() == v1::MIGRATION_STATE_COMPLETED ||
                moved.state() == v1::MIGRATION_STATE_FAILED)
        << v1::MigrationState_Name(moved.state()) << ": " << moved.error();
    if (moved.state() == v1::MIGRATION_STATE_FAILED) {
      // Only the kill of the agent that ran it fails a migration here.
      EXPECT_THAT(moved.error(), ::testing::HasSubstr("agent restarted mid-migration"));
    }
    const bool on_b = moved.state() == v1::MIGRATION_STATE_COMPLETED;
    ExpectRunsOnlyOn(mover, on_b ? "B" : "A");
    EXPECT_TRUE(Eventually([&] { return nics_gone(on_b ? pair_->a() : pair_->b(), vm); },
                           "the other host's NICs removed", seconds(60)));
    DeleteEveryVm(*Vms(*agent_a_));
    DeleteEveryVm(*Vms(*agent_b_));

    // CancelMigration of a migration throttled to about 10 s.
    const std::string stayer = fmt::format("eo-stay-{}", round);
    const v1::Vm kept = RunOnA(stayer, "vlan.10", "sleep 3600\n");
    const v1::Migration moving = StartAndAwaitProgress(stayer, 16);
    ASSERT_FALSE(HasFailure());
    v1::CancelMigrationRequest cancel;
    cancel.set_id(moving.id());
    cancel.set_request_id(fmt::format("eo-cancel-{}-{}", seed, round));
    const milliseconds cancel_kill = delay(50);
    KilledAndRetried(
        "CancelMigration",
        [&cancel](v1::VmService::Stub& stub, grpc::ClientContext* ctx, v1::Migration* out) {
          return stub.CancelMigration(ctx, cancel, out);
        },
        cancel_kill, &answered);
    ASSERT_FALSE(HasFailure());
    const v1::Migration stopped = WaitForEnd(moving.id());
    std::cerr << "MIGRATION RESULT: CancelMigration killed after " << cancel_kill.count() << " ms ("
              << (answered ? "answered" : "not answered")
              << "): " << v1::MigrationState_Name(stopped.state()) << "\n";
    EXPECT_EQ(stopped.state(), v1::MIGRATION_STATE_CANCELLED) << stopped.error();
    ExpectRunsOnlyOn(stayer, "A");
    EXPECT_TRUE(
        Eventually([&] { return nics_gone(pair_->b(), kept); }, "B keeps no NIC", seconds(60)));
    DeleteEveryVm(*Vms(*agent_a_));
    DeleteEveryVm(*Vms(*agent_b_));
    if (HasFailure()) break;
  }
}

// The destination's agent SIGKILLed at a random point of a migration (its
// checks, its preparation of the NICs, libvirt's copy, or its finish; seeded
// as above) and restarted. The source's calls to it fail while it is away;
// the migration still ends one way: COMPLETED with the VM running on B, its
// port there (libvirt's copy does not need B's agent), or FAILED with the
// VM running on A; the other host keeps none of its NICs (B's restart
// sweeps a preparation no domain uses), and the home host's agent shows it.
TEST_F(MigrationTest, KillingTheDestinationAgentMidwayEndsWithTheVmOnOneHostOnly) {
  const unsigned seed = FaultSeed("destination faults");
  std::mt19937 random(seed);
  for (int round = 0; round < FaultRounds(); ++round) {
    const std::string name = fmt::format("eo-arrive-{}", round);
    const v1::Vm vm = RunOnA(name, "vlan.10", "sleep 3600\n");
    ASSERT_FALSE(HasFailure());
    v1::MigrateVmRequest move = ToB(name);
    move.set_request_id(fmt::format("eo-arrive-{}-{}", seed, round));
    // An unthrottled move of this guest takes about 3.5 s here; every other
    // round kills within the first 300 ms (the checks and the preparation).
    const int span_ms = round % 2 == 0 ? 300 : 4000;
    const milliseconds kill_at(std::uniform_int_distribution<int>(0, span_ms)(random));
    auto first = std::async(std::launch::async, [&move, channel = agent_a_->Channel()] {
      v1::Migration out;
      const grpc::Status status =
          v1::VmService::NewStub(channel)->MigrateVm(Ctx().get(), move, &out);
      return std::pair(status, out);
    });
    std::this_thread::sleep_for(kill_at);
    agent_b_->Kill();
    ASSERT_TRUE(agent_b_->Start()) << agent_b_->log();
    auto [status, began] = first.get();
    // Refused while B was away (its check answered UNAVAILABLE): nothing
    // moved, and the same request asks again.
    for (int attempt = 0; attempt < 60 && !status.ok(); ++attempt) {
      EXPECT_EQ(status.error_code(), grpc::UNAVAILABLE) << status.error_message();
      std::this_thread::sleep_for(milliseconds(500));
      status = Vms(*agent_a_)->MigrateVm(Ctx().get(), move, &began);
    }
    ASSERT_TRUE(status.ok()) << status.error_message();
    const v1::Migration ended = WaitForEnd(began.id());
    std::cerr << "MIGRATION RESULT: destination agent killed " << kill_at.count()
              << " ms into a migration: " << v1::MigrationState_Name(ended.state()) << " ("
              << ended.error() << ")\n";
    ASSERT_TRUE(ended.state() == v1::MIGRATION_STATE_COMPLETED ||
                ended.state() == v1::MIGRATION_STATE_FAILED)
        << v1::MigrationState_Name(ended.state());
    const bool on_b = ended.state() == v1::MIGRATION_STATE_COMPLETED;
    ExpectRunsOnlyOn(name, on_b ? "B" : "A");
    Testbed& home = on_b ? pair_->b() : pair_->a();
    Testbed& away = on_b ? pair_->a() : pair_->b();
    AgentProcess& home_agent = on_b ? *agent_b_ : *agent_a_;
    const std::string tap = vm.nics(0).tap();
    EXPECT_TRUE(Eventually([&] { return HasPort(home, tap) && HasLink(home, tap); },
                           "the NIC on the VM's host", seconds(60)));
    EXPECT_TRUE(Eventually([&] { return !HasPort(away, tap) && !HasLink(away, tap); },
                           "the other host's NICs removed", seconds(60)));
    v1::Vm shown;
    EXPECT_EQ(GetVmCode(home_agent, name, &shown), grpc::OK);
    DeleteEveryVm(*Vms(*agent_a_));
    DeleteEveryVm(*Vms(*agent_b_));
    if (HasFailure()) break;
  }
}

}  // namespace
}  // namespace hvagent::testing
