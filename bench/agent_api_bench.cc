// The agent through its gRPC API against the raw tools, in one run on one
// testbed (real libvirtd + QEMU, ovsdb-server + ovs-vswitchd, hvagentd from
// this build): port plug and unplug, StartVm, event latency, restart
// reconcile, memory and a mixed load. Prints one table and writes JSON, so
// that commits can be compared (docs/performance.md).
//
//   build/release/bench/agent_api_bench [--ports N] [--loop L] [--callers C]
//       [--vms V] [--starts R] [--events E] [--mixed-seconds S] [--json PATH]
//       [--agent-arg ARG]...     (--loop 0: no ovs-vsctl loop)
//
// Root: it starts its own testbed and hvagentd.
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "grpc/health/v1/health.grpc.pb.h"
#include "guest_vm_request.h"
#include "hvagent/libvirt/connection_manager.h"
#include "hvagent/libvirt/event_loop.h"
#include "hvagent/v1/events.grpc.pb.h"
#include "hvagent/v1/host.grpc.pb.h"
#include "hvagent/v1/network.grpc.pb.h"
#include "hvagent/v1/vm.grpc.pb.h"
#include "hvagent_test/agent_process.h"
#include "hvagent_test/test_guest.h"
#include "hvagent_test/testbed.h"

namespace {

namespace v1 = hvagent::v1;
using hvagent::testing::AgentProcess;
using hvagent::testing::Ctx;
using hvagent::testing::ProcessResult;
using hvagent::testing::Testbed;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct Options {
  int ports = 1000;
  int loop = -1;  // ovs-vsctl one-by-one loop size; -1: `ports`
  int callers = 32;
  int vms = 50;
  int starts = 5;
  int events = 100;
  int mixed_seconds = 10;
  std::string json_path;
  std::vector<std::string> agent_args;  // passed to hvagentd, e.g. --workers 32
};

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--json") {
      o.json_path = value;
      continue;
    }
    if (flag == "--agent-arg") {
      o.agent_args.push_back(value);
      continue;
    }
    const int n = std::stoi(value);
    if (flag == "--ports")
      o.ports = n;
    else if (flag == "--loop")
      o.loop = n;
    else if (flag == "--callers")
      o.callers = n;
    else if (flag == "--vms")
      o.vms = n;
    else if (flag == "--starts")
      o.starts = n;
    else if (flag == "--events")
      o.events = n;
    else if (flag == "--mixed-seconds")
      o.mixed_seconds = n;
    else
      throw std::invalid_argument("unknown flag " + flag);
  }
  if (o.loop < 0) o.loop = o.ports;
  if (o.json_path.empty()) {
    o.json_path = hvagent::testing::BuildDir() + "/bench/agent_api_bench.json";
  }
  return o;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// One line of the table: `agent` against `raw` (the same work by the raw
// tool in this run), both in `unit`; ratio = agent / raw (lower is better).
struct Row {
  std::string figure;
  double agent = 0;
  std::optional<double> raw;
  std::string unit;
  std::string note;
};

class Report {
 public:
  void Add(Row row) { rows_.push_back(std::move(row)); }
  json& extra() { return extra_; }

  void Print() const {
    fmt::print("\n{:<52} {:>14} {:>14} {:>9}  {}\n", "figure", "agent", "raw tool", "agent/raw",
               "");
    for (const Row& r : rows_) {
      const std::string raw = r.raw ? fmt::format("{:.2f} {}", *r.raw, r.unit) : "—";
      const std::string ratio = r.raw && *r.raw > 0 ? fmt::format("{:.2f}x", r.agent / *r.raw) : "";
      fmt::print("{:<52} {:>14} {:>14} {:>9}  {}\n", r.figure,
                 fmt::format("{:.2f} {}", r.agent, r.unit), raw, ratio, r.note);
    }
  }

  json ToJson() const {
    json figures = json::array();
    for (const Row& r : rows_) {
      json f = {{"figure", r.figure}, {"agent", r.agent}, {"unit", r.unit}, {"note", r.note}};
      if (r.raw) {
        f["raw"] = *r.raw;
        if (*r.raw > 0) f["ratio"] = r.agent / *r.raw;
      }
      figures.push_back(std::move(f));
    }
    return {{"figures", figures}, {"details", extra_}};
  }

 private:
  std::vector<Row> rows_;
  json extra_ = json::object();
};

[[noreturn]] void Die(const std::string& what) {
  fmt::print(stderr, "agent_api_bench: {}\n", what);
  std::exit(1);
}

void Check(const grpc::Status& s, const std::string& what) {
  if (!s.ok())
    Die(fmt::format("{}: {} {}", what, static_cast<int>(s.error_code()), s.error_message()));
}

void Check(const ProcessResult& r, const std::string& what) {
  if (!r.ok()) Die(fmt::format("{}: exit {}: {}", what, r.exit_code, r.err));
}

// `field` ("VmRSS:", "RssAnon:") of `pid`'s /proc status, in MiB.
double StatusMib(int pid, std::string_view field) {
  std::ifstream status(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with(field)) return std::stod(line.substr(field.size())) / 1024.0;
  }
  return 0;
}

// The CPU time `pid` has used so far (user + system, every thread), in ms:
// what the agent itself spends on a figure, whatever ovs-vswitchd costs.
double CpuMs(int pid) {
  std::ifstream stat_file(fmt::format("/proc/{}/stat", pid));
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // After the command's ")": state (field 3) … utime (14), stime (15).
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::vector<std::string> after_comm;
  for (std::string field; fields >> field && after_comm.size() < 13;) after_comm.push_back(field);
  if (after_comm.size() < 13) Die("cannot read /proc/" + std::to_string(pid) + "/stat");
  const double ticks = std::stod(after_comm[11]) + std::stod(after_comm[12]);
  return ticks * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// VmRSS, and the part of it that is the agent's own memory (RssAnon: heap,
// stacks; the rest is mapped files, mostly the shared libraries' clean pages).
void AddRss(Report& report, int pid, const std::string& when) {
  report.Add({.figure = "hvagentd RSS " + when, .agent = StatusMib(pid, "VmRSS:"), .unit = "MiB"});
  report.Add({.figure = "hvagentd RSS " + when + ": anonymous",
              .agent = StatusMib(pid, "RssAnon:"),
              .unit = "MiB"});
}

// The most RSS the agent had since the last call for `pid` (VmHWM, then
// reset through clear_refs): a transient between two samples shows here,
// by the stage it came in.
void AddPeakRss(Report& report, int pid, const std::string& stage) {
  report.Add({.figure = "hvagentd peak RSS (VmHWM) during " + stage,
              .agent = StatusMib(pid, "VmHWM:"),
              .unit = "MiB"});
  std::ofstream(fmt::format("/proc/{}/clear_refs", pid)) << "5";
}

// Runs `fn(i)` for i in [0, n) from `callers` threads; the wall time in ms.
template <typename Fn>
double Concurrently(int n, int callers, Fn fn) {
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int t = 0; t < callers; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < n; i = next++) fn(i);
    });
  }
  for (auto& t : threads) t.join();
  return Ms(Clock::now() - start);
}

ProcessResult Vsctl(Testbed& bed, std::vector<std::string> args) {
  std::vector<std::string> full{"ovs-vsctl", "--db=unix:" + bed.ovsdb_socket(), "--timeout=300"};
  full.insert(full.end(), args.begin(), args.end());
  return hvagent::testing::RunProcess(full, std::chrono::seconds(600));
}

ProcessResult Virsh(Testbed& bed, std::vector<std::string> args) {
  std::vector<std::string> full{"virsh", "-q", "-c", bed.libvirt_uri()};
  full.insert(full.end(), args.begin(), args.end());
  return hvagent::testing::RunProcess(full, std::chrono::seconds(120));
}

// The bench's view of one agent and its stubs.
struct Api {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::VmService::Stub> vms;
  std::unique_ptr<v1::NetworkService::Stub> networks;
  std::unique_ptr<v1::HostService::Stub> host;

  explicit Api(const AgentProcess& agent)
      : channel(agent.Channel()),
        vms(v1::VmService::NewStub(channel)),
        networks(v1::NetworkService::NewStub(channel)),
        host(v1::HostService::NewStub(channel)) {}
};

// Polls the health service until the agent says SERVING; false after 60 s.
bool WaitServing(const AgentProcess& agent) {
  auto stub = grpc::health::v1::Health::NewStub(agent.Channel());
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < deadline) {
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    if (stub->Check(Ctx(2).get(), req, &resp).ok() &&
        resp.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

// Starts `agent`; the time from start to SERVING in ms.
double StartTimed(AgentProcess& agent) {
  const auto start = Clock::now();
  if (!agent.Start()) Die("hvagentd did not start:\n" + agent.log());
  if (!WaitServing(agent)) Die("hvagentd did not become SERVING:\n" + agent.log());
  return Ms(Clock::now() - start);
}

// The VM tests' guest (1 vCPU, the test guest's kernel), at 128 MiB, with
// `nics` NICs on vlan.10.
v1::CreateVmRequest VmRequest(const std::string& name, int nics) {
  v1::CreateVmRequest req = hvagent::testing::GuestVmRequest(name, "sleep 3600");
  req.mutable_spec()->set_memory_bytes(128ULL << 20);
  for (int i = 0; i < nics; ++i) req.mutable_spec()->add_nics()->set_network("vlan.10");
  return req;
}

grpc::Status Power(Api& api, bool on, const std::string& name) {
  v1::VmPowerRequest req;
  req.set_name(name);
  v1::Vm out;
  return on ? api.vms->PowerOn(Ctx(120).get(), req, &out)
            : api.vms->PowerOff(Ctx(120).get(), req, &out);
}

// ---- OVSDB writes, as ovsdb-server logs them ------------------------------------

// The transaction records ovsdb-server appended to its database file after
// byte `offset`: each is a "OVSDB JSON <length> <hash>" line and the JSON.
std::vector<json> DbRecordsAfter(const std::string& db, std::uintmax_t offset) {
  std::ifstream in(db);
  in.seekg(static_cast<std::streamoff>(offset));
  std::vector<json> records;
  std::string header;
  std::string body;
  while (std::getline(in, header) && std::getline(in, body)) {
    if (header.rfind("OVSDB JSON", 0) != 0) continue;
    records.push_back(json::parse(body, nullptr, false));
  }
  return records;
}

// Whether a record is a write from an OVSDB client other than ovs-vswitchd's
// status updates: the agent bumps next_cfg with every change (it waits for
// ovs-vswitchd to apply it), ovs-vswitchd writes cur_cfg and status columns.
bool BumpsNextCfg(const json& record) {
  if (!record.is_object() || !record.contains("Open_vSwitch")) return false;
  for (const auto& [uuid, row] : record["Open_vSwitch"].items()) {
    if (row.is_object() && row.contains("next_cfg")) return true;
  }
  return false;
}

std::string DbPath(const Testbed& bed) { return bed.state_dir() + "/ovs/conf.db"; }

// The agent's writes (BumpsNextCfg) ovsdb-server logged after byte `offset`.
long AgentWritesAfter(const Testbed& bed, std::uintmax_t offset) {
  const std::vector<json> records = DbRecordsAfter(DbPath(bed), offset);
  return static_cast<long>(std::count_if(records.begin(), records.end(), BumpsNextCfg));
}

// ---- Port plug and unplug ---------------------------------------------------

// ovs-vswitchd's bridge reconfigurations so far (its coverage counter): each
// walks every port of every bridge, so their count is what a port change
// costs beyond making its device.
long Reconfigurations(Testbed& bed) {
  const ProcessResult r =
      hvagent::testing::RunProcess({"ovs-appctl", "-t", bed.state_dir() + "/ovs/ovs-vswitchd.ctl",
                                    "coverage/read-counter", "bridge_reconfigure"});
  Check(r, "ovs-appctl coverage/read-counter bridge_reconfigure");
  return std::stol(r.out);
}

std::string PortName(const std::string& prefix, int i) { return fmt::format("{}{}", prefix, i); }

// The ovs-vsctl arguments adding (or deleting) internal port `name` on br0,
// VLAN 10: what CreateInternalPort makes.
std::vector<std::string> AddPortArgs(const std::string& name) {
  return {"add-port", "br0", name, "tag=10", "--", "set", "Interface", name, "type=internal"};
}

void BenchPorts(Testbed& bed, Api& api, int agent_pid, const Options& o, Report& report) {
  // 1. The raw loop: one ovs-vsctl per port, each waiting for ovs-vswitchd.
  auto start = Clock::now();
  for (int i = 0; i < o.loop; ++i) Check(Vsctl(bed, AddPortArgs(PortName("rl", i))), "add-port");
  const double loop_add = Ms(Clock::now() - start);
  start = Clock::now();
  for (int i = 0; i < o.loop; ++i)
    Check(Vsctl(bed, {"del-port", "br0", PortName("rl", i)}), "del-port");
  const double loop_del = Ms(Clock::now() - start);

  // 2. The floor: one ovs-vsctl transaction adding (deleting) all N.
  std::vector<std::string> add_all;
  std::vector<std::string> del_all;
  for (int i = 0; i < o.ports; ++i) {
    if (i > 0) add_all.push_back("--");
    if (i > 0) del_all.push_back("--");
    for (auto& a : AddPortArgs(PortName("rt", i))) add_all.push_back(a);
    for (auto& a : std::vector<std::string>{"del-port", "br0", PortName("rt", i)})
      del_all.push_back(a);
  }
  long reconfigured = Reconfigurations(bed);
  start = Clock::now();
  Check(Vsctl(bed, add_all), "one-transaction add");
  const double floor_add = Ms(Clock::now() - start);
  const long floor_add_reconfigurations = Reconfigurations(bed) - reconfigured;
  reconfigured = Reconfigurations(bed);
  start = Clock::now();
  Check(Vsctl(bed, del_all), "one-transaction delete");
  const double floor_del = Ms(Clock::now() - start);
  const long floor_del_reconfigurations = Reconfigurations(bed) - reconfigured;

  // 3. The API: CreateInternalPort from `callers` concurrent callers.
  std::atomic<int> failures{0};
  std::string first_error;
  std::mutex error_mu;
  auto fail = [&](const grpc::Status& s) {
    ++failures;
    std::lock_guard lock(error_mu);
    if (first_error.empty()) first_error = s.error_message();
  };
  const auto offset = std::filesystem::file_size(DbPath(bed));
  reconfigured = Reconfigurations(bed);
  const double cpu_before_add = CpuMs(agent_pid);
  const double api_add = Concurrently(o.ports, o.callers, [&](int i) {
    v1::CreateInternalPortRequest req;
    req.set_name(PortName("ap", i));
    req.set_network("vlan.10");
    v1::InternalPort out;
    if (auto s = api.networks->CreateInternalPort(Ctx(300).get(), req, &out); !s.ok()) fail(s);
  });
  if (failures > 0)
    Die(fmt::format("{} CreateInternalPort failed: {}", failures.load(), first_error));
  const long api_add_writes = AgentWritesAfter(bed, offset);
  const long api_add_reconfigurations = Reconfigurations(bed) - reconfigured;
  const double api_add_cpu_ms = CpuMs(agent_pid) - cpu_before_add;

  const double per_loop_add = o.loop > 0 ? loop_add / o.loop : 0;
  const double per_loop_del = o.loop > 0 ? loop_del / o.loop : 0;
  const std::string n = std::to_string(o.ports);
  if (o.loop > 0) {
    report.Add(
        {.figure = "port plug: " + n + " ports, API vs ovs-vsctl loop",
         .agent = api_add / 1000,
         .raw = per_loop_add * o.ports / 1000,
         .unit = "s",
         .note = o.loop == o.ports ? "" : fmt::format("loop of {} scaled to {}", o.loop, n)});
  }
  report.Add(
      {.figure = "port plug: " + n + " ports, API vs one transaction",
       .agent = api_add / 1000,
       .raw = floor_add / 1000,
       .unit = "s",
       .note = fmt::format("agent: {} OVSDB write transactions; ovs-vswitchd "
                           "reconfigured {} times (floor: {})",
                           api_add_writes, api_add_reconfigurations, floor_add_reconfigurations)});
  report.Add({.figure = "port plug: the agent's CPU time per port",
              .agent = api_add_cpu_ms / o.ports,
              .unit = "ms"});
  report.extra()["ports"] = {{"n", o.ports},
                             {"callers", o.callers},
                             {"loop_n", o.loop},
                             {"loop_add_ms", loop_add},
                             {"loop_del_ms", loop_del},
                             {"floor_add_ms", floor_add},
                             {"floor_del_ms", floor_del},
                             {"api_add_ms", api_add},
                             {"loop_add_ms_per_port", per_loop_add},
                             {"loop_del_ms_per_port", per_loop_del},
                             {"api_add_ovsdb_writes", api_add_writes},
                             {"api_add_reconfigurations", api_add_reconfigurations},
                             {"api_add_cpu_ms", api_add_cpu_ms},
                             {"floor_add_reconfigurations", floor_add_reconfigurations},
                             {"floor_del_reconfigurations", floor_del_reconfigurations}};
}

void BenchPortUnplug(Testbed& bed, Api& api, int agent_pid, const Options& o, Report& report) {
  std::atomic<int> failures{0};
  const auto offset = std::filesystem::file_size(DbPath(bed));
  const long reconfigured = Reconfigurations(bed);
  const double cpu_before = CpuMs(agent_pid);
  const double api_del = Concurrently(o.ports, o.callers, [&](int i) {
    v1::DeleteInternalPortRequest req;
    req.set_name(PortName("ap", i));
    v1::DeleteInternalPortResponse out;
    if (!api.networks->DeleteInternalPort(Ctx(300).get(), req, &out).ok()) ++failures;
  });
  if (failures > 0) Die(fmt::format("{} DeleteInternalPort failed", failures.load()));
  const long writes = AgentWritesAfter(bed, offset);
  const long reconfigurations = Reconfigurations(bed) - reconfigured;
  const double cpu_ms = CpuMs(agent_pid) - cpu_before;
  json& ports = report.extra()["ports"];
  ports["api_del_ms"] = api_del;
  ports["api_del_ovsdb_writes"] = writes;
  ports["api_del_reconfigurations"] = reconfigurations;
  ports["api_del_cpu_ms"] = cpu_ms;
  const std::string n = std::to_string(o.ports);
  const double loop_del = ports["loop_del_ms_per_port"].get<double>() * o.ports;
  if (o.loop > 0) {
    report.Add({.figure = "port unplug: " + n + " ports, API vs ovs-vsctl loop",
                .agent = api_del / 1000,
                .raw = loop_del / 1000,
                .unit = "s",
                .note = o.loop == o.ports ? "" : fmt::format("loop of {} scaled", o.loop)});
  }
  report.Add({.figure = "port unplug: " + n + " ports, API vs one transaction",
              .agent = api_del / 1000,
              .raw = ports["floor_del_ms"].get<double>() / 1000,
              .unit = "s",
              .note = fmt::format("agent: {} OVSDB write transactions; ovs-vswitchd "
                                  "reconfigured {} times (floor: {})",
                                  writes, reconfigurations,
                                  ports["floor_del_reconfigurations"].get<long>())});
  report.Add({.figure = "port unplug: the agent's CPU time per port",
              .agent = cpu_ms / o.ports,
              .unit = "ms"});
}

// ---- StartVm -----------------------------------------------------------------

// The agent's definition of `vm` as a new domain `name` for virsh: no uuid
// (libvirt makes one), none of the agent's metadata, its taps renamed.
std::string RawCopy(const std::string& agent_xml, const std::string& name,
                    std::vector<std::string>* taps) {
  pugi::xml_document doc;
  if (!doc.load_string(agent_xml.c_str())) Die("cannot parse the agent's domain XML");
  pugi::xml_node domain = doc.child("domain");
  domain.child("name").text().set(name.c_str());
  domain.remove_child("uuid");
  domain.remove_child("metadata");
  int i = 0;
  for (pugi::xml_node iface : domain.child("devices").children("interface")) {
    const std::string tap = fmt::format("{}t{}", name, i++);
    iface.child("target").attribute("dev").set_value(tap.c_str());
    taps->push_back(tap);
  }
  std::ostringstream out;
  doc.save(out);
  return out.str();
}

void BenchStartVm(Testbed& bed, Api& api, const Options& o, Report& report) {
  for (int nics : {0, 2}) {
    const std::string name = fmt::format("start{}", nics);
    v1::Vm vm;
    Check(api.vms->CreateVm(Ctx().get(), VmRequest(name, nics), &vm), "CreateVm " + name);
    const ProcessResult xml = Virsh(bed, {"dumpxml", "--inactive", name});
    Check(xml, "virsh dumpxml " + name);
    const std::string raw_name = fmt::format("raw{}", nics);
    std::vector<std::string> taps;
    const std::string path = bed.state_dir() + "/" + raw_name + ".xml";
    std::ofstream(path) << RawCopy(xml.out, raw_name, &taps);
    Check(Virsh(bed, {"define", path}), "virsh define " + raw_name);

    std::vector<double> agent_ms;
    std::vector<double> virsh_ms;
    std::vector<double> raw_ms;  // taps made and plugged by hand, then virsh start
    for (int rep = 0; rep < o.starts; ++rep) {
      auto start = Clock::now();
      Check(Power(api, true, name), "PowerOn " + name);
      agent_ms.push_back(Ms(Clock::now() - start));
      Check(Power(api, false, name), "PowerOff " + name);

      start = Clock::now();
      std::vector<std::string> plug;
      for (const std::string& tap : taps) {
        Check(bed.Exec({"ip", "tuntap", "add", "dev", tap, "mode", "tap"}), "ip tuntap " + tap);
        if (!plug.empty()) plug.push_back("--");
        for (auto& a : std::vector<std::string>{"add-port", "br0", tap, "tag=10"})
          plug.push_back(a);
      }
      if (!plug.empty()) Check(Vsctl(bed, plug), "add-port taps");
      const auto virsh_start = Clock::now();
      Check(Virsh(bed, {"start", raw_name}), "virsh start " + raw_name);
      const auto end = Clock::now();
      virsh_ms.push_back(Ms(end - virsh_start));
      raw_ms.push_back(Ms(end - start));
      Check(Virsh(bed, {"destroy", raw_name}), "virsh destroy");
      for (const std::string& tap : taps) {
        Check(Vsctl(bed, {"del-port", "br0", tap}), "del-port " + tap);
        Check(bed.Exec({"ip", "link", "del", tap}), "ip link del " + tap);
      }
    }
    const double agent = Percentile(agent_ms, 50);
    report.Add({.figure = fmt::format("StartVm, {} NICs: PowerOn vs virsh start (median)", nics),
                .agent = agent,
                .raw = Percentile(virsh_ms, 50),
                .unit = "ms"});
    if (nics > 0) {
      report.Add(
          {.figure = fmt::format("StartVm, {} NICs: PowerOn vs taps+add-port+virsh start", nics),
           .agent = agent,
           .raw = Percentile(raw_ms, 50),
           .unit = "ms"});
    }
    report.extra()[name] = {
        {"agent_ms", agent_ms}, {"virsh_start_ms", virsh_ms}, {"raw_with_taps_ms", raw_ms}};
    Check(Virsh(bed, {"undefine", raw_name}), "virsh undefine");
  }
}

// ---- Event latency -------------------------------------------------------------

// Receipt times of events, in order.
class Arrivals {
 public:
  void Add() {
    std::lock_guard lock(mu_);
    times_.push_back(Clock::now());
    cv_.notify_all();
  }
  size_t size() {
    std::lock_guard lock(mu_);
    return times_.size();
  }
  // The time of event `index`, waiting up to 5 s for it.
  std::optional<Clock::time_point> Wait(size_t index) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::seconds(5), [&] { return times_.size() > index; })) {
      return std::nullopt;
    }
    return times_[index];
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Clock::time_point> times_;
};

void BenchEvents(Testbed& bed, Api& api, const AgentProcess& agent, const Options& o,
                 Report& report) {
  const std::string vm = "start2";  // running, with its two NICs, from here on
  Check(Power(api, true, vm), "PowerOn " + vm);

  // The raw path: libvirt's own event delivery to a client of libvirtd.
  Arrivals raw;
  auto loop = hvagent::libvirt::EventLoop::Start();
  if (!loop.ok()) Die("libvirt event loop: " + loop.status().ToString());
  hvagent::libvirt::ConnectionManager libvirt({.uri = bed.libvirt_uri()},
                                              [&](const hvagent::libvirt::LifecycleEvent& e) {
                                                if (e.domain_name == vm) raw.Add();
                                              });
  auto conn = libvirt.Get();
  if (!conn.ok()) Die("libvirt: " + conn.status().ToString());
  auto domain = (*conn)->LookupDomainByName(vm);
  if (!domain.ok()) Die("libvirt lookup: " + domain.status().ToString());

  // The agent's path: its Watch stream.
  Arrivals watched;
  v1::WatchRequest request;
  request.add_kinds(v1::EVENT_KIND_VM_LIFECYCLE);
  request.set_object_name(vm);
  auto stub = v1::EventService::NewStub(agent.Channel());
  auto ctx = Ctx(3600);
  auto reader = stub->Watch(ctx.get(), request);
  std::thread reading([&] {
    v1::Event event;
    while (reader->Read(&event)) watched.Add();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the stream is set up

  std::vector<double> agent_ms;
  std::vector<double> raw_ms;
  for (int i = 0; i < o.events; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));  // stragglers arrive first
    const size_t agent_index = watched.size();
    const size_t raw_index = raw.size();
    const auto start = Clock::now();
    const auto changed = i % 2 == 0 ? domain->Suspend() : domain->Resume();
    if (!changed.ok()) Die("suspend/resume: " + changed.ToString());
    const auto agent_at = watched.Wait(agent_index);
    const auto raw_at = raw.Wait(raw_index);
    if (!agent_at || !raw_at) Die(fmt::format("event {} did not arrive within 5 s", i));
    agent_ms.push_back(Ms(*agent_at - start));
    raw_ms.push_back(Ms(*raw_at - start));
  }
  ctx->TryCancel();
  reading.join();
  (void)reader->Finish();
  if (o.events % 2 == 1) (void)domain->Resume();

  const std::string n = std::to_string(o.events);
  report.Add({.figure = "event latency p50: suspend/resume to Watch (" + n + ")",
              .agent = Percentile(agent_ms, 50),
              .raw = Percentile(raw_ms, 50),
              .unit = "ms",
              .note = "raw: libvirt event callback"});
  report.Add({.figure = "event latency p99: suspend/resume to Watch (" + n + ")",
              .agent = Percentile(agent_ms, 99),
              .raw = Percentile(raw_ms, 99),
              .unit = "ms",
              .note = "raw: libvirt event callback"});
  report.extra()["events"] = {{"agent_ms", agent_ms}, {"raw_ms", raw_ms}};
}

// ---- Restart reconcile --------------------------------------------------------

// mtime of every domain definition libvirtd keeps (a define rewrites it).
std::map<std::string, std::filesystem::file_time_type> Definitions(const Testbed& bed) {
  std::map<std::string, std::filesystem::file_time_type> out;
  for (const auto& e : std::filesystem::directory_iterator(bed.state_dir() + "/libvirt/etc/qemu")) {
    if (e.path().extension() == ".xml") out[e.path().filename()] = e.last_write_time();
  }
  return out;
}

std::unique_ptr<AgentProcess> BenchRestart(Testbed& bed, std::unique_ptr<AgentProcess> agent,
                                           const Options& o, Report& report,
                                           std::vector<std::string>& saved_logs) {
  std::this_thread::sleep_for(std::chrono::seconds(3));  // the first agent's work settles
  const std::string db = DbPath(bed);
  hvagent::testing::AgentOptions options =
      hvagent::testing::AgentOnTestbed(bed, o.agent_args, agent->state_dir());
  options.log_level = "info";
  if (agent->Stop() != 0) Die("hvagentd did not stop cleanly:\n" + agent->log());
  const std::string agent_log = agent->log();
  agent.reset();
  const auto before = Definitions(bed);
  const auto offset = std::filesystem::file_size(db);

  auto restarted = std::make_unique<AgentProcess>(options);
  const double serving = StartTimed(*restarted);
  std::this_thread::sleep_for(std::chrono::seconds(5));  // reconcile after SERVING, if any
  const std::vector<json> records = DbRecordsAfter(db, offset);
  const auto written = std::count_if(records.begin(), records.end(), BumpsNextCfg);
  const auto after = Definitions(bed);
  int redefined = 0;
  for (const auto& [file, mtime] : after) {
    const auto it = before.find(file);
    if (it == before.end() || it->second != mtime) ++redefined;
  }
  report.Add(
      {.figure = fmt::format("restart: start to SERVING ({} VMs, {} ports)", after.size(), o.ports),
       .agent = serving,
       .unit = "ms"});
  report.Add({.figure = "restart: OVSDB writes by the agent (no drift)",
              .agent = static_cast<double>(written),
              .unit = "txn",
              .note = fmt::format("{} records in all (ovs-vswitchd's included)", records.size())});
  report.Add({.figure = "restart: libvirt domain definitions rewritten",
              .agent = static_cast<double>(redefined),
              .unit = "",
              .note = fmt::format("of {}", after.size())});
  saved_logs.push_back(agent_log);
  report.extra()["restart"] = {{"serving_ms", serving},
                               {"db_records_in_file", DbRecordsAfter(db, 0).size()},
                               {"db_records", records},
                               {"agent_writes", written},
                               {"definitions_rewritten", redefined}};
  return restarted;
}

// ---- Mixed load -----------------------------------------------------------------

void BenchMixed(Api& api, const Options& o, Report& report) {
  using Call = std::function<grpc::Status(int thread, int i)>;
  const std::vector<std::pair<std::string, Call>> calls = {
      {"GetHost",
       [&](int, int) {
         v1::Host out;
         return api.host->GetHost(Ctx().get(), {}, &out);
       }},
      {"GetVm",
       [&](int, int i) {
         v1::GetVmRequest req;
         req.set_name(fmt::format("idle{}", i % std::max(1, o.vms)));
         v1::Vm out;
         return api.vms->GetVm(Ctx().get(), req, &out);
       }},
      {"ListVms",
       [&](int, int) {
         v1::ListVmsResponse out;
         return api.vms->ListVms(Ctx().get(), {}, &out);
       }},
      {"ListNetworks",
       [&](int, int) {
         v1::ListNetworksResponse out;
         return api.networks->ListNetworks(Ctx().get(), {}, &out);
       }},
      {"GetNetwork",
       [&](int, int) {
         v1::GetNetworkRequest req;
         req.set_name("vlan.10");
         v1::Network out;
         return api.networks->GetNetwork(Ctx().get(), req, &out);
       }},
      {"CreateInternalPort+Delete",
       [&](int t, int i) {
         v1::CreateInternalPortRequest req;
         req.set_name(fmt::format("mx{}x{}", t, i));
         req.set_network("vlan.10");
         v1::InternalPort out;
         auto s = api.networks->CreateInternalPort(Ctx().get(), req, &out);
         if (!s.ok()) return s;
         v1::DeleteInternalPortRequest del;
         del.set_name(req.name());
         v1::DeleteInternalPortResponse gone;
         return api.networks->DeleteInternalPort(Ctx().get(), del, &gone);
       }},
      {"CreateNetwork+Delete",
       [&](int t, int) {
         v1::CreateNetworkRequest req;
         req.set_name(fmt::format("mixed.{}", t));
         req.set_vlan_id(static_cast<uint32_t>(100 + t));
         v1::Network out;
         auto s = api.networks->CreateNetwork(Ctx().get(), req, &out);
         if (!s.ok()) return s;
         v1::DeleteNetworkRequest del;
         del.set_name(req.name());
         v1::DeleteNetworkResponse gone;
         return api.networks->DeleteNetwork(Ctx().get(), del, &gone);
       }},
      {"CreateVm+Delete",
       [&](int t, int i) {
         v1::Vm vm;
         const std::string name = fmt::format("mixed{}x{}", t, i);
         auto s = api.vms->CreateVm(Ctx().get(), VmRequest(name, 1), &vm);
         if (!s.ok()) return s;
         v1::DeleteVmRequest del;
         del.set_name(name);
         v1::DeleteVmResponse gone;
         return api.vms->DeleteVm(Ctx().get(), del, &gone);
       }},
  };
  // Reads four times as often as each write.
  const std::vector<int> weights = {4, 4, 1, 4, 4, 1, 1, 1};
  std::discrete_distribution<size_t> pick(weights.begin(), weights.end());

  std::mutex mu;
  std::map<std::string, std::vector<double>> took;
  std::map<std::string, int> errors;
  std::string first_error;
  const auto end = Clock::now() + std::chrono::seconds(o.mixed_seconds);
  std::vector<std::thread> threads;
  for (int t = 0; t < o.callers; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      auto dist = pick;
      for (int i = 0; Clock::now() < end; ++i) {
        const auto& [method, call] = calls[dist(rng)];
        const auto start = Clock::now();
        const grpc::Status s = call(t, i);
        const double ms = Ms(Clock::now() - start);
        std::lock_guard lock(mu);
        took[method].push_back(ms);
        if (!s.ok()) {
          ++errors[method];
          if (first_error.empty()) first_error = method + ": " + s.error_message();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  json details = json::object();
  size_t total = 0;
  for (const auto& [method, v] : took) {
    total += v.size();
    report.Add({.figure = fmt::format("mixed: {} p50", method),
                .agent = Percentile(v, 50),
                .unit = "ms",
                .note = fmt::format("{} calls, {} failed", v.size(), errors[method])});
    report.Add(
        {.figure = fmt::format("mixed: {} p99", method), .agent = Percentile(v, 99), .unit = "ms"});
    details[method] = {{"calls", v.size()},
                       {"errors", errors[method]},
                       {"p50_ms", Percentile(v, 50)},
                       {"p99_ms", Percentile(v, 99)}};
  }
  report.Add(
      {.figure = fmt::format("mixed: all calls, {} clients, {} s", o.callers, o.mixed_seconds),
       .agent = static_cast<double>(total) / o.mixed_seconds,
       .unit = "call/s"});
  details["first_error"] = first_error;
  report.extra()["mixed"] = details;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseOptions(argc, argv);
  std::string error;
  auto bed = Testbed::Start(&error);
  if (bed == nullptr) Die("testbed: " + error);
  if (!bed->AddNetdevBridge("br0")) Die("cannot add br0");
  Report report;
  report.extra()["options"] = {{"ports", o.ports},
                               {"loop", o.loop},
                               {"callers", o.callers},
                               {"vms", o.vms},
                               {"starts", o.starts},
                               {"events", o.events},
                               {"mixed_seconds", o.mixed_seconds},
                               {"agent_args", o.agent_args}};

  // A state directory of the bench's own: it must outlive the first agent.
  hvagent::testing::AgentOptions options =
      hvagent::testing::AgentOnTestbed(*bed, o.agent_args, bed->state_dir() + "/agent");
  options.log_level = "info";  // as a host runs it: one line per RPC
  auto agent = std::make_unique<AgentProcess>(options);
  const double cold = StartTimed(*agent);
  report.Add({.figure = "first start to SERVING (empty host)", .agent = cold, .unit = "ms"});
  std::this_thread::sleep_for(std::chrono::seconds(2));
  AddRss(report, agent->pid(), "idle");

  auto api = std::make_unique<Api>(*agent);
  {
    v1::CreateNetworkRequest net;
    net.set_name("vlan.10");
    net.set_vlan_id(10);
    v1::Network out;
    Check(api->networks->CreateNetwork(Ctx().get(), net, &out), "CreateNetwork vlan.10");
  }
  fmt::print(stderr, "ports...\n");
  AddPeakRss(report, agent->pid(), "start");
  BenchPorts(*bed, *api, agent->pid(), o, report);
  // Memory by what the host holds: the ports alone, then the idle VMs too.
  AddRss(report, agent->pid(), fmt::format("with {} ports, no VM", o.ports));
  AddPeakRss(report, agent->pid(), "port plug");
  fmt::print(stderr, "VMs...\n");
  Concurrently(o.vms, 8, [&](int i) {
    v1::Vm vm;
    Check(api->vms->CreateVm(Ctx().get(), VmRequest(fmt::format("idle{}", i), 2), &vm), "CreateVm");
  });
  AddRss(report, agent->pid(), fmt::format("with {} ports, {} idle VMs", o.ports, o.vms));
  AddPeakRss(report, agent->pid(), "VM creates");
  fmt::print(stderr, "StartVm...\n");
  BenchStartVm(*bed, *api, o, report);
  fmt::print(stderr, "events...\n");
  BenchEvents(*bed, *api, *agent, o, report);
  AddRss(report, agent->pid(), fmt::format("with {} ports, {} VMs", o.ports, o.vms + 2));
  AddPeakRss(report, agent->pid(), "VM starts and events");
  fmt::print(stderr, "restart...\n");
  api.reset();
  std::vector<std::string> logs;
  agent = BenchRestart(*bed, std::move(agent), o, report, logs);
  AddRss(report, agent->pid(), "after restart");
  // What it keeps, well after its malloc trim (every second) has run.
  std::this_thread::sleep_for(std::chrono::seconds(12));
  AddRss(report, agent->pid(), "12 s after restart");
  AddPeakRss(report, agent->pid(), "restart");
  api = std::make_unique<Api>(*agent);
  fmt::print(stderr, "mixed load...\n");
  BenchMixed(*api, o, report);
  fmt::print(stderr, "port unplug...\n");
  BenchPortUnplug(*bed, *api, agent->pid(), o, report);
  AddPeakRss(report, agent->pid(), "mixed load and unplug");

  report.Print();
  std::filesystem::create_directories(std::filesystem::path(o.json_path).parent_path());
  std::ofstream(o.json_path) << report.ToJson().dump(1) << "\n";
  fmt::print("\nJSON: {}\n", o.json_path);

  // Whatever the bench made goes with the testbed; the agent first.
  v1::ListVmsResponse list;
  if (api->vms->ListVms(Ctx().get(), {}, &list).ok()) {
    for (const auto& vm : list.vms()) {
      v1::DeleteVmRequest del;
      del.set_name(vm.spec().name());
      del.set_force(true);
      v1::DeleteVmResponse ignored;
      (void)api->vms->DeleteVm(Ctx().get(), del, &ignored);
    }
  }
  api.reset();
  agent->Stop();
  // The agents' logs beside the JSON: where their time went.
  logs.push_back(agent->log());
  std::ofstream log_file(std::filesystem::path(o.json_path).replace_extension(".agent.log"));
  for (const std::string& log : logs) log_file << log << "---- restarted ----\n";
  return 0;
}
