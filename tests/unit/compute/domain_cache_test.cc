// The read path's cache of domains (DomainCache, behind VmDomains) against a
// fake hypervisor: reads from memory once live, every change the agent makes
// seen by the next read without any event (read-your-writes), changes made
// outside the agent seen once their event comes, a read that a change
// overtook never kept, and no cache at all until live.
#include "hvagent/compute/domain_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "hvagent/compute/domain_xml.h"
#include "hvagent/compute/vm_device_manager.h"
#include "hvagent/compute/vm_manager.h"
#include "hvagent_test/fake_hypervisor.h"
#include "hvagent_test/fake_nic_backend.h"
#include "hvagent_test/temp_dir.h"
#include "hvagent_test/vm_layer_setup.h"

namespace hvagent::compute {
namespace {

using ::hvagent::testing::FakeHypervisor;
using ::hvagent::testing::FakeNetworks;
using ::hvagent::testing::FakeNics;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr uint64_t kMiB = uint64_t{1} << 20;

// The fake, with a hook run once at the next lookup: a change that lands
// while a read of the cache is under way.
class HookedHypervisor final : public Hypervisor {
 public:
  explicit HookedHypervisor(FakeHypervisor& fake) : fake_(fake) {}
  std::function<void()> at_next_lookup;

  StatusOr<std::unique_ptr<HypervisorDomain>> LookupDomain(const std::string& name) override {
    if (at_next_lookup) std::exchange(at_next_lookup, nullptr)();
    return fake_.LookupDomain(name);
  }
  StatusOr<std::unique_ptr<HypervisorDomain>> DefineDomain(std::string_view xml) override {
    return fake_.DefineDomain(xml);
  }
  StatusOr<std::vector<std::unique_ptr<HypervisorDomain>>> ListDomains() override {
    return fake_.ListDomains();
  }
  StatusOr<DomainType> GuestDomainType() override { return fake_.GuestDomainType(); }
  StatusOr<std::vector<std::string>> MachineTypes() override { return fake_.MachineTypes(); }

 private:
  FakeHypervisor& fake_;
};

class DomainCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    vms_ = hvagent::testing::MakeTestVmManager(state_dir_, domains_, nics_, networks_);
    devices_ = hvagent::testing::MakeTestVmDeviceManager(state_dir_, domains_, nics_, networks_);
    domains_.cache().SetLive(true);
  }

  void Create(const std::string& name) {
    VmConfig config;
    config.name = name;
    config.memory_bytes = 256 * kMiB;
    config.nics.push_back({.network = "vlan.10"});
    ASSERT_TRUE(vms_->Create(config).ok());
  }

  // The hypervisor's reads of definitions since the last call.
  size_t DefinitionReads() {
    size_t n = 0;
    for (const std::string& call : fake_.Calls()) n += call.starts_with("PersistentXml ");
    fake_.ClearCalls();
    return n;
  }

  std::vector<std::string> Names(bool include_external) {
    auto list = vms_->List(include_external);
    EXPECT_TRUE(list.ok()) << list.status();
    std::vector<std::string> names;
    if (list.ok()) {
      for (const VmStatus& vm : *list) names.push_back(vm.config.name);
    }
    return names;
  }

  const hvagent::testing::TempDir state_root_{"domain-cache-test"};
  const std::string state_dir_ = state_root_.string();
  FakeHypervisor fake_;
  HookedHypervisor hypervisor_{fake_};
  FakeNics nics_;
  FakeNetworks networks_;
  VmDomains domains_{hypervisor_};
  std::unique_ptr<VmManager> vms_;
  std::unique_ptr<VmDeviceManager> devices_;
};

TEST_F(DomainCacheTest, LiveReadsComeFromMemoryAfterTheFirst) {
  Create("vm1");
  Create("vm2");
  EXPECT_THAT(Names(false), ElementsAre("vm1", "vm2"));
  DefinitionReads();
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(Names(false), ElementsAre("vm1", "vm2"));
    ASSERT_TRUE(vms_->Get("vm1").ok());
    auto counts = vms_->NicCounts();
    ASSERT_TRUE(counts.ok());
    EXPECT_EQ((*counts)["vlan.10"], 2U);
  }
  EXPECT_EQ(DefinitionReads(), 0U);
  EXPECT_THAT(fake_.Calls(), IsEmpty());
  // A name with no domain is answered from memory too, as libvirt would.
  EXPECT_EQ(vms_->Get("nosuch").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(fake_.Calls(), IsEmpty());
}

// A page of ListVms costs the page, not the host: only its VMs are read
// (definitions) and described (usage of running ones), cold cache or warm,
// and a domain the window does not want (external) is skipped, not counted.
TEST_F(DomainCacheTest, APageReadsAndDescribesOnlyItsOwnVms) {
  for (int i = 0; i < 8; ++i) Create(fmt::format("vm{}", i));
  ASSERT_TRUE(fake_.DefineDomain(hvagent::testing::kForeignDomainXml).ok());  // "foreign" < "vm0"
  ASSERT_TRUE(vms_->PowerOn("vm1").ok());
  ASSERT_TRUE(vms_->PowerOn("vm6").ok());
  const auto page = [&](const std::string& after, size_t limit) {
    auto list = vms_->List(/*include_external=*/false, after, limit);
    EXPECT_TRUE(list.ok()) << list.status();
    std::vector<std::string> names;
    if (list.ok()) {
      for (const VmStatus& vm : *list) names.push_back(vm.config.name);
    }
    return names;
  };
  const auto usage_reads = [&] {
    size_t n = 0;
    for (const std::string& call : fake_.Calls()) n += call.starts_with("Usage ");
    return n;
  };

  domains_.cache().SetLive(false);  // cold: nothing kept
  domains_.cache().SetLive(true);
  fake_.ClearCalls();
  EXPECT_THAT(page("", 3), ElementsAre("vm0", "vm1", "vm2"));
  EXPECT_EQ(usage_reads(), 1U);      // vm1, not vm6
  EXPECT_EQ(DefinitionReads(), 4U);  // foreign (unwanted), vm0..vm2
  EXPECT_THAT(page("vm2", 3), ElementsAre("vm3", "vm4", "vm5"));
  EXPECT_EQ(usage_reads(), 0U);
  EXPECT_EQ(DefinitionReads(), 3U);
  EXPECT_THAT(page("vm5", 3), ElementsAre("vm6", "vm7"));
  EXPECT_EQ(DefinitionReads(), 2U);
  // Warm: the same pages from memory.
  EXPECT_THAT(page("", 3), ElementsAre("vm0", "vm1", "vm2"));
  EXPECT_EQ(DefinitionReads(), 0U);

  // Not live, the same windows straight from the hypervisor.
  domains_.cache().SetLive(false);
  EXPECT_THAT(page("vm2", 3), ElementsAre("vm3", "vm4", "vm5"));
  EXPECT_THAT(page("vm5", 3), ElementsAre("vm6", "vm7"));
  auto all = vms_->List(/*include_external=*/true, "", 2);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2U);
  EXPECT_EQ((*all)[0].config.name, "foreign");
}

// ForEach (the MAC check, NIC counts) visits every wanted definition once, in
// name order: a cold cache reads each domain once, a warm one none, and one
// not live asks the hypervisor; unwanted ones are never visited.
TEST_F(DomainCacheTest, ForEachVisitsEveryWantedDefinitionOnceColdOrWarm) {
  for (int i = 0; i < 5; ++i) Create(fmt::format("vm{}", i));
  ASSERT_TRUE(fake_.DefineDomain(hvagent::testing::kForeignDomainXml).ok());
  const auto visited = [&] {
    std::vector<std::string> names;
    const Status walked = domains_.cache().ForEach(
        [](const VmConfig& config) { return !config.external; },
        [&names](const VmConfig& config) { names.push_back(config.name); });
    EXPECT_TRUE(walked.ok()) << walked;
    return names;
  };
  const std::vector<std::string> all = {"vm0", "vm1", "vm2", "vm3", "vm4"};

  domains_.cache().SetLive(false);  // cold: nothing kept
  domains_.cache().SetLive(true);
  fake_.ClearCalls();
  EXPECT_EQ(visited(), all);
  EXPECT_EQ(DefinitionReads(), 6U);  // each once, the foreign one too
  EXPECT_EQ(visited(), all);
  EXPECT_EQ(DefinitionReads(), 0U);
  EXPECT_THAT(fake_.Calls(), IsEmpty());

  domains_.cache().SetLive(false);
  EXPECT_EQ(visited(), all);
  EXPECT_EQ(DefinitionReads(), 6U);
}

TEST_F(DomainCacheTest, EveryChangeOfTheAgentIsReadBackWithoutAnEvent) {
  Create("vm1");
  ASSERT_TRUE(vms_->Get("vm1").ok());
  EXPECT_EQ(Names(false).size(), 1U);

  // Power: the state read right after is the new one.
  ASSERT_TRUE(vms_->PowerOn("vm1").ok());
  EXPECT_EQ(vms_->Get("vm1")->state, DomainState::kRunning);
  ASSERT_TRUE(vms_->Pause("vm1").ok());
  EXPECT_EQ(vms_->List(false)->at(0).state, DomainState::kPaused);
  ASSERT_TRUE(vms_->PowerOff("vm1").ok());
  EXPECT_EQ(vms_->Get("vm1")->state, DomainState::kShutOff);

  // The definition: resized, and a NIC more (hot-plug's define).
  ASSERT_TRUE(vms_->Update("vm1", {.memory_bytes = 512 * kMiB}).ok());
  EXPECT_EQ(vms_->Get("vm1")->config.memory_bytes, 512 * kMiB);
  ASSERT_TRUE(devices_->AddNic("vm1", {.network = "vlan.20"}).ok());
  EXPECT_EQ(vms_->Get("vm1")->config.nics.size(), 2U);
  EXPECT_EQ((*vms_->NicCounts())["vlan.20"], 1U);

  // Gone: neither got nor listed.
  ASSERT_TRUE(vms_->Delete("vm1", /*force=*/false, /*keep_disks=*/false).ok());
  EXPECT_EQ(vms_->Get("vm1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Names(true), IsEmpty());
}

TEST_F(DomainCacheTest, ChangesOutsideTheAgentAreReadOnceTheirEventComes) {
  Create("vm1");
  EXPECT_THAT(Names(true), ElementsAre("vm1"));

  // virsh define of a new domain, then of a changed vm1: each event marks
  // its domain, the next read has it.
  ASSERT_TRUE(fake_.DefineDomain(hvagent::testing::kForeignDomainXml).ok());
  domains_.cache().DomainChanged("foreign");
  EXPECT_THAT(Names(true), ElementsAre("foreign", "vm1"));
  EXPECT_THAT(Names(false), ElementsAre("vm1"));

  auto record = fake_.Find("vm1");
  ASSERT_TRUE(record.has_value());
  auto config = ParseDomainXml(record->xml);
  ASSERT_TRUE(config.ok());
  config->memory_bytes = 1024 * kMiB;
  auto xml = BuildDomainXml(*config);
  ASSERT_TRUE(xml.ok());
  ASSERT_TRUE(fake_.DefineDomain(*xml).ok());
  domains_.cache().DomainChanged("vm1");
  EXPECT_EQ(vms_->Get("vm1")->config.memory_bytes, 1024 * kMiB);

  // virsh start and undefine: the state follows, then the domain goes.
  ASSERT_TRUE((*fake_.LookupDomain("foreign"))->Start().ok());
  domains_.cache().DomainChanged("foreign");
  EXPECT_EQ(vms_->Get("foreign")->state, DomainState::kRunning);
  ASSERT_TRUE((*fake_.LookupDomain("foreign"))->Destroy().ok());
  ASSERT_TRUE((*fake_.LookupDomain("foreign"))->Undefine().ok());
  domains_.cache().DomainChanged("foreign");
  EXPECT_EQ(vms_->Get("foreign").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Names(true), ElementsAre("vm1"));
}

TEST_F(DomainCacheTest, AReadThatAChangeOvertookIsNotKept) {
  Create("vm1");
  // The read of vm1 starts; the agent's define lands before it ends.
  hypervisor_.at_next_lookup = [this] { domains_.cache().DomainChanged("vm1"); };
  ASSERT_TRUE(vms_->Get("vm1").ok());
  const auto before = domains_.cache().stats();
  ASSERT_TRUE(vms_->Get("vm1").ok());
  EXPECT_EQ(domains_.cache().stats().reads, before.reads + 1) << "the overtaken read was kept";
  ASSERT_TRUE(vms_->Get("vm1").ok());
  EXPECT_EQ(domains_.cache().stats().reads, before.reads + 1) << "the fresh read was not kept";
}

TEST_F(DomainCacheTest, UntilLiveAndOnceGoneEveryReadAsksTheHypervisor) {
  Create("vm1");
  domains_.cache().SetLive(false);
  fake_.ClearCalls();
  ASSERT_TRUE(vms_->Get("vm1").ok());
  ASSERT_TRUE(vms_->Get("vm1").ok());
  EXPECT_THAT(Names(false), ElementsAre("vm1"));
  EXPECT_EQ(DefinitionReads(), 3U);

  // A change while not live (no event would say) is seen once live again:
  // what was kept before went with the connection.
  domains_.cache().SetLive(true);
  ASSERT_TRUE(vms_->Get("vm1").ok());
  domains_.cache().SetLive(false);
  auto record = fake_.Find("vm1");
  auto config = ParseDomainXml(record->xml);
  config->vcpus = 2;
  ASSERT_TRUE(fake_.DefineDomain(*BuildDomainXml(*config)).ok());
  domains_.cache().SetLive(true);
  EXPECT_EQ(vms_->Get("vm1")->config.vcpus, 2U);
}

}  // namespace
}  // namespace hvagent::compute
