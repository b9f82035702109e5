// Load (issue 15): 64 concurrent clients mixing reads and writes on 100 VMs
// for HVAGENT_LOAD_SECONDS (10 in make test, 60 in make soak). No call may
// hang (each has a deadline far above its normal time), every answer must be
// one the call can give to valid requests (OK), the host must hold its
// invariants after, and the agent must not grow: its threads, open files and
// memory after the second half of the run are those after the first.
#include <array>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <random>

#include "vm_api_test_fixture.h"

namespace hvagent::testing {
namespace {

constexpr int kClients = 64;
constexpr int kVms = 100;

int LoadSeconds() {
  const char* seconds = std::getenv("HVAGENT_LOAD_SECONDS");
  return seconds != nullptr && std::atoi(seconds) > 0 ? std::atoi(seconds) : 10;
}

// What /proc says of a process: resident memory (KiB), threads, open fds.
struct Footprint {
  long rss_kib = 0;
  long threads = 0;
  long fds = 0;
};

Footprint FootprintOf(int pid) {
  Footprint f;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") status >> f.rss_kib;
    if (key == "Threads:") status >> f.threads;
  }
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++f.fds;
  }
  return f;
}

class LoadTest : public VmApiTest {
 protected:
  // `clients` threads running Mix for `seconds`.
  void RunFor(int seconds) {
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (int c = 0; c < kClients; ++c) {
      threads.emplace_back([this, c, &stop] {
        std::mt19937 random(seed_ + static_cast<unsigned>(c));
        auto channel = agent_->Channel();
        while (!stop) {
          Mix(c, random, channel);
          ++answered_[c];
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    stop = true;
    for (auto& t : threads) t.join();
  }

  // One call of the mix, as client `c`: reads (GetVm, ListVms, GetHost,
  // ListNetworks) and writes (UpdateVm, CreateNic then DeleteNic on a VM,
  // CreateNetwork then DeleteNetwork of the client's own).
  void Mix(int c, std::mt19937& random, const std::shared_ptr<grpc::Channel>& channel) {
    auto vms = v1::VmService::NewStub(channel);
    auto nets = v1::NetworkService::NewStub(channel);
    const std::string vm = fmt::format("load-{:03d}", random() % kVms);
    const int pick = static_cast<int>(random() % 100);
    if (pick < 40) {
      v1::GetVmRequest req;
      req.set_name(vm);
      v1::Vm out;
      Count("GetVm", vms->GetVm(Ctx().get(), req, &out));
    } else if (pick < 50) {
      v1::ListVmsRequest req;
      v1::ListVmsResponse out;
      Count("ListVms", vms->ListVms(Ctx().get(), req, &out));
    } else if (pick < 60) {
      v1::Host out;
      Count("GetHost",
            v1::HostService::NewStub(channel)->GetHost(Ctx().get(), v1::GetHostRequest(), &out));
    } else if (pick < 70) {
      v1::ListNetworksResponse out;
      Count("ListNetworks", nets->ListNetworks(Ctx().get(), v1::ListNetworksRequest(), &out));
    } else if (pick < 80) {
      v1::UpdateVmRequest req;
      req.set_name(vm);
      (*req.mutable_labels()->mutable_entries())["client"] = std::to_string(c);
      v1::Vm out;
      Count("UpdateVm", vms->UpdateVm(Ctx().get(), req, &out));
    } else if (pick < 90) {
      v1::CreateNicRequest add;
      add.set_vm_name(vm);
      add.mutable_spec()->set_network("vlan.10");
      v1::Nic nic;
      const grpc::Status added = vms->CreateNic(Ctx().get(), add, &nic);
      Count("CreateNic", added);
      if (!added.ok()) return;
      v1::DeleteNicRequest del;
      del.set_vm_name(vm);
      del.set_mac(nic.mac());
      v1::DeleteNicResponse out;
      Count("DeleteNic", vms->DeleteNic(Ctx().get(), del, &out));
    } else {
      const std::string name = fmt::format("load-net-{}", c);
      v1::CreateNetworkRequest add;
      add.set_name(name);
      add.set_vlan_id(200 + static_cast<uint32_t>(c));
      v1::Network out;
      Count("CreateNetwork", nets->CreateNetwork(Ctx().get(), add, &out));
      v1::DeleteNetworkRequest del;
      del.set_name(name);
      v1::DeleteNetworkResponse gone;
      Count("DeleteNetwork", nets->DeleteNetwork(Ctx().get(), del, &gone));
    }
  }

  void Count(const std::string& method, const grpc::Status& status) {
    std::lock_guard lock(mu_);
    ++calls_[method];
    if (!status.ok()) {
      unexpected_[method + ": " + std::to_string(status.error_code()) + " " +
                  status.error_message()]++;
    }
  }

  unsigned seed_ = std::random_device{}();
  std::array<std::atomic<long>, kClients> answered_{};  // mixes done, by client
  std::mutex mu_;
  std::map<std::string, long> calls_;
  std::map<std::string, long> unexpected_;
};

TEST_F(LoadTest, SixtyFourClientsMixingReadsAndWritesOnAHundredVms) {
  for (int i = 0; i < kVms; ++i) {
    v1::Vm vm;
    const grpc::Status made =
        vms()->CreateVm(Ctx().get(), GuestVm(fmt::format("load-{:03d}", i), "sleep 3600\n"), &vm);
    ASSERT_TRUE(made.ok()) << made.error_message();
  }
  const int seconds = LoadSeconds();
  std::cerr << "load: " << kClients << " clients, " << kVms << " VMs, " << seconds << " s, seed "
            << seed_ << "\n";
  RunFor(seconds / 2);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const Footprint half = FootprintOf(agent_->pid());
  RunFor(seconds - seconds / 2);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const Footprint end = FootprintOf(agent_->pid());

  long total = 0;
  for (const auto& [method, n] : calls_) {
    std::cerr << "  " << method << ": " << n << " calls\n";
    total += n;
  }
  std::cerr << "load: " << total << " calls; after the first half RSS " << half.rss_kib << " KiB, "
            << half.threads << " threads, " << half.fds << " fds; at the end " << end.rss_kib
            << " KiB, " << end.threads << " threads, " << end.fds << " fds\n";
  for (const auto& [what, n] : unexpected_) ADD_FAILURE() << n << " x " << what;
  std::cerr << "load: " << total / seconds << " calls/s\n";
  // No deadlock: every client was answered, again and again (each call has a
  // deadline; one missed is an unexpected DEADLINE_EXCEEDED above).
  for (int c = 0; c < kClients; ++c) EXPECT_GE(answered_[c], 2) << "client " << c;
  // No growth: what a second, equal half of the run leaves behind is what
  // the first did (allocator caches may move a little).
  EXPECT_LE(end.threads, half.threads + 2);
  EXPECT_LE(end.fds, half.fds + 2);
  EXPECT_LE(end.rss_kib, half.rss_kib + 8 * 1024);

  // Invariants: every VM there, with its one NIC; no network of the load left.
  v1::ListVmsResponse list;
  ASSERT_TRUE(vms()->ListVms(Ctx().get(), {}, &list).ok());
  ASSERT_EQ(list.vms_size(), kVms);
  for (const v1::Vm& vm : list.vms()) {
    EXPECT_EQ(vm.nics_size(), 1) << vm.spec().name() << " kept a NIC of the load";
  }
  v1::ListNetworksResponse nets;
  ASSERT_TRUE(networks()->ListNetworks(Ctx().get(), {}, &nets).ok());
  for (const v1::Network& net : nets.networks()) {
    EXPECT_FALSE(net.name().starts_with("load-net-")) << net.name() << " left behind";
  }
}

// The backends restarted under load: libvirtd, then ovsdb-server with
// ovs-vswitchd, while 32 clients add and remove NICs with request_ids and
// retry what did not answer, as a controller does. Reads may be UNAVAILABLE
// while a backend is away; every write ends answered OK, having acted once:
// each VM is left with its one NIC and the switch with no port of the load.
TEST_F(LoadTest, BackendsRestartedUnderLoadLoseNoWrite) {
  constexpr int kWriters = 32;
  constexpr int kLoadVms = 16;
  for (int i = 0; i < kLoadVms; ++i) {
    v1::Vm vm;
    ASSERT_TRUE(
        vms()
            ->CreateVm(Ctx().get(), GuestVm(fmt::format("load-{:03d}", i), "sleep 3600\n"), &vm)
            .ok());
  }
  std::atomic<bool> stop{false};
  std::atomic<long> writes{0};
  std::atomic<long> reads_unavailable{0};
  // Retries `call` (same request) while the agent cannot answer for a
  // backend; its last status.
  auto until_answered = [&](const std::function<grpc::Status()>& call) {
    grpc::Status status;
    for (int attempt = 0; attempt < 120; ++attempt) {
      status = call();
      if (status.error_code() != grpc::UNAVAILABLE &&
          status.error_code() != grpc::DEADLINE_EXCEEDED) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return status;
  };
  std::vector<std::thread> clients;
  for (int c = 0; c < kWriters; ++c) {
    clients.emplace_back([&, c] {
      auto vms_stub = v1::VmService::NewStub(agent_->Channel());
      for (long n = 0; !stop; ++n) {
        const std::string vm = fmt::format("load-{:03d}", c % kLoadVms);
        v1::GetVmRequest get;
        get.set_name(vm);
        v1::Vm shown;
        const grpc::Status read = vms_stub->GetVm(Ctx().get(), get, &shown);
        if (read.error_code() == grpc::UNAVAILABLE) ++reads_unavailable;
        if (!read.ok() && read.error_code() != grpc::UNAVAILABLE) Count("GetVm", read);
        v1::CreateNicRequest add;
        add.set_request_id(fmt::format("restart-{}-{}-add", c, n));
        add.set_vm_name(vm);
        add.mutable_spec()->set_network("vlan.10");
        v1::Nic nic;
        const grpc::Status added =
            until_answered([&] { return vms_stub->CreateNic(Ctx().get(), add, &nic); });
        Count("CreateNic", added);
        if (!added.ok()) continue;
        v1::DeleteNicRequest del;
        del.set_request_id(fmt::format("restart-{}-{}-del", c, n));
        del.set_vm_name(vm);
        del.set_mac(nic.mac());
        v1::DeleteNicResponse gone;
        Count("DeleteNic",
              until_answered([&] { return vms_stub->DeleteNic(Ctx().get(), del, &gone); }));
        writes += 2;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  ASSERT_TRUE(bed_->StopDaemon("libvirt"));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  ASSERT_TRUE(bed_->StartDaemon("libvirt"));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  ASSERT_TRUE(bed_->StopDaemon("ovs"));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  ASSERT_TRUE(bed_->StartDaemon("ovs"));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  stop = true;
  for (auto& t : clients) t.join();
  std::cerr << "restarts under load: " << writes << " writes answered, " << reads_unavailable
            << " reads UNAVAILABLE while a backend was away\n";
  for (const auto& [what, n] : unexpected_) ADD_FAILURE() << n << " x " << what;
  EXPECT_GT(writes.load(), 0);
  v1::ListVmsResponse list;
  ASSERT_TRUE(vms()->ListVms(Ctx().get(), {}, &list).ok());
  for (const v1::Vm& vm : list.vms()) {
    EXPECT_EQ(vm.nics_size(), 1) << vm.spec().name() << " kept a NIC: a write acted twice";
  }
}

}  // namespace
}  // namespace hvagent::testing
