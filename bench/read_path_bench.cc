// The API read path at a full host's scale (issue 16): a testbed, hvagentd on
// it, VMS VMs defined through the API (powered off, two NICs each, on two
// networks), then GetVm p50/p99, ListVms of every page, GetHost throughput
// from 8 client threads, GetNetwork/ListNetworks latency; against the raw
// tools in the same run: `virsh dominfo` / `virsh list --all` (a process
// each) and the libvirt calls an uncached reader makes (lookup, inactive XML,
// state; per domain for a list). ListVms is also timed at every size in
// SCALE on the way up, with one CreateVm at that size against libvirt's own
// define of the same definition. One table, and JSON (docs/performance.md).
//
//   build/release/bench/read_path_bench [VMS=500] [SCALE=100,500] [JSON=read_path_bench.json]
//   (root: it starts a testbed)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "hvagent/libvirt/connection.h"
#include "hvagent/v1/host.grpc.pb.h"
#include "hvagent/v1/network.grpc.pb.h"
#include "hvagent/v1/vm.grpc.pb.h"
#include "hvagent_test/agent_process.h"
#include "hvagent_test/subprocess.h"
#include "hvagent_test/testbed.h"

namespace {

using Clock = std::chrono::steady_clock;
using hvagent::testing::Ctx;
using nlohmann::json;
namespace v1 = hvagent::v1;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// p50 / p99 / max of samples in ms.
struct Latency {
  double min = 0, p50 = 0, p99 = 0, max = 0;
  size_t n = 0;
};

Latency Summarize(std::vector<double> ms) {
  Latency l;
  if (ms.empty()) return l;
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))];
  };
  l.min = ms.front();
  l.p50 = at(0.50);
  l.p99 = at(0.99);
  l.max = ms.back();
  l.n = ms.size();
  return l;
}

json ToJson(const Latency& l) {
  return {
      {"min_ms", l.min}, {"p50_ms", l.p50}, {"p99_ms", l.p99}, {"max_ms", l.max}, {"samples", l.n}};
}

// `n` timed runs of `call`, fewer if they take over 15 s (an uncached agent's
// nic_count takes a second a call at 200 VMs); false on the first failure.
bool Time(int n, const std::function<bool()>& call, Latency* out) {
  std::vector<double> ms;
  ms.reserve(static_cast<size_t>(n));
  const auto budget_ends = Clock::now() + std::chrono::seconds(15);
  for (int i = 0; i < n && (i < 5 || Clock::now() < budget_ends); ++i) {
    const auto start = Clock::now();
    if (!call()) return false;
    ms.push_back(Ms(Clock::now() - start));
  }
  *out = Summarize(std::move(ms));
  return true;
}

std::string VmName(int i) { return fmt::format("rp-{:04}", i); }

// The VM `name` through the API: powered off, two NICs (vlan.10, vlan.20), no
// disk.
bool CreateVm(v1::VmService::Stub& vms, const std::string& name) {
  v1::CreateVmRequest req;
  v1::VmSpec* spec = req.mutable_spec();
  spec->set_name(name);
  spec->set_num_vcpus(1);
  spec->set_memory_bytes(64ULL << 20);
  spec->set_machine_type("pc");
  spec->add_nics()->set_network("vlan.10");
  spec->add_nics()->set_network("vlan.20");
  v1::Vm vm;
  const grpc::Status s = vms.CreateVm(Ctx(60).get(), req, &vm);
  if (!s.ok()) fmt::print(stderr, "CreateVm {}: {}\n", name, s.error_message());
  return s.ok();
}

// VMs [from, to) through the API from `threads` callers.
bool CreateVms(v1::VmService::Stub& vms, int from, int to, int threads) {
  std::atomic<int> next{from};
  std::atomic<bool> failed{false};
  std::vector<std::thread> callers;
  for (int t = 0; t < threads; ++t) {
    callers.emplace_back([&] {
      for (int i = next++; i < to && !failed; i = next++) {
        if (!CreateVm(vms, VmName(i))) failed = true;
      }
    });
  }
  for (auto& c : callers) c.join();
  return !failed;
}

// The agent's definition `agent_xml` as a new domain `name` for libvirt: no
// uuid (libvirt makes one), none of the agent's metadata, no MACs or tap names
// (libvirt makes MACs; a tap is named only when the domain starts).
std::string RawDefinition(const std::string& agent_xml, const std::string& name) {
  pugi::xml_document doc;
  if (!doc.load_string(agent_xml.c_str())) return "";
  pugi::xml_node domain = doc.child("domain");
  domain.child("name").text().set(name.c_str());
  domain.remove_child("uuid");
  domain.remove_child("metadata");
  for (pugi::xml_node iface : domain.child("devices").children("interface")) {
    iface.remove_child("mac");
    iface.remove_child("target");
  }
  std::ostringstream out;
  doc.save(out);
  return out.str();
}

// What one create costs with `size` VMs defined: kCostSamples CreateVm one
// after another, against as many defines of the same definition straight to
// libvirt (virDomainDefineXML, the call inside a create), so that a create's
// growth with the host can be told the agent's or libvirt's. Both are
// deleted after.
constexpr int kCostSamples = 20;
struct CreateCost {
  Latency agent;
  Latency libvirt_define;
};

bool TimeCreateAgainstDefine(v1::VmService::Stub& vms, hvagent::libvirt::Connection& conn, int size,
                             CreateCost* out) {
  std::vector<double> agent_ms, raw_ms;
  std::vector<std::string> created;
  for (int k = 0; k < kCostSamples; ++k) {
    const std::string name = fmt::format("cost-{}-{:02}", size, k);
    const auto start = Clock::now();
    if (!CreateVm(vms, name)) return false;
    agent_ms.push_back(Ms(Clock::now() - start));
    created.push_back(name);
  }
  auto first = conn.LookupDomainByName(created.front());
  auto xml = first.ok() ? first->PersistentXml() : first.status();
  if (!xml.ok()) {
    fmt::print(stderr, "the agent's definition of {}: {}\n", created.front(),
               xml.status().ToString());
    return false;
  }
  std::vector<hvagent::libvirt::Domain> defined;
  for (int k = 0; k < kCostSamples; ++k) {
    const std::string definition = RawDefinition(*xml, fmt::format("raw-{}-{:02}", size, k));
    const auto start = Clock::now();
    auto domain = conn.DefineDomain(definition);
    if (!domain.ok()) {
      fmt::print(stderr, "libvirt define: {}\n", domain.status().ToString());
      return false;
    }
    raw_ms.push_back(Ms(Clock::now() - start));
    defined.push_back(std::move(*domain));
  }
  bool ok = true;
  for (auto& domain : defined) ok = domain.Undefine().ok() && ok;
  for (const std::string& name : created) {
    v1::DeleteVmRequest req;
    req.set_name(name);
    v1::DeleteVmResponse gone;
    ok = vms.DeleteVm(Ctx(60).get(), req, &gone).ok() && ok;
  }
  out->agent = Summarize(std::move(agent_ms));
  out->libvirt_define = Summarize(std::move(raw_ms));
  return ok;
}

// Every page of ListVms (page size 100, the default); the VMs seen.
int ListAllVms(v1::VmService::Stub& vms) {
  int seen = 0;
  std::string token;
  do {
    v1::ListVmsRequest req;
    req.mutable_page()->set_page_token(token);
    v1::ListVmsResponse resp;
    if (!vms.ListVms(Ctx(60).get(), req, &resp).ok()) return -1;
    seen += resp.vms_size();
    token = resp.page().next_page_token();
  } while (!token.empty());
  return seen;
}

// `virsh -c URI ARGS…` ran and succeeded.
bool Virsh(const std::string& uri, std::vector<std::string> args) {
  std::vector<std::string> argv = {"virsh", "-c", uri};
  argv.insert(argv.end(), args.begin(), args.end());
  return hvagent::testing::RunProcess(argv).ok();
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress shows as it happens
  const int vm_count = argc > 1 ? std::stoi(argv[1]) : 500;
  std::vector<int> scale;
  {
    std::stringstream list(argc > 2 ? argv[2] : "100,500");
    for (std::string item; std::getline(list, item, ',');) scale.push_back(std::stoi(item));
    std::sort(scale.begin(), scale.end());
  }
  const std::string json_path = argc > 3 ? argv[3] : "read_path_bench.json";

  std::string error;
  auto bed = hvagent::testing::Testbed::Start(&error);
  if (bed == nullptr) {
    fmt::print(stderr, "testbed: {}\n", error);
    return 1;
  }
  if (!bed->AddNetdevBridge("br0")) {
    fmt::print(stderr, "br0 not made\n");
    return 1;
  }
  // At the daemon's default log level, as hosts run it (the test harness
  // asks for debug: a line per RPC).
  hvagent::testing::AgentProcess agent(
      hvagent::testing::AgentOnTestbed(*bed, {"--log-level", "info"}));
  if (!agent.Start()) {
    fmt::print(stderr, "hvagentd did not start:\n{}\n", agent.log());
    return 1;
  }
  auto vms = v1::VmService::NewStub(agent.Channel());
  auto networks = v1::NetworkService::NewStub(agent.Channel());
  for (const auto& [name, vlan] : {std::pair{"vlan.10", 10}, std::pair{"vlan.20", 20}}) {
    v1::CreateNetworkRequest req;
    req.set_name(name);
    req.set_vlan_id(vlan);
    v1::Network out;
    if (const grpc::Status s = networks->CreateNetwork(Ctx().get(), req, &out); !s.ok()) {
      fmt::print(stderr, "CreateNetwork {}: {}\n", name, s.error_message());
      return 1;
    }
  }

  const std::string uri = bed->libvirt_uri();
  auto conn = hvagent::libvirt::Connection::Open(uri);
  if (!conn.ok()) {
    fmt::print(stderr, "libvirt: {}\n", conn.status().ToString());
    return 1;
  }

  json report = {{"vms", vm_count}, {"build", "release (RelWithDebInfo)"}};
  // ListVms on the way up, at each size in `scale` (and at vm_count).
  std::vector<int> sizes = scale;
  sizes.push_back(vm_count);
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  int defined = 0;
  std::map<int, Latency> list_at;
  std::map<int, Latency> settled_at;  // the same, 10 s after the last create
  std::map<int, double> create_s;
  std::map<int, CreateCost> cost_at;
  // Defines VMs up to `size` and times ListVms of them all.
  auto grow_to = [&](int size) {
    const auto start = Clock::now();
    if (!CreateVms(*vms, defined, size, 4)) return false;
    create_s[size] = Ms(Clock::now() - start) / 1000;
    const int created = size - defined;
    defined = size;
    Latency list;
    if (!Time(
            10, [&] { return ListAllVms(*vms) == size; }, &list)) {
      fmt::print(stderr, "ListVms at {} VMs did not list them all\n", size);
      return false;
    }
    list_at[size] = list;
    // Again once the creations' lifecycle events have been handled: what a
    // listing costs on a quiet host, not behind the cache's refills.
    std::this_thread::sleep_for(std::chrono::seconds(10));
    Latency settled;
    if (!Time(
            10, [&] { return ListAllVms(*vms) == size; }, &settled)) {
      return false;
    }
    settled_at[size] = settled;
    CreateCost cost;
    if (!TimeCreateAgainstDefine(*vms, **conn, size, &cost)) return false;
    cost_at[size] = cost;
    fmt::print(
        "{} VMs defined ({:.1f} s to create the last {}): ListVms p50 {:.2f} ms (min {:.2f}), "
        "10 s later p50 {:.2f} ms (min {:.2f}); one CreateVm p50 {:.1f} ms, libvirt's define "
        "of it p50 {:.1f} ms\n",
        size, create_s[size], created, list.p50, list.min, settled.p50, settled.min, cost.agent.p50,
        cost.libvirt_define.p50);
    return true;
  };
  for (const int size : sizes) {
    if (size <= vm_count && !grow_to(size)) return 1;
  }

  // GetVm of every VM in turn, several rounds.
  Latency get_vm;
  int i = 0;
  if (!Time(
          2000,
          [&] {
            v1::GetVmRequest req;
            req.set_name(VmName(i++ % vm_count));
            v1::Vm vm;
            return vms->GetVm(Ctx().get(), req, &vm).ok() && vm.nics_size() == 2;
          },
          &get_vm)) {
    fmt::print(stderr, "GetVm failed\n");
    return 1;
  }

  // GetHost from 8 threads, each on a channel of its own, for 3 s.
  constexpr int kHostThreads = 8;
  std::atomic<uint64_t> host_calls{0};
  std::atomic<bool> host_failed{false};
  {
    const auto until = Clock::now() + std::chrono::seconds(3);
    std::vector<std::thread> threads;
    for (int t = 0; t < kHostThreads; ++t) {
      threads.emplace_back([&, t] {
        grpc::ChannelArguments args;
        args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own
        args.SetInt("hvagent.bench_thread", t);
        auto channel = grpc::CreateCustomChannel("unix:" + agent.socket(),
                                                 grpc::InsecureChannelCredentials(), args);
        auto host = v1::HostService::NewStub(channel);
        while (Clock::now() < until) {
          v1::Host out;
          if (!host->GetHost(Ctx().get(), {}, &out).ok()) host_failed = true;
          ++host_calls;
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  const double host_rps = static_cast<double>(host_calls.load()) / 3.0;
  if (host_failed) fmt::print(stderr, "some GetHost calls failed\n");

  // GetNetwork / ListNetworks (nic_count: each network carries vm_count NICs).
  Latency get_net, list_net;
  if (!Time(
          200,
          [&] {
            v1::GetNetworkRequest req;
            req.set_name("vlan.10");
            v1::Network out;
            return networks->GetNetwork(Ctx().get(), req, &out).ok() &&
                   out.nic_count() == static_cast<uint32_t>(vm_count);
          },
          &get_net) ||
      !Time(
          200,
          [&] {
            v1::ListNetworksResponse out;
            return networks->ListNetworks(Ctx().get(), {}, &out).ok() && out.networks_size() == 2;
          },
          &list_net)) {
    fmt::print(stderr, "GetNetwork/ListNetworks failed or counted wrong\n");
    return 1;
  }

  // The raw tools: virsh (a process each), and the libvirt calls an uncached
  // reader makes, from this process.
  Latency virsh_dominfo, virsh_list, raw_get, raw_list;
  i = 0;
  if (!Time(
          30,
          [&] {
            return Virsh(uri, {"dominfo", VmName(i++ % vm_count)});
          },
          &virsh_dominfo) ||
      !Time(
          10,
          [&] {
            return Virsh(uri, {"list", "--all"});
          },
          &virsh_list)) {
    fmt::print(stderr, "virsh failed\n");
    return 1;
  }
  i = 0;
  if (!Time(
          500,
          [&] {
            auto dom = (*conn)->LookupDomainByName(VmName(i++ % vm_count));
            return dom.ok() && dom->PersistentXml().ok() && dom->State().ok();
          },
          &raw_get) ||
      !Time(
          10,
          [&] {
            auto all = (*conn)->ListAllDomains();
            if (!all.ok()) return false;
            for (const auto& dom : *all) {
              if (!dom.PersistentXml().ok() || !dom.State().ok()) return false;
            }
            return true;
          },
          &raw_list)) {
    fmt::print(stderr, "raw libvirt reads failed\n");
    return 1;
  }

  const Latency list_vms = list_at[vm_count];
  // The scaling curve beyond vm_count (ListVms only).
  for (const int size : sizes) {
    if (size > vm_count && !grow_to(size)) return 1;
  }
  json scaling = json::array();
  for (const auto& [size, l] : list_at) {
    scaling.push_back({{"vms", size},
                       {"list_vms", ToJson(l)},
                       {"list_ms_per_vm", l.p50 / size},
                       {"list_vms_settled", ToJson(settled_at[size])},
                       {"settled_list_ms_per_vm", settled_at[size].p50 / size},
                       {"create_seconds", create_s[size]},
                       {"create_one", ToJson(cost_at[size].agent)},
                       {"libvirt_define_one", ToJson(cost_at[size].libvirt_define)}});
  }
  report["scaling"] = scaling;
  report["get_vm"] = ToJson(get_vm);
  report["list_vms_all_pages"] = ToJson(list_vms);
  report["get_host_rps"] = host_rps;
  report["get_host_threads"] = kHostThreads;
  report["get_network"] = ToJson(get_net);
  report["list_networks"] = ToJson(list_net);
  report["virsh_dominfo"] = ToJson(virsh_dominfo);
  report["virsh_list_all"] = ToJson(virsh_list);
  report["libvirt_lookup_xml_state"] = ToJson(raw_get);
  report["libvirt_list_xml_state_all"] = ToJson(raw_list);

  fmt::print("\nRead path, {} VMs defined (2 NICs each, powered off), release build\n", vm_count);
  fmt::print("| what | agent | baseline | agent / baseline | goal |\n|---|---|---|---|---|\n");
  fmt::print(
      "| GetVm | p50 {:.3f} ms, p99 {:.3f} ms | virsh dominfo p50 {:.1f} ms; libvirt "
      "lookup+XML+state p50 {:.3f} ms | {:.3f}x virsh, {:.2f}x libvirt (p50) | p99 ≤ 2 ms |\n",
      get_vm.p50, get_vm.p99, virsh_dominfo.p50, raw_get.p50, get_vm.p50 / virsh_dominfo.p50,
      get_vm.p50 / raw_get.p50);
  fmt::print(
      "| ListVms, all pages | p50 {:.2f} ms, p99 {:.2f} ms | virsh list --all p50 {:.1f} ms; "
      "libvirt list+XML+state of all p50 {:.2f} ms | {:.3f}x virsh, {:.2f}x libvirt (p50) | "
      "≤ 50 ms |\n",
      list_vms.p50, list_vms.p99, virsh_list.p50, raw_list.p50, list_vms.p50 / virsh_list.p50,
      list_vms.p50 / raw_list.p50);
  fmt::print("| GetHost, {} threads | {:.0f} RPC/s | | | ≥ 5000 RPC/s |\n", kHostThreads, host_rps);
  fmt::print("| GetNetwork | p50 {:.3f} ms, p99 {:.3f} ms | | | |\n", get_net.p50, get_net.p99);
  fmt::print("| ListNetworks (2) | p50 {:.3f} ms, p99 {:.3f} ms | | | |\n", list_net.p50,
             list_net.p99);
  fmt::print(
      "\nListVms (all pages) by VMs defined, right after the creates and 10 s later:\n"
      "| VMs | p50 | per VM | 10 s later p50 | per VM | create (s) | one CreateVm p50 | "
      "libvirt define p50 | CreateVm / define |\n|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& [size, l] : list_at) {
    const Latency& settled = settled_at[size];
    const CreateCost& cost = cost_at[size];
    fmt::print(
        "| {} | {:.2f} ms | {:.3f} ms | {:.2f} ms | {:.3f} ms | {:.1f} | {:.1f} ms | "
        "{:.1f} ms | {:.2f}x |\n",
        size, l.p50, l.p50 / size, settled.p50, settled.p50 / size, create_s[size], cost.agent.p50,
        cost.libvirt_define.p50, cost.agent.p50 / cost.libvirt_define.p50);
  }
  std::ofstream(json_path) << report.dump(2) << "\n";
  fmt::print("\nJSON: {}\n", json_path);

  // Leave the testbed as found: the agent deletes its VMs with the testbed.
  return 0;
}
