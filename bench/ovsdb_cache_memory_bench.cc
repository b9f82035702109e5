// What the OVSDB client's monitor cache costs per port on a real switch: N
// internal ports added to the testbed's ovs-vswitchd in one transaction, then
// the heap an ovsdb::Client holds once connected (malloc's bytes in use,
// mallinfo2, before and after), with the agent's column set
// (ClientOptions::skipped_columns) and with every column but statistics (the
// set before the agent left out the columns it never reads). Prints one table
// (docs/performance.md).
//
//   build/release/bench/ovsdb_cache_memory_bench [N=2000]   (root: it starts a testbed)
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "hvagent/ovsdb/client.h"
#include "hvagent_test/testbed.h"

namespace {

// Heap bytes a connected client holds, measured around its whole life.
struct Held {
  double bytes = 0;
  size_t interface_columns = 0;
  size_t port_columns = 0;
};

bool MeasureClient(const hvagent::ovsdb::ClientOptions& options, int ports, Held* out) {
  malloc_trim(0);
  const size_t before = mallinfo2().uordblks;
  hvagent::ovsdb::Client client(options);
  if (!client.WaitConnected(std::chrono::seconds(30))) return false;
  // Read in place (no copy): the monitor reply is applied whole, so every
  // port is there once connected.
  size_t cached = 0;
  client.ReadCache([&](const hvagent::ovsdb::Cache& cache) {
    const auto& port_rows = cache.table("Port");
    const auto& interface_rows = cache.table("Interface");
    cached = port_rows.size();
    if (port_rows.empty() || interface_rows.empty()) return;
    out->port_columns = port_rows.begin()->second.size();
    out->interface_columns = interface_rows.begin()->second.size();
  });
  const size_t after = mallinfo2().uordblks;
  out->bytes = static_cast<double>(after) - static_cast<double>(before);
  return static_cast<int>(cached) >= ports;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const int n = argc > 1 ? std::stoi(argv[1]) : 2000;
  std::string error;
  auto bed = hvagent::testing::Testbed::Start(&error);
  if (bed == nullptr) {
    fmt::print(stderr, "testbed: {}\n", error);
    return 1;
  }
  if (!bed->AddNetdevBridge("bench0")) return 1;
  std::vector<std::string> add_all = {"--timeout=600"};
  for (int i = 0; i < n; ++i) {
    if (i > 0) add_all.push_back("--");
    const std::string name = fmt::format("cm{}", i);
    for (const std::string& word : {std::string("add-port"), std::string("bench0"), name,
                                    std::string("tag=10"), std::string("--"), std::string("set"),
                                    std::string("Interface"), name, std::string("type=internal")}) {
      add_all.push_back(word);
    }
  }
  if (const auto added = bed->Vsctl(add_all); !added.ok()) {
    fmt::print(stderr, "ovs-vsctl adding {} ports: {}\n", n, added.err);
    return 1;
  }
  fmt::print("{} internal ports on bench0 (ovs-vswitchd applied them)\n", n);

  hvagent::ovsdb::ClientOptions agent_set{.endpoint = "unix:" + bed->ovsdb_socket()};
  hvagent::ovsdb::ClientOptions every_column = agent_set;
  every_column.skipped_columns = {{"Interface", {"statistics"}}};
  Held with_every_column, with_agent_set;
  if (!MeasureClient(every_column, n, &with_every_column) ||
      !MeasureClient(agent_set, n, &with_agent_set)) {
    fmt::print(stderr, "the client did not cache the {} ports\n", n);
    return 1;
  }
  fmt::print(
      "\n| monitored columns | Interface / Port columns | heap held | per port |\n"
      "|---|---|---|---|\n");
  for (const auto& [what, held] : {std::pair{"every one but statistics", with_every_column},
                                   std::pair{"the agent's set", with_agent_set}}) {
    fmt::print("| {} | {} / {} | {:.1f} MiB | {:.1f} KiB |\n", what, held.interface_columns,
               held.port_columns, held.bytes / (1 << 20), held.bytes / 1024 / n);
  }
  return 0;
}
