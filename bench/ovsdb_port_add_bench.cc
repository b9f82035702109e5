// N port adds on the testbed's real ovs-vswitchd: through ovsdb::Client (one at
// a time, and from concurrent callers whose transactions coalesce) against N
// `ovs-vsctl add-port` runs, each change waited for until ovs-vswitchd applied
// it in both cases. Prints the times and their ratios (docs/performance.md).
//
//   build/debug/bench/ovsdb_port_add_bench [N] [THREADS]   (root: it starts a testbed)
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "hvagent/ovsdb/client.h"
#include "hvagent_test/testbed.h"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// The operations of an internal port add, as `ovs-vsctl add-port BR NAME --
// set Interface NAME type=internal` sends them.
json AddPortOps(const std::string& bridge, const std::string& name) {
  return json::array(
      {{{"op", "insert"},
        {"table", "Interface"},
        {"uuid-name", "iface"},
        {"row", {{"name", name}, {"type", "internal"}}}},
       {{"op", "insert"},
        {"table", "Port"},
        {"uuid-name", "port"},
        {"row", {{"name", name}, {"interfaces", json::array({"named-uuid", "iface"})}}}},
       {{"op", "mutate"},
        {"table", "Bridge"},
        {"where", json::array({json::array({"name", "==", bridge})})},
        {"mutations",
         json::array({json::array(
             {"ports", "insert",
              json::array({"set", json::array({json::array({"named-uuid", "port"})})})})})}}});
}

// Every phase starts from an empty bridge: ovs-vswitchd's reconfiguration
// cost grows with the ports it already has.
bool FreshBridge(hvagent::testing::Testbed& bed) {
  (void)bed.Vsctl({"--if-exists", "del-br", "bench0"});
  return bed.AddNetdevBridge("bench0");
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::stoi(argv[1]) : 100;
  const int threads = argc > 2 ? std::stoi(argv[2]) : 16;
  std::string error;
  auto bed = hvagent::testing::Testbed::Start(&error);
  if (bed == nullptr) {
    fmt::print(stderr, "testbed: {}\n", error);
    return 1;
  }
  hvagent::ovsdb::Client client(
      {.endpoint = "unix:" + bed->ovsdb_socket(), .wait_for_apply = true});
  if (!client.connected()) {
    fmt::print(stderr, "ovsdb client did not connect\n");
    return 1;
  }

  // 1. ovs-vsctl, one process per port, each waiting for ovs-vswitchd.
  if (!FreshBridge(*bed)) return 1;
  auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    const std::string name = fmt::format("bv{}", i);
    const auto r =
        bed->Vsctl({"add-port", "bench0", name, "--", "set", "Interface", name, "type=internal"});
    if (!r.ok()) {
      fmt::print(stderr, "ovs-vsctl add-port {}: {}\n", name, r.err);
      return 1;
    }
  }
  const double vsctl = Seconds(Clock::now() - start);

  // 2. The client, one change at a time (no coalescing possible).
  if (!FreshBridge(*bed)) return 1;
  start = Clock::now();
  for (int i = 0; i < n; ++i) {
    const auto r = client.Transact(AddPortOps("bench0", fmt::format("bs{}", i)));
    if (!r.ok()) {
      fmt::print(stderr, "client add {}: {}\n", i, r.status().ToString());
      return 1;
    }
  }
  const double sequential = Seconds(Clock::now() - start);
  const auto before = client.stats();

  // 3. The client from `threads` concurrent callers (as the agent's workers are).
  if (!FreshBridge(*bed)) return 1;
  std::vector<std::thread> workers;
  workers.reserve(static_cast<size_t>(threads));
  std::atomic<int> failures{0};
  start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = t; i < n; i += threads) {
        if (!client.Transact(AddPortOps("bench0", fmt::format("bc{}", i))).ok()) ++failures;
      }
    });
  }
  for (auto& w : workers) w.join();
  const double concurrent = Seconds(Clock::now() - start);
  const auto after = client.stats();
  if (failures > 0) {
    fmt::print(stderr, "{} concurrent adds failed\n", failures.load());
    return 1;
  }
  const uint64_t trips = after.round_trips - before.round_trips;

  fmt::print("N={} threads={}\n", n, threads);
  fmt::print("ovs-vsctl add-port, sequential:   {:8.3f} s  {:7.2f} ms/port\n", vsctl,
             1000 * vsctl / n);
  fmt::print("ovsdb::Client, sequential:        {:8.3f} s  {:7.2f} ms/port  ratio {:.1f}x\n",
             sequential, 1000 * sequential / n, vsctl / sequential);
  fmt::print(
      "ovsdb::Client, {:2} callers:        {:8.3f} s  {:7.2f} ms/port  ratio {:.1f}x  "
      "({} transacts, {:.1f} ports each)\n",
      threads, concurrent, 1000 * concurrent / n, vsctl / concurrent, trips,
      static_cast<double>(n) / static_cast<double>(trips));
  return 0;
}
