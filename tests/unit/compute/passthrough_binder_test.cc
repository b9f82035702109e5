// The vfio-pci binding state machine with faults injected at every step: an
// error (the step fails and the agent lives on) and a kill (the agent dies
// before or after the step takes effect, and a new agent recovers from the
// store). After each, every device must be bound and recorded, or released
// and recorded, never half.
#include "hvagent/compute/passthrough_binder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "hvagent/store/database.h"
#include "hvagent_test/database.h"
#include "hvagent_test/temp_dir.h"

namespace hvagent::compute {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Thrown by the fake to model the agent dying mid-call: nothing after it runs.
struct SimulatedKill {};

// Devices as the kernel holds them: address -> "host" or "vfio-pci".
class FakeDeviceBinder : public pci::DeviceBinder {
 public:
  enum class Fault { kNone, kError, kKillBefore, kKillAfter };
  explicit FakeDeviceBinder(std::map<std::string, std::string>& drivers) : drivers_(&drivers) {}

  // Injects `fault` into call number `call` (0-based, Detach and Reattach alike).
  void InjectAt(int call, Fault fault) { faults_[call] = fault; }
  int calls() const { return calls_; }

  Status Detach(const pci::PciAddress& address) override { return Step(address, "vfio-pci"); }
  Status Reattach(const pci::PciAddress& address) override { return Step(address, "host"); }

 private:
  Status Step(const pci::PciAddress& address, const char* driver) {
    const int call = calls_++;
    const auto it = faults_.find(call);
    const Fault fault = it == faults_.end() ? Fault::kNone : it->second;
    if (fault == Fault::kError) {
      return absl::UnavailableError(fmt::format("injected failure at call {}", call));
    }
    if (fault == Fault::kKillBefore) throw SimulatedKill{};
    (*drivers_)[address.ToString()] = driver;
    if (fault == Fault::kKillAfter) throw SimulatedKill{};
    return absl::OkStatus();
  }

  std::map<std::string, std::string>* drivers_;
  int calls_ = 0;
  std::map<int, Fault> faults_;
};

pci::PciDevice Endpoint(const char* address, uint16_t device_id) {
  pci::PciDevice device;
  device.address = *pci::PciAddress::Parse(address);
  device.vendor_id = 0x1000;
  device.device_id = device_id;
  device.class_code = 0x010700;
  return device;
}

class PassthroughBinderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Tests that start over in a loop call SetUp again: the round before's
    // directory goes first.
    dir_.emplace("hvagent-passthrough-test");
    endpoints_ = {Endpoint("0000:3b:00.0", 0x0097), Endpoint("0000:3b:00.1", 0x0098),
                  Endpoint("0000:5e:00.0", 0x0099)};
    for (const auto& e : endpoints_) drivers_[e.address.ToString()] = "host";
  }
  void TearDown() override { dir_.reset(); }

  // A fresh agent process: the store re-opened from its file.
  void StartAgent() {
    binder_.reset();
    store_.reset();
    db_.reset();
    db_ = hvagent::testing::OpenDatabaseOrFail((*dir_ / "state.db").string());
    ASSERT_NE(db_, nullptr);
    store_ = std::make_unique<store::PassthroughStore>(*db_);
    fake_ = std::make_unique<FakeDeviceBinder>(drivers_);
    binder_ = std::make_unique<PassthroughBinder>(*store_, *fake_, [] { return int64_t{42}; });
  }

  // Every device is bound and recorded bound+done, or on its host driver and
  // recorded released+done (or never recorded).
  void ExpectConverged(const std::string& context) {
    auto records = store_->List();
    ASSERT_TRUE(records.ok()) << records.status();
    std::map<std::string, store::PassthroughRecord> by_address;
    for (const auto& r : *records) by_address[r.address] = r;
    for (const auto& [address, driver] : drivers_) {
      const auto it = by_address.find(address);
      if (it == by_address.end()) {
        EXPECT_EQ(driver, "host") << context << ": " << address << " bound without a record";
        continue;
      }
      EXPECT_TRUE(it->second.done) << context << ": " << address << " left half-done";
      const bool recorded_bound = it->second.intent == store::PassthroughRecord::Intent::kBound;
      EXPECT_EQ(driver, recorded_bound ? "vfio-pci" : "host")
          << context << ": " << address << " recorded " << (recorded_bound ? "bound" : "released")
          << " but on " << driver;
    }
  }

  std::optional<hvagent::testing::TempDir> dir_;
  std::vector<pci::PciDevice> endpoints_;
  std::map<std::string, std::string> drivers_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<store::PassthroughStore> store_;
  std::unique_ptr<FakeDeviceBinder> fake_;
  std::unique_ptr<PassthroughBinder> binder_;
};

TEST_F(PassthroughBinderTest, BindsRecordsAndIsIdempotent) {
  StartAgent();
  ASSERT_TRUE(binder_->Bind(endpoints_).ok());
  EXPECT_EQ(fake_->calls(), 3);
  EXPECT_THAT(*binder_->BoundAddresses(),
              ElementsAre("0000:3b:00.0", "0000:3b:00.1", "0000:5e:00.0"));
  ExpectConverged("bind");
  // Again: nothing to do, no call.
  ASSERT_TRUE(binder_->Bind(endpoints_).ok());
  EXPECT_EQ(fake_->calls(), 3);
  ASSERT_TRUE(binder_->Release({endpoints_[2].address}).ok());
  EXPECT_EQ(drivers_["0000:5e:00.0"], "host");
  EXPECT_THAT(*binder_->BoundAddresses(), ElementsAre("0000:3b:00.0", "0000:3b:00.1"));
  ExpectConverged("release");
}

TEST_F(PassthroughBinderTest, AnErrorAtEveryStepOfBindReleasesWhatItTook) {
  // A bind of 3 makes 3 calls; a failure at call k rolls back with up to 3 more.
  for (int call = 0; call < 6; ++call) {
    SCOPED_TRACE(call);
    SetUp();
    StartAgent();
    fake_->InjectAt(call, FakeDeviceBinder::Fault::kError);
    const Status bound = binder_->Bind(endpoints_);
    if (call < 3) {
      EXPECT_EQ(bound.code(), absl::StatusCode::kUnavailable);
      EXPECT_THAT(bound.message(),
                  HasSubstr(fmt::format("bind {} (1000:", endpoints_[call].address.ToString())));
      EXPECT_THAT(*binder_->BoundAddresses(), IsEmpty());
      // A roll-back step that failed too is finished by the next start.
      StartAgent();
      EXPECT_TRUE(binder_->Recover().ok());
    } else {
      EXPECT_TRUE(bound.ok()) << bound;  // no call k: nothing went wrong
    }
    ExpectConverged(fmt::format("error at call {}", call));
    TearDown();
  }
}

TEST_F(PassthroughBinderTest, AFailedRollBackIsFinishedOnRestart) {
  StartAgent();
  // Call 1 (the second detach) fails, and call 2 (re-attaching the first
  // during the roll-back) too: the first stays on vfio-pci, recorded as to be
  // released.
  fake_->InjectAt(1, FakeDeviceBinder::Fault::kError);
  fake_->InjectAt(2, FakeDeviceBinder::Fault::kError);
  EXPECT_FALSE(binder_->Bind(endpoints_).ok());
  EXPECT_EQ(drivers_["0000:3b:00.0"], "vfio-pci");
  StartAgent();
  fake_->InjectAt(0, FakeDeviceBinder::Fault::kError);
  // Whatever is left pending stays pending after a failed recovery...
  (void)binder_->Recover();
  StartAgent();
  // ...and converges on the next.
  EXPECT_TRUE(binder_->Recover().ok());
  ExpectConverged("after two recoveries");
}

TEST_F(PassthroughBinderTest, AKillAtEveryStepConvergesOnRestart) {
  const std::vector<pci::PciDevice> first_two = {endpoints_[0], endpoints_[1]};
  for (const auto fault :
       {FakeDeviceBinder::Fault::kKillBefore, FakeDeviceBinder::Fault::kKillAfter}) {
    // Bind 2 (calls 0-1), bind all 3 (call 2: only the third is new), release
    // two (calls 3-4), then bind all 3 again with the second detach failing
    // (calls 5-6, roll-back re-attaches 7-8): a kill lands on every call.
    int killed_runs = 0;
    for (int call = 0; call < 9; ++call) {
      SCOPED_TRACE(fmt::format("kill {} call {}",
                               fault == FakeDeviceBinder::Fault::kKillBefore ? "before" : "after",
                               call));
      SetUp();
      StartAgent();
      fake_->InjectAt(call, fault);
      bool killed = false;
      fake_->InjectAt(6, FakeDeviceBinder::Fault::kError);
      try {
        ASSERT_TRUE(binder_->Bind(first_two).ok());
        ASSERT_TRUE(binder_->Bind(endpoints_).ok());
        ASSERT_TRUE(binder_->Release({endpoints_[0].address, endpoints_[2].address}).ok());
        EXPECT_FALSE(binder_->Bind(endpoints_).ok());
      } catch (const SimulatedKill&) {
        killed = true;
        ++killed_runs;
      }
      StartAgent();
      EXPECT_TRUE(binder_->Recover().ok());
      ExpectConverged(fmt::format("killed={} at call {}", killed, call));
      // A second recovery has nothing left to do.
      const int calls_before = fake_->calls();
      EXPECT_TRUE(binder_->Recover().ok());
      EXPECT_EQ(fake_->calls(), calls_before);
      TearDown();
    }
    EXPECT_EQ(killed_runs, 8) << "call 6 is the injected error, every other call a kill";
  }
}

}  // namespace
}  // namespace hvagent::compute
