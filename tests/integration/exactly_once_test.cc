// Exactly once through any crash (issue 15): every kind of mutating call is
// sent with a request_id, the agent is SIGKILLed at a random point of it, a
// new agent starts on the same store, and the call is retried with the same
// request_id, as a controller that cannot know how far it got would. The
// call must then have acted exactly once, and after every kill the host must
// hold the invariants: every VM the client was told exists exists and no
// other; every NIC of a running VM has one owned OVS port with its VLAN, and
// every owned port has its NIC (a port stays while its VM is off); no orphan
// tap, image or domain.
//
// `make test` kills once per call kind (HVAGENT_FAULT_ROUNDS=1: 18 kills of
// VM and network calls, 11 of the switch's, 4 of service chains and the CPU
// baseline); `make soak` runs HVAGENT_FAULT_ROUNDS=10 (330 kills).
#include <cstdlib>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "hvagent/compute/controller_vm_xml.h"
#include "hvagent/openflow/flow.h"
#include "hvagent_test/golden.h"
#include "hvagent_test/service_chain_request.h"
#include "hvagent_test/subprocess.h"
#include "hvagent_test/vm_layer_setup.h"
#include "vm_api_test_fixture.h"

namespace hvagent::testing {
namespace {

using Json = nlohmann::json;

struct Answer {
  grpc::Status status;
  std::string response;  // serialized response bytes
};

// `method` called with `request` (serialized) on `channel`; its answer.
Answer Call(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
            const std::string& request, int seconds) {
  Answer answer;
  answer.status = CallWithBytes(channel, method, request, seconds, &answer.response);
  return answer;
}

int Rounds() {
  const char* rounds = std::getenv("HVAGENT_FAULT_ROUNDS");
  return rounds != nullptr && std::atoi(rounds) > 0 ? std::atoi(rounds) : 1;
}

class ExactlyOnceTest : public VmApiTest {
 protected:
  // HVAGENT_FAULT_SEED replays a run's kill delays (the seed is printed).
  void SeedKillDelays(const std::string& suite) {
    const char* given = std::getenv("HVAGENT_FAULT_SEED");
    const unsigned seed = given != nullptr ? static_cast<unsigned>(std::stoul(given))
                                           : std::mt19937(std::random_device{}())();
    random_.seed(seed);
    std::cerr << suite << ": seed " << seed << ", " << Rounds() << " rounds\n";
  }

  // A kill delay within `method`'s usual length, so kills land before,
  // during and after it: within `window_ms`, or within the longest time the
  // call took to answer in an earlier round when that is shorter (a kill
  // after the answer proves only the replay).
  std::chrono::milliseconds Delay(const std::string& method, int window_ms) {
    const auto learned = answered_in_ms_.find(method);
    if (learned != answered_in_ms_.end()) {
      window_ms = std::min(window_ms, std::max(1, learned->second * 5 / 4));
    }
    return std::chrono::milliseconds(std::uniform_int_distribution<int>(0, window_ms)(random_));
  }

  // Sends `request` to `method`, SIGKILLs the agent at a random point within
  // `window_ms` (Delay), starts a new one on the same store, and retries the
  // same request until it answers. The retry's answer; the first call's too
  // when it came first. `last_delay_` is the kill's delay.
  Answer KillAndRetry(const std::string& method, const google::protobuf::Message& request,
                      int window_ms) {
    const std::string bytes = request.SerializeAsString();
    last_delay_ = Delay(method, window_ms);
    const auto sent = std::chrono::steady_clock::now();
    auto first = std::async(std::launch::async, [channel = agent_->Channel(), method, bytes, sent] {
      Answer answer = Call(channel, method, bytes, 120);
      const auto took = std::chrono::steady_clock::now() - sent;
      return std::pair(answer, std::chrono::duration_cast<std::chrono::milliseconds>(took));
    });
    std::this_thread::sleep_for(last_delay_);
    agent_->Kill();
    const auto [before_kill, took] = first.get();
    ++kills_;
    if (before_kill.status.ok()) {
      ++answered_before_kill_;
      int& longest = answered_in_ms_[method];
      longest = std::max(longest, static_cast<int>(took.count()));
    }
    StartAgent();
    Answer retried;
    for (int attempt = 0; attempt < 60; ++attempt) {
      retried = Call(agent_->Channel(), method, bytes, 120);
      if (retried.status.error_code() != grpc::UNAVAILABLE) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    if (before_kill.status.ok()) {
      // Answered before the kill: the retry must get that same answer.
      EXPECT_EQ(retried.response, before_kill.response) << method << " replayed another answer";
    }
    return retried;
  }

  // The owned ports (Port rows tagged owner=hvagent with a VM): name -> row.
  std::map<std::string, Json> OwnedPorts() {
    const auto r = bed_->Vsctl({"--format=json", "--columns=name,tag,external_ids", "find", "Port",
                                "external_ids:owner=hvagent"});
    std::map<std::string, Json> ports;
    const Json doc = Json::parse(r.out, nullptr, false);
    if (!doc.is_object()) return ports;
    for (const Json& row : doc["data"]) {
      Json ids = Json::object();
      for (const Json& pair : row[2][1]) ids[pair[0].get<std::string>()] = pair[1];
      if (!ids.contains("vm-uuid")) continue;
      ports[row[0].get<std::string>()] = Json{{"tag", row[1]}, {"ids", ids}};
    }
    return ports;
  }

  std::set<std::string> Taps() {
    std::set<std::string> taps;
    const auto r = bed_->Exec({"ip", "-o", "link", "show"});
    std::istringstream lines(r.out);
    std::string line;
    while (std::getline(lines, line)) {
      const size_t at = line.find(": hvt");
      if (at == std::string::npos) continue;
      std::string name = line.substr(at + 2);
      name = name.substr(0, name.find_first_of(":@"));
      taps.insert(name);
    }
    return taps;
  }

  std::set<std::string> Domains() {
    const auto r = bed_->Exec({"virsh", "-c", bed_->libvirt_uri(), "list", "--all", "--name"});
    std::set<std::string> names;
    std::istringstream lines(r.out);
    std::string line;
    while (std::getline(lines, line)) {
      if (!line.empty() && !line.starts_with("hvagent-probe")) names.insert(line);
    }
    return names;
  }

  // The agent's disk images, by path as the API gives them.
  std::set<std::string> Images() {
    std::set<std::string> paths;
    for (const std::string& name : DiskImageNames(state_dir_)) {
      paths.insert(state_dir_ + "/disks/" + name);
    }
    return paths;
  }

  // The invariants, as text: empty when they all hold.
  std::string Violations() {
    std::string out;
    v1::ListVmsResponse list;
    const grpc::Status listed = vms()->ListVms(Ctx().get(), {}, &list);
    if (!listed.ok()) return "ListVms: " + listed.error_message();
    std::set<std::string> shown;
    std::set<std::string> taps_wanted;
    std::set<std::string> images_wanted;
    std::map<std::string, std::string> nic_of_port;  // tap -> "uuid mac"
    for (const v1::Vm& vm : list.vms()) {
      shown.insert(vm.spec().name());
      for (const v1::Disk& disk : vm.disks()) {
        if (disk.agent_created()) images_wanted.insert(disk.path());
      }
      // A port is made at power-on and kept while the VM is off.
      for (const v1::Nic& nic : vm.nics()) {
        nic_of_port[nic.tap()] = vm.uuid() + " " + nic.mac();
        if (vm.power_state() == v1::POWER_STATE_ON) taps_wanted.insert(nic.tap());
      }
    }
    if (shown != told_vms_) {
      out += fmt::format("VMs shown {} but the client was told {}\n", fmt::join(shown, ","),
                         fmt::join(told_vms_, ","));
    }
    if (Domains() != told_vms_) {
      out += fmt::format("libvirt has domains {}\n", fmt::join(Domains(), ","));
    }
    const auto ports = OwnedPorts();
    std::set<std::string> port_names;
    for (const auto& [name, row] : ports) {
      port_names.insert(name);
      const auto nic = nic_of_port.find(name);
      if (nic == nic_of_port.end()) {
        out += fmt::format("owned port {} has no NIC\n", name);
        continue;
      }
      const std::string ids = row["ids"]["vm-uuid"].get<std::string>() + " " +
                              row["ids"]["attached-mac"].get<std::string>();
      if (ids != nic->second)
        out += fmt::format("port {} is {}, its NIC {}\n", name, ids, nic->second);
      if (row["tag"] != 10) out += fmt::format("port {} has tag {}\n", name, row["tag"].dump());
    }
    for (const std::string& tap : taps_wanted) {
      if (!port_names.contains(tap))
        out += fmt::format("NIC {} of a running VM has no port\n", tap);
    }
    if (Taps() != port_names) {
      out += fmt::format("taps {} but the owned ports are {}\n", fmt::join(Taps(), ","),
                         fmt::join(port_names, ","));
    }
    if (Images() != images_wanted) {
      out += fmt::format("images {} but the VMs' are {}\n", fmt::join(Images(), ","),
                         fmt::join(images_wanted, ","));
    }
    return out;
  }

  // The invariants hold within a few seconds of a restart (the reconcile
  // and the leftover sweep run once the new agent serves).
  ::testing::AssertionResult InvariantsHold(const std::string& after) {
    std::string last;
    const auto held = Eventually(
        [&] {
          last = Violations();
          return last.empty();
        },
        "the invariants", std::chrono::seconds(30), std::chrono::milliseconds(250));
    if (!held) return ::testing::AssertionFailure() << "after " << after << ":\n" << last;
    return ::testing::AssertionSuccess();
  }

  v1::Vm Vm(const std::string& name) {
    v1::Vm vm;
    EXPECT_TRUE(GetVm(name, &vm).ok()) << name;
    return vm;
  }

  // How often the test guest's banner is on the console at `path`: its boots.
  static size_t Banners(const std::string& path) {
    const std::string text = ReadFile(path);
    size_t n = 0;
    for (size_t at = text.find("hvtest: up"); at != std::string::npos;
         at = text.find("hvtest: up", at + 1)) {
      ++n;
    }
    return n;
  }

  std::string Id(const std::string& what) { return fmt::format("eo-{}-{}", what, ++ids_); }

  void TearDown() override {
    if (!store_mounted_) return VmApiTest::TearDown();
    // The store's tmpfs goes before the directory under it can.
    DeleteEveryVm(*vms());
    agent_.reset();
    RunProcess({"umount", "-l", state_dir_});
    std::error_code ec;
    std::filesystem::remove_all(state_dir_, ec);
  }

  std::set<std::string> told_vms_;
  std::mt19937 random_;
  bool store_mounted_ = false;  // state_dir_ is a small tmpfs of the test's
  int kills_ = 0;
  int answered_before_kill_ = 0;               // kills that came after the answer
  std::map<std::string, int> answered_in_ms_;  // by method: the longest answer seen
  std::chrono::milliseconds last_delay_{0};
  int ids_ = 0;
};

constexpr char kVmService[] = "/hvagent.v1.VmService/";
constexpr char kNetworkService[] = "/hvagent.v1.NetworkService/";

TEST_F(ExactlyOnceTest, EveryMutatingCallKilledMidwayAndRetriedActsExactlyOnce) {
  SeedKillDelays("fault suite");
  for (int round = 0; round < Rounds(); ++round) {
    const std::string name = Id("vm");

    v1::CreateVmRequest create = GuestVm(name, "sleep 3600\n");
    create.set_request_id(Id("req"));
    Answer a = KillAndRetry(std::string(kVmService) + "CreateVm", create, 300);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message() << agent_->log();
    v1::Vm created;
    ASSERT_TRUE(created.ParseFromString(a.response));
    told_vms_.insert(name);
    EXPECT_EQ(Vm(name).uuid(), created.uuid()) << "CreateVm made another VM than it answered";
    ASSERT_EQ(created.nics_size(), 1);
    ASSERT_TRUE(InvariantsHold("CreateVm"));

    v1::VmPowerRequest power;
    power.set_name(name);
    power.set_request_id(Id("req"));
    a = KillAndRetry(std::string(kVmService) + "PowerOn", power, 1500);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message();
    EXPECT_EQ(Vm(name).power_state(), v1::POWER_STATE_ON);
    ASSERT_TRUE(InvariantsHold("PowerOn"));

    v1::CreateNicRequest add_nic;
    add_nic.set_request_id(Id("req"));
    add_nic.set_vm_name(name);
    add_nic.mutable_spec()->set_network("vlan.10");
    a = KillAndRetry(std::string(kVmService) + "CreateNic", add_nic, 800);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message();
    v1::Nic nic;
    ASSERT_TRUE(nic.ParseFromString(a.response));
    v1::Vm now = Vm(name);
    ASSERT_EQ(now.nics_size(), 2) << "CreateNic acted " << now.nics_size() - 1 << " times";
    EXPECT_EQ(now.nics(1).mac(), nic.mac());
    ASSERT_TRUE(InvariantsHold("CreateNic"));

    // In place on the running VM: the NIC's QoS.
    v1::UpdateNicRequest update_nic;
    update_nic.set_request_id(Id("req"));
    update_nic.set_vm_name(name);
    update_nic.set_mac(nic.mac());
    *update_nic.mutable_spec() = nic.spec();
    update_nic.mutable_spec()->mutable_qos()->set_ingress_rate_kbps(20000);
    a = KillAndRetry(std::string(kVmService) + "UpdateNic", update_nic, 500);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message();
    EXPECT_EQ(Column("Interface", nic.tap(), "ingress_policing_rate"), "20000");
    ASSERT_TRUE(InvariantsHold("UpdateNic"));

    v1::DeleteNicRequest del_nic;
    del_nic.set_request_id(Id("req"));
    del_nic.set_vm_name(name);
    del_nic.set_mac(nic.mac());
    a = KillAndRetry(std::string(kVmService) + "DeleteNic", del_nic, 1500);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message();
    now = Vm(name);
    ASSERT_EQ(now.nics_size(), 1);
    EXPECT_NE(now.nics(0).mac(), nic.mac());
    ASSERT_TRUE(InvariantsHold("DeleteNic"));

    v1::CreateDiskRequest add_disk;
    add_disk.set_request_id(Id("req"));
    add_disk.set_vm_name(name);
    add_disk.mutable_spec()->set_create_size_bytes(1ULL << 20);
    a = KillAndRetry(std::string(kVmService) + "CreateDisk", add_disk, 800);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message();
    v1::Disk disk;
    ASSERT_TRUE(disk.ParseFromString(a.response));
    now = Vm(name);
    ASSERT_EQ(now.disks_size(), created.disks_size() + 1) << "CreateDisk acted more than once";
    ASSERT_TRUE(InvariantsHold("CreateDisk"));

    v1::DeleteDiskRequest del_disk;
    del_disk.set_request_id(Id("req"));
    del_disk.set_vm_name(name);
    del_disk.set_device_id(disk.device_id());
    a = KillAndRetry(std::string(kVmService) + "DeleteDisk", del_disk, 1500);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message();
    EXPECT_EQ(Vm(name).disks_size(), created.disks_size());
    ASSERT_TRUE(InvariantsHold("DeleteDisk"));

    const std::string network = Id("net");
    v1::CreateNetworkRequest add_net;
    add_net.set_request_id(Id("req"));
    add_net.set_name(network);
    add_net.set_vlan_id(100 + static_cast<uint32_t>(round));
    a = KillAndRetry(std::string(kNetworkService) + "CreateNetwork", add_net, 200);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message();
    v1::Network made;
    ASSERT_TRUE(made.ParseFromString(a.response));
    v1::GetNetworkRequest get_net;
    get_net.set_name(network);
    v1::Network shown;
    ASSERT_TRUE(networks()->GetNetwork(Ctx().get(), get_net, &shown).ok());
    EXPECT_EQ(shown.uuid(), made.uuid()) << "CreateNetwork made another network than it answered";

    // With the generation it was read at, as UpdateVm below.
    v1::UpdateNetworkRequest update_net;
    update_net.set_request_id(Id("req"));
    update_net.set_name(network);
    update_net.set_vlan_id(200 + static_cast<uint32_t>(round));
    update_net.set_expected_generation(made.generation());
    a = KillAndRetry(std::string(kNetworkService) + "UpdateNetwork", update_net, 200);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message();
    ASSERT_TRUE(networks()->GetNetwork(Ctx().get(), get_net, &shown).ok());
    EXPECT_EQ(shown.vlan_id(), 200 + static_cast<uint32_t>(round));

    v1::DeleteNetworkRequest del_net;
    del_net.set_request_id(Id("req"));
    del_net.set_name(network);
    a = KillAndRetry(std::string(kNetworkService) + "DeleteNetwork", del_net, 200);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message();
    EXPECT_EQ(networks()->GetNetwork(Ctx().get(), get_net, &shown).error_code(), grpc::NOT_FOUND);

    v1::UpdateVmRequest update;
    update.set_request_id(Id("req"));
    update.set_name(name);
    // With the generation it was read at: a retry after the change was made
    // must answer it, not that the generation moved on.
    update.set_expected_generation(Vm(name).generation());
    (*update.mutable_labels()->mutable_entries())["round"] = std::to_string(round);
    a = KillAndRetry(std::string(kVmService) + "UpdateVm", update, 300);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message();
    EXPECT_EQ(Vm(name).spec().labels().entries().at("round"), std::to_string(round));

    power.set_request_id(Id("req"));
    a = KillAndRetry(std::string(kVmService) + "Pause", power, 300);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message();
    EXPECT_EQ(Vm(name).power_state(), v1::POWER_STATE_PAUSED);
    power.set_request_id(Id("req"));
    a = KillAndRetry(std::string(kVmService) + "Resume", power, 300);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message();
    EXPECT_EQ(Vm(name).power_state(), v1::POWER_STATE_ON);

    // Reboot and Reset of the running VM. This guest ignores ACPI, so a
    // Reboot is a request libvirt accepts and the guest lets pass; a Reset
    // boots it again, seen as one more banner on its console.
    power.set_request_id(Id("req"));
    a = KillAndRetry(std::string(kVmService) + "Reboot", power, 30);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message();
    EXPECT_EQ(Vm(name).power_state(), v1::POWER_STATE_ON);
    ASSERT_TRUE(InvariantsHold("Reboot"));
    const std::string console = Vm(name).console_log_path();
    // Booted once before the Reset is counted, so no first boot's banner
    // passes for the Reset's.
    ASSERT_TRUE(WaitForConsole(console, "hvtest: up"));
    const size_t boots = Banners(console);
    power.set_request_id(Id("req"));
    a = KillAndRetry(std::string(kVmService) + "Reset", power, 30);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message();
    EXPECT_EQ(Vm(name).power_state(), v1::POWER_STATE_ON);
    EXPECT_TRUE(Eventually([&] { return Banners(console) > boots; }, "the boot after Reset",
                           std::chrono::seconds(120)))
        << ReadFile(console);
    ASSERT_TRUE(InvariantsHold("Reset"));

    // Shutdown: the guest ignores the ACPI button, so the call waits its 2 s
    // and powers the VM off; killed before, during or after that wait.
    v1::ShutdownVmRequest shutdown = ShutdownRequest(name, 2, true);
    shutdown.set_request_id(Id("req"));
    a = KillAndRetry(std::string(kVmService) + "Shutdown", shutdown, 2500);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message();
    EXPECT_EQ(Vm(name).power_state(), v1::POWER_STATE_OFF);
    ASSERT_TRUE(InvariantsHold("Shutdown"));
    v1::Vm on;
    ASSERT_TRUE(Power(&v1::VmService::Stub::PowerOn, name, &on).ok());

    power.set_request_id(Id("req"));
    a = KillAndRetry(std::string(kVmService) + "PowerOff", power, 800);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message();
    EXPECT_EQ(Vm(name).power_state(), v1::POWER_STATE_OFF);
    ASSERT_TRUE(InvariantsHold("PowerOff"));

    v1::DeleteVmRequest del_vm;
    del_vm.set_request_id(Id("req"));
    del_vm.set_name(name);
    a = KillAndRetry(std::string(kVmService) + "DeleteVm", del_vm, 500);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message();
    told_vms_.erase(name);
    ASSERT_TRUE(InvariantsHold("DeleteVm"));
  }
  std::cerr << "fault suite: " << kills_ << " SIGKILLs (" << answered_before_kill_
            << " after the answer), every call acted once\n";
  EXPECT_GE(kills_, 18 * Rounds());
}

// The switch's objects through the same kills: a bridge, a bond on it, an
// internal port, a VXLAN tunnel and a mirror (the bond changed in place
// too), then their deletes. A retry
// finds what the killed call did: a create answers the object (never
// ALREADY_EXISTS), a delete OK (never NOT_FOUND), and OVS holds exactly one
// row of each made object, and none once it is deleted.
TEST_F(ExactlyOnceTest, EverySwitchCallKilledMidwayAndRetriedActsExactlyOnce) {
  SeedKillDelays("switch fault suite");
  // OVS rows of `table` named `name`.
  auto rows = [&](const std::string& table, const std::string& name) {
    const auto r = bed_->Vsctl({"--bare", "--columns=_uuid", "find", table, "name=" + name});
    std::istringstream lines(r.out);
    int count = 0;
    for (std::string line; std::getline(lines, line);) count += line.empty() ? 0 : 1;
    return count;
  };
  for (const char* member : {"eoup0", "eoup1"}) {
    const std::string peer = std::string("eosw") + (member + 4);
    ASSERT_TRUE(
        bed_->Exec({"ip", "link", "add", member, "type", "veth", "peer", "name", peer}).ok());
    ASSERT_TRUE(bed_->Exec({"ip", "link", "set", member, "up"}).ok());
  }
  const int kills_before = kills_;
  for (int round = 0; round < Rounds(); ++round) {
    const std::string bridge = "eo-br" + std::to_string(round);
    v1::CreateBridgeRequest add_bridge;
    add_bridge.set_request_id(Id("req"));
    add_bridge.set_name(bridge);
    add_bridge.set_datapath_type(v1::DATAPATH_TYPE_NETDEV);
    Answer a = KillAndRetry(std::string(kNetworkService) + "CreateBridge", add_bridge, 300);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message() << agent_->log();
    EXPECT_EQ(rows("Bridge", bridge), 1);

    v1::CreateBondRequest add_bond;
    add_bond.set_request_id(Id("req"));
    add_bond.set_name("eo-bond");
    add_bond.set_bridge(bridge);
    add_bond.mutable_spec()->add_members("eoup0");
    add_bond.mutable_spec()->add_members("eoup1");
    a = KillAndRetry(std::string(kNetworkService) + "CreateBond", add_bond, 300);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message();
    v1::Bond bond;
    ASSERT_TRUE(bond.ParseFromString(a.response));
    EXPECT_EQ(bond.spec().members_size(), 2);
    EXPECT_EQ(rows("Port", "eo-bond"), 1);
    EXPECT_EQ(rows("Interface", "eoup0") + rows("Interface", "eoup1"), 2);

    v1::UpdateBondRequest update_bond;
    update_bond.set_request_id(Id("req"));
    update_bond.set_name("eo-bond");
    *update_bond.mutable_spec() = add_bond.spec();
    update_bond.mutable_spec()->set_mode(v1::BOND_MODE_BALANCE_SLB);
    a = KillAndRetry(std::string(kNetworkService) + "UpdateBond", update_bond, 300);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message();
    EXPECT_EQ(bed_->Vsctl({"get", "Port", "eo-bond", "bond_mode"}).out, "balance-slb\n");

    v1::CreateInternalPortRequest add_internal;
    add_internal.set_request_id(Id("req"));
    add_internal.set_name("eo-int");
    add_internal.set_network("vlan.10");
    add_internal.set_address("10.77.0.5/24");
    a = KillAndRetry(std::string(kNetworkService) + "CreateInternalPort", add_internal, 300);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message();
    EXPECT_EQ(rows("Port", "eo-int"), 1);
    EXPECT_THAT(bed_->Exec({"ip", "-o", "-4", "addr", "show", "dev", "eo-int"}).out,
                ::testing::HasSubstr("10.77.0.5/24"));

    v1::CreateTunnelRequest add_tunnel;
    add_tunnel.set_request_id(Id("req"));
    add_tunnel.mutable_tunnel()->set_name("eo-vx");
    add_tunnel.mutable_tunnel()->set_bridge(bridge);
    add_tunnel.mutable_tunnel()->set_remote_ip("192.0.2.7");
    add_tunnel.mutable_tunnel()->set_vni(5000);
    a = KillAndRetry(std::string(kNetworkService) + "CreateTunnel", add_tunnel, 300);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message();
    EXPECT_EQ(rows("Port", "eo-vx"), 1);

    v1::CreateMirrorRequest add_mirror;
    add_mirror.set_request_id(Id("req"));
    add_mirror.mutable_mirror()->set_name("eo-mirror");
    add_mirror.mutable_mirror()->set_bridge(bridge);
    add_mirror.mutable_mirror()->set_select_all(true);
    add_mirror.mutable_mirror()->set_output_port("eo-bond");
    a = KillAndRetry(std::string(kNetworkService) + "CreateMirror", add_mirror, 300);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message();
    EXPECT_EQ(rows("Mirror", "eo-mirror"), 1);

    // The deletes, the users first: each answers OK and leaves no row.
    auto remove = [&]<typename Request>(Request request, const std::string& method,
                                        const std::string& table, const std::string& name) {
      request.set_request_id(Id("req"));
      request.set_name(name);
      const Answer deleted = KillAndRetry(std::string(kNetworkService) + method, request, 300);
      EXPECT_TRUE(deleted.status.ok()) << method << ": " << deleted.status.error_message();
      EXPECT_EQ(rows(table, name), 0) << method;
    };
    remove(v1::DeleteMirrorRequest{}, "DeleteMirror", "Mirror", "eo-mirror");
    remove(v1::DeleteTunnelRequest{}, "DeleteTunnel", "Port", "eo-vx");
    remove(v1::DeleteInternalPortRequest{}, "DeleteInternalPort", "Port", "eo-int");
    remove(v1::DeleteBondRequest{}, "DeleteBond", "Port", "eo-bond");
    remove(v1::DeleteBridgeRequest{}, "DeleteBridge", "Bridge", bridge);
    ASSERT_TRUE(InvariantsHold("the switch's calls"));
  }
  for (const char* member : {"eoup0", "eoup1"}) (void)bed_->Exec({"ip", "link", "del", member});
  std::cerr << "switch fault suite: " << kills_ - kills_before
            << " SIGKILLs, every call acted once\n";
  EXPECT_GE(kills_ - kills_before, 11 * Rounds());
}

// Service chains and the CPU baseline through the same kills: a chain on
// vlan.10 through one inline processor (whose NICs are on no VM, so it fails
// closed: its flows drop), made fail-open at the generation it was made at,
// then deleted; and a baseline set. A retry answers OK; exactly one chain
// exists after the create, at one generation more after the update, and
// none after the delete, with no flow of its cookie left on any bridge of
// the chain; GetCpuBaseline shows the baseline set, as the retry answered.
TEST_F(ExactlyOnceTest, ServiceChainsAndTheCpuBaselineKilledMidwayAndRetriedActExactlyOnce) {
  SeedKillDelays("chain and baseline fault suite");
  const std::string rundir = std::filesystem::path(bed_->ovsdb_socket()).parent_path().string();
  // Every bridge's flows of cookie `cookie` (all agent flows: 0x4856/16 bits).
  auto flows = [&](uint64_t cookie, uint64_t mask) {
    std::string out;
    for (const char* bridge : {"br.nf", "br.microseg", "br0.local"}) {
      const auto r = RunProcess({"ovs-ofctl", "--no-names", "--no-stats", "dump-flows",
                                 "unix:" + rundir + "/" + bridge + ".mgmt",
                                 fmt::format("cookie={:#x}/{:#x}", cookie, mask)});
      EXPECT_TRUE(r.ok()) << bridge << ": " << r.err;
      std::istringstream lines(r.out);
      for (std::string line; std::getline(lines, line);) {
        if (line.find("cookie=") != std::string::npos)
          out += std::string(bridge) + ": " + line + "\n";
      }
    }
    return out;
  };
  auto chains = [&] {
    v1::ListServiceChainsResponse list;
    EXPECT_TRUE(networks()->ListServiceChains(Ctx().get(), {}, &list).ok());
    return list;
  };
  auto host = [&] { return v1::HostService::NewStub(agent_->Channel()); };
  v1::HostCpu here;
  ASSERT_TRUE(host()->GetHostCpu(Ctx().get(), {}, &here).ok());
  v1::ComputeCpuBaselineRequest compute;
  compute.add_host_cpu_xmls(here.libvirt_cpu_xml());
  v1::CpuBaseline baseline;
  ASSERT_TRUE(host()->ComputeCpuBaseline(Ctx().get(), compute, &baseline).ok());
  ASSERT_TRUE(baseline.supported_here());

  const int kills_before = kills_;
  for (int round = 0; round < Rounds(); ++round) {
    const std::string name = "eo-chain" + std::to_string(round);
    v1::CreateServiceChainRequest create =
        InlineChainRequest(name, "vlan.10", "fw", "52:54:00:e0:00:01", "52:54:00:e0:00:02");
    create.set_request_id(Id("req"));
    Answer a = KillAndRetry(std::string(kNetworkService) + "CreateServiceChain", create, 100);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message() << agent_->log();
    v1::ServiceChain made;
    ASSERT_TRUE(made.ParseFromString(a.response));
    v1::ListServiceChainsResponse list = chains();
    ASSERT_EQ(list.chains_size(), 1) << "CreateServiceChain made " << list.chains_size();
    EXPECT_EQ(list.chains(0).uuid(), made.uuid()) << "another chain than it answered";
    EXPECT_EQ(list.chains(0).generation(), made.generation());
    const uint64_t cookie = openflow::CookieFor(made.cookie_id());
    EXPECT_NE(flows(cookie, ~0ULL), "") << "the chain has no flows";

    // With the generation it was made at: a retry after the change was made
    // must answer it, not that the generation moved on.
    v1::UpdateServiceChainRequest update;
    update.set_request_id(Id("req"));
    *update.mutable_chain() = create.chain();
    update.mutable_chain()->set_failure_policy(v1::FAILURE_POLICY_FAIL_OPEN);
    update.set_expected_generation(made.generation());
    a = KillAndRetry(std::string(kNetworkService) + "UpdateServiceChain", update, 100);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message() << agent_->log();
    v1::GetServiceChainRequest get;
    get.set_name(name);
    v1::ServiceChain shown;
    ASSERT_TRUE(networks()->GetServiceChain(Ctx().get(), get, &shown).ok());
    EXPECT_EQ(shown.failure_policy(), v1::FAILURE_POLICY_FAIL_OPEN);
    EXPECT_EQ(shown.generation(), made.generation() + 1) << "UpdateServiceChain acted again";
    EXPECT_EQ(chains().chains_size(), 1);

    v1::DeleteServiceChainRequest remove;
    remove.set_request_id(Id("req"));
    remove.set_name(name);
    a = KillAndRetry(std::string(kNetworkService) + "DeleteServiceChain", remove, 100);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message() << agent_->log();
    EXPECT_EQ(networks()->GetServiceChain(Ctx().get(), get, &shown).error_code(), grpc::NOT_FOUND);
    EXPECT_EQ(chains().chains_size(), 0);
    // No chain is left: none of its flows, nor the ones chains share.
    EXPECT_EQ(flows(cookie, ~0ULL), "");
    EXPECT_EQ(flows(openflow::kCookiePrefix, openflow::kCookiePrefixMask), "");
    ASSERT_TRUE(InvariantsHold("the service chain's calls"));

    v1::SetCpuBaselineRequest set;
    set.set_request_id(Id("req"));
    set.set_libvirt_cpu_xml(baseline.libvirt_cpu_xml());
    a = KillAndRetry("/hvagent.v1.HostService/SetCpuBaseline", set, 10);
    ASSERT_TRUE(a.status.ok()) << a.status.error_message() << agent_->log();
    v1::CpuBaseline answered;
    ASSERT_TRUE(answered.ParseFromString(a.response));
    v1::CpuBaseline kept;
    ASSERT_TRUE(host()->GetCpuBaseline(Ctx().get(), {}, &kept).ok());
    EXPECT_EQ(kept.libvirt_cpu_xml(), baseline.libvirt_cpu_xml());
    // Set once: the baseline kept is the one the retry answered.
    EXPECT_EQ(kept.set_time().SerializeAsString(), answered.set_time().SerializeAsString());
  }
  std::cerr << "chain and baseline fault suite: " << kills_ - kills_before
            << " SIGKILLs, every call acted once\n";
  EXPECT_GE(kills_ - kills_before, 4 * Rounds());
}

// The store's disk read-only, then full. Read-only, the agent refuses to
// start (it could record no intent). Full, a change the store cannot record
// is refused before it acts (UNAVAILABLE, "nothing was changed") and the
// invariants hold; the same request_id works once the disk has room.
// The Controller VM's configuration, on hvagentd_recorded_pci: hvagentd with
// its PCI devices from the sysfs tree recorded from a real kernel and a file
// standing in for vfio-pci (no machine here has VFIO hardware; libvirt is
// the testbed's, where the CVM is defined, not started). Each round defines
// the CVM on one controller, then moves it to another, each call killed at a
// random point and retried. Each acts once: one definition, with the UUID of
// the first and only the asked controller, autostart on, its backup written;
// every controller bound once per call that takes it and given back once per
// call that drops it (the file counts the driver changes).
TEST_F(ExactlyOnceTest, TheControllerVmsConfigurationKilledMidwayAndRetriedActsExactlyOnce) {
  SeedKillDelays("Controller VM");
  const std::string vfio_log = state_dir_ + "/vfio-pci.log";
  agent_.reset();
  agent_program_ = BuildDir() + "/tests/hvagentd_recorded_pci";
  agent_extra_args_ = {"--recorded-sysfs", TestDataPath("pci/q35-recorded"), "--vfio-log",
                       vfio_log};
  StartAgent();
  ASSERT_NE(agent_, nullptr);
  auto changes = [&] {
    std::map<std::string, int> counted;  // "bind ADDR" / "release ADDR" -> times
    std::istringstream lines(ReadFile(vfio_log));
    for (std::string line; std::getline(lines, line);) ++counted[line];
    return counted;
  };
  std::map<std::string, int> expected;
  std::string bound;  // the controller the CVM has
  std::string name, uuid;
  for (int round = 0; round < Rounds(); ++round) {
    for (const std::string address : {"0000:81:00.0", "0000:03:00.0"}) {
      v1::ConfigureControllerVmRequest req;
      req.set_request_id(Id("cvm"));
      auto* controller = req.add_storage_controllers();
      controller->set_address(address);
      controller->set_vendor_id("1b36");
      controller->set_device_id("0010");
      req.set_num_vcpus(2);
      req.set_memory_bytes(uint64_t{512} << 20);
      const Answer answer = KillAndRetry("/hvagent.v1.HostService/ConfigureControllerVm", req, 15);
      const auto delay = last_delay_;
      ASSERT_TRUE(answer.status.ok()) << "ConfigureControllerVm (" << address << ") killed after "
                                      << delay.count() << " ms: " << answer.status.error_message();
      v1::ControllerVm cvm;
      ASSERT_TRUE(cvm.ParseFromString(answer.response));
      if (uuid.empty()) {
        name = cvm.name();
        uuid = cvm.vm_uuid();
      }
      EXPECT_EQ(cvm.vm_uuid(), uuid) << "a second CVM";
      EXPECT_TRUE(cvm.autostart());
      EXPECT_THAT(cvm.passed_endpoints(), ::testing::ElementsAre(address));
      ++expected["bind " + address];
      if (!bound.empty() && bound != address) ++expected["release " + bound];
      bound = address;
      EXPECT_EQ(changes(), expected) << "after ConfigureControllerVm (" << address
                                     << ") killed after " << delay.count() << " ms";
      // libvirt's own view: one domain, with this controller only.
      const auto xml =
          bed_->Exec({"virsh", "-c", bed_->libvirt_uri(), "dumpxml", "--inactive", name});
      ASSERT_TRUE(xml.ok()) << xml.err;
      auto facts = compute::ParseControllerVmXml(xml.out);
      ASSERT_TRUE(facts.ok()) << facts.status();
      EXPECT_EQ(facts->uuid, uuid);
      EXPECT_THAT(facts->hostdev_addresses, ::testing::ElementsAre(address));
      // The backup a host rebuilds the CVM from is this definition's.
      auto backup = compute::ParseControllerVmXml(ReadFile(state_dir_ + "/cvm/" + name + ".xml"));
      ASSERT_TRUE(backup.ok()) << backup.status();
      EXPECT_EQ(backup->uuid, uuid);
      EXPECT_THAT(backup->hostdev_addresses, ::testing::ElementsAre(address));
    }
  }
  std::cerr << "Controller VM: " << kills_ << " kills, " << answered_before_kill_
            << " after the answer\n";
  // Not the other tests': the CVM goes (it is protected from DeleteVm).
  agent_.reset();
  EXPECT_TRUE(bed_->Exec({"virsh", "-c", bed_->libvirt_uri(), "undefine", name}).ok());
  agent_program_.clear();
  agent_extra_args_.clear();
  StartAgent();
}

TEST_F(ExactlyOnceTest, AStoreThatCannotBeWrittenRefusesChangesBeforeTheyAct) {
  DeleteEveryVm(*vms());
  agent_.reset();
  std::filesystem::remove_all(state_dir_);
  std::filesystem::create_directories(state_dir_);
  ASSERT_TRUE(
      RunProcess({"mount", "-t", "tmpfs", "-o", "size=16m", "hvagent-store", state_dir_}).ok());
  store_mounted_ = true;
  StartAgent();
  CreateNetwork("vlan.10", 10);
  auto create = [&](const std::string& name) {
    v1::CreateVmRequest req = GuestVm(name, "sleep 3600\n");
    req.set_request_id("req-" + name);
    v1::Vm vm;
    return vms()->CreateVm(Ctx().get(), req, &vm);
  };
  ASSERT_TRUE(create("store-1").ok());
  told_vms_ = {"store-1"};

  // Read-only (a file system cannot turn read-only under open files, so the
  // agent is killed first): an agent that could record no intent must not
  // serve changes, so a new one refuses to start, naming the store and why,
  // and touches no domain.
  agent_->Kill();
  ASSERT_TRUE(RunProcess({"mount", "-o", "remount,ro", state_dir_}).ok());
  {
    AgentProcess refused(AgentOnTestbed(*bed_, {}, state_dir_));
    EXPECT_FALSE(refused.Start());
    EXPECT_NE(refused.ExitCode(), 0);
    EXPECT_THAT(refused.log(), ::testing::HasSubstr("open store"));
    EXPECT_THAT(refused.log(), ::testing::HasSubstr("Read-only file system"));
  }
  EXPECT_EQ(Domains(), told_vms_);
  ASSERT_TRUE(RunProcess({"mount", "-o", "remount,rw", state_dir_}).ok());
  StartAgent();
  ASSERT_TRUE(create("store-2").ok());
  told_vms_.insert("store-2");
  EXPECT_TRUE(InvariantsHold("a read-only store made writable"));

  // Full: what SQLite's write-ahead log has room for may still be recorded,
  // so the call either acts whole or is refused having changed nothing.
  (void)RunProcess({"dd", "if=/dev/zero", "of=" + state_dir_ + "/filler", "bs=64k"});
  const grpc::Status full = create("store-3");
  EXPECT_TRUE(full.ok() || full.error_code() == grpc::UNAVAILABLE) << full.error_message();
  std::cerr << "a CreateVm on a full store: " << (full.ok() ? "OK" : full.error_message()) << "\n";
  if (full.ok()) told_vms_.insert("store-3");
  EXPECT_TRUE(InvariantsHold("a full store"));
  std::filesystem::remove(state_dir_ + "/filler");
  ASSERT_TRUE(create("store-3").ok());
  told_vms_.insert("store-3");
  EXPECT_TRUE(InvariantsHold("a full store with room again"));
}

}  // namespace
}  // namespace hvagent::testing
