// What the bridge chain costs with no service chain configured: ping RTT and
// one TCP stream's throughput between a port behind the chain (on br0.local,
// crossing br.microseg and br.nf) and a port on br0, against two ports both
// on br0, on the testbed's real ovs-vswitchd (userspace datapath). The chain
// is made by the agent's own network::BridgeChain. Prints one line per path
// and the ratios (docs/performance.md).
//
//   build/release/bench/bridge_chain_cost_bench [PINGS] [MIBYTES]   (root: it starts a testbed)
#include <chrono>
#include <cstdio>
#include <regex>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "hvagent/network/bridge_chain.h"
#include "hvagent/ovsdb/client.h"
#include "hvagent_test/testbed.h"

namespace {

using Clock = std::chrono::steady_clock;
using hvagent::testing::Testbed;

struct PathCost {
  double rtt_avg_ms = 0;
  double rtt_mdev_ms = 0;
  double mbit_per_s = 0;
};

// `pings` pings 10 ms apart from namespace `from` to `to`; ping's own summary.
bool MeasureRtt(Testbed& bed, const std::string& from, const std::string& to, int pings,
                PathCost& cost) {
  const auto r = bed.ExecIn(from, {"ping", "-q", "-i", "0.01", "-c", std::to_string(pings), to});
  std::smatch m;
  static const std::regex kSummary(R"(= ([0-9.]+)/([0-9.]+)/([0-9.]+)/([0-9.]+) ms)");
  if (!r.ok() || !std::regex_search(r.out, m, kSummary)) {
    fmt::print(stderr, "ping {} -> {}: {}{}\n", from, to, r.out, r.err);
    return false;
  }
  cost.rtt_avg_ms = std::stod(m[2]);
  cost.rtt_mdev_ms = std::stod(m[4]);
  return true;
}

// One TCP stream of `mbytes` MiB from `from` to a socat sink in `to_ns`.
bool MeasureThroughput(Testbed& bed, const std::string& from, const std::string& to_ns,
                       const std::string& to, int mbytes, PathCost& cost) {
  std::thread sink([&] {
    (void)bed.ExecIn(to_ns, {"socat", "-u", "TCP-LISTEN:5201,reuseaddr", "OPEN:/dev/null"});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto start = Clock::now();
  const auto r = bed.ExecIn(
      from, {"sh", "-c",
             fmt::format("dd if=/dev/zero bs=1M count={} 2>/dev/null | socat -u - TCP:{}:5201",
                         mbytes, to)});
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  sink.join();
  if (!r.ok()) {
    fmt::print(stderr, "stream {} -> {}: exit {}{} {}\n", from, to, r.exit_code,
               r.timed_out ? " (timed out)" : "", r.err);
    return false;
  }
  cost.mbit_per_s = mbytes * 8.0 * 1.048576 / seconds;
  return true;
}

bool AddPort(Testbed& bed, const std::string& suffix, const std::string& cidr,
             const std::string& bridge) {
  std::string error;
  if (!bed.AddHostNamespace(suffix, "eth0", cidr, "hv" + suffix, &error)) {
    fmt::print(stderr, "namespace {}: {}\n", suffix, error);
    return false;
  }
  // OVS's userspace datapath forwards a veth's frames as they are: with tx
  // checksum offload on, TCP segments arrive with no checksum and are dropped.
  const auto offload = bed.ExecIn(suffix, {"ethtool", "-K", "eth0", "tx", "off"});
  if (!offload.ok()) {
    fmt::print(stderr, "ethtool in {}: {}\n", suffix, offload.err);
    return false;
  }
  return bed.Vsctl({"add-port", bridge, "hv" + suffix, "tag=10"}).ok();
}

}  // namespace

int main(int argc, char** argv) {
  const int pings = argc > 1 ? std::stoi(argv[1]) : 500;
  const int mbytes = argc > 2 ? std::stoi(argv[2]) : 40;
  std::string error;
  auto bed = Testbed::Start(&error);
  if (bed == nullptr) {
    fmt::print(stderr, "testbed: {}\n", error);
    return 1;
  }
  hvagent::ovsdb::Client client(
      {.endpoint = "unix:" + bed->ovsdb_socket(), .wait_for_apply = true});
  if (!client.connected() || !bed->AddNetdevBridge("br0")) {
    fmt::print(stderr, "no br0 on the testbed\n");
    return 1;
  }
  if (auto made = hvagent::network::BridgeChain(client).Ensure(); !made.ok()) {
    fmt::print(stderr, "bridge chain: {}\n", made.status().ToString());
    return 1;
  }
  // The server on br0; one client behind the chain, one beside the server.
  if (!AddPort(*bed, "server", "10.77.0.1/24", "br0") ||
      !AddPort(*bed, "chained", "10.77.0.2/24", "br0.local") ||
      !AddPort(*bed, "direct", "10.77.0.3/24", "br0")) {
    return 1;
  }
  (void)bed->ExecIn("chained", {"ping", "-c", "3", "-W", "2", "10.77.0.1"});  // learn MACs
  (void)bed->ExecIn("direct", {"ping", "-c", "3", "-W", "2", "10.77.0.1"});

  PathCost chained;
  PathCost direct;
  // Alternated, so a load change on the host hits both paths alike.
  for (int round = 0; round < 2; ++round) {
    PathCost c;
    PathCost d;
    if (!MeasureRtt(*bed, "direct", "10.77.0.1", pings / 2, d) ||
        !MeasureRtt(*bed, "chained", "10.77.0.1", pings / 2, c)) {
      return 1;
    }
    // MIBYTES 0: RTT only.
    if (mbytes > 0 && (!MeasureThroughput(*bed, "direct", "server", "10.77.0.1", mbytes / 2, d) ||
                       !MeasureThroughput(*bed, "chained", "server", "10.77.0.1", mbytes / 2, c))) {
      return 1;
    }
    for (auto [sum, one] : {std::pair{&chained, &c}, std::pair{&direct, &d}}) {
      sum->rtt_avg_ms += one->rtt_avg_ms / 2;
      sum->rtt_mdev_ms += one->rtt_mdev_ms / 2;
      sum->mbit_per_s += one->mbit_per_s / 2;
    }
  }
  fmt::print("both on br0:            RTT {:.3f} ms (mdev {:.3f}), TCP {:.0f} Mbit/s\n",
             direct.rtt_avg_ms, direct.rtt_mdev_ms, direct.mbit_per_s);
  fmt::print("br0.local -> chain -> br0: RTT {:.3f} ms (mdev {:.3f}), TCP {:.0f} Mbit/s\n",
             chained.rtt_avg_ms, chained.rtt_mdev_ms, chained.mbit_per_s);
  fmt::print("chain cost: RTT {:+.3f} ms ({:+.0f}%), throughput {:.0f}% of direct\n",
             chained.rtt_avg_ms - direct.rtt_avg_ms,
             100.0 * (chained.rtt_avg_ms - direct.rtt_avg_ms) / direct.rtt_avg_ms,
             direct.mbit_per_s > 0 ? 100.0 * chained.mbit_per_s / direct.mbit_per_s : 0.0);
  return 0;
}
