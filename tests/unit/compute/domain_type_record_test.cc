// Reusing the domain-type probe's verdict across starts, against a real
// SQLite store and a fake probe that counts its runs: the same host key
// reuses the verdict (for a day), a changed kernel, QEMU, /dev/kvm or setting
// probes again, and a store that fails costs a probe, never the choice.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <cstring>

#include <chrono>
#include <fstream>
#include <string>

#include "hvagent/compute/domain_type_record.h"
#include "hvagent/store/domain_type_verdict_store.h"
#include "hvagent_test/database.h"
#include "hvagent_test/temp_dir.h"

namespace hvagent::compute {
namespace {

DomainTypeProbeKey HostKey() {
  return {.kernel_release = "6.18.0",
          .boot_id = "0b8f5a6e-boot",
          .libvirt_version = "9.0.0",
          .qemu = "/usr/bin/qemu-system-x86_64 ino 12 size 100 mtime 5 ctime 5",
          .kvm = "/dev/kvm ino 7 size 0 mtime 1 ctime 1 dev 10:232",
          .setting = "auto"};
}

class DomainTypeRecordTest : public ::testing::Test {
 protected:
  // Chooses on `key` with the fake probe, which answers `probe_answer`.
  StatusOr<DomainTypeChoice> Choose(const StatusOr<DomainTypeProbeKey>& key,
                                    store::DomainTypeVerdictStore* records) {
    return ChooseWithRecord(key, records, [this]() -> StatusOr<DomainTypeChoice> {
      ++probes_;
      return probe_answer_;
    });
  }

  hvagent::testing::TempDir dir_{"hvagent-dtrec-test"};
  std::unique_ptr<store::Database> db_ =
      hvagent::testing::OpenDatabaseOrFail((dir_ / "hvagent.db").string());
  store::DomainTypeVerdictStore records_{*db_};
  int probes_ = 0;
  DomainTypeChoice probe_answer_{DomainType::kQemu,
                                 "qemu: KVM offered but a 64-bit guest did not run within 3 s"};
};

TEST_F(DomainTypeRecordTest, TheSameHostReusesTheVerdictWithoutProbing) {
  auto first = Choose(HostKey(), &records_);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(probes_, 1);
  EXPECT_EQ(first->reason, probe_answer_.reason);

  auto second = Choose(HostKey(), &records_);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(probes_, 1);
  EXPECT_EQ(second->type, DomainType::kQemu);
  EXPECT_TRUE(second->reason.starts_with(probe_answer_.reason + " (recorded at "))
      << second->reason;
  EXPECT_TRUE(second->reason.ends_with(", probe skipped)")) << second->reason;
}

TEST_F(DomainTypeRecordTest, AKvmVerdictIsReusedAsKvm) {
  probe_answer_ = {DomainType::kKvm, "kvm: a 64-bit guest ran under KVM in 0.20 s"};
  ASSERT_TRUE(Choose(HostKey(), &records_).ok());
  auto again = Choose(HostKey(), &records_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->type, DomainType::kKvm);
  EXPECT_EQ(probes_, 1);
}

TEST_F(DomainTypeRecordTest, AnyChangeOfTheHostProbesAgain) {
  struct Change {
    const char* field;
    void (*apply)(DomainTypeProbeKey&);
  };
  const Change changes[] = {
      {"kernel", [](DomainTypeProbeKey& k) { k.kernel_release = "6.19.0"; }},
      {"boot", [](DomainTypeProbeKey& k) { k.boot_id = "another-boot"; }},
      {"libvirt", [](DomainTypeProbeKey& k) { k.libvirt_version = "10.0.0"; }},
      {"qemu", [](DomainTypeProbeKey& k) { k.qemu += " (upgraded)"; }},
      {"kvm", [](DomainTypeProbeKey& k) { k.kvm = "absent"; }},
      {"setting", [](DomainTypeProbeKey& k) { k.setting = "kvm"; }},
  };
  ASSERT_TRUE(Choose(HostKey(), &records_).ok());
  int expected_probes = 1;
  for (const Change& change : changes) {
    SCOPED_TRACE(change.field);
    DomainTypeProbeKey changed = HostKey();
    change.apply(changed);
    EXPECT_EQ(changed.ChangedSince(HostKey().ToText()), std::vector<std::string>{change.field});
    ASSERT_TRUE(Choose(changed, &records_).ok());
    EXPECT_EQ(probes_, ++expected_probes);
    // The new verdict is the recorded one now: the changed host reuses it,
    // and the old host probes again.
    ASSERT_TRUE(Choose(changed, &records_).ok());
    EXPECT_EQ(probes_, expected_probes);
    ASSERT_TRUE(Choose(HostKey(), &records_).ok());
    EXPECT_EQ(probes_, ++expected_probes);
  }
}

TEST_F(DomainTypeRecordTest, AVerdictOlderThanADayIsProbedAgain) {
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  // This host's verdict, as probed `hours` ago.
  auto record_aged = [&](int64_t hours) {
    return records_.Put({.host_key = HostKey().ToText(),
                         .domain_type = "qemu",
                         .reason = probe_answer_.reason,
                         .probed_unix_ms = now_ms - hours * 3600 * 1000});
  };
  ASSERT_TRUE(record_aged(23).ok());
  ASSERT_TRUE(Choose(HostKey(), &records_).ok());
  EXPECT_EQ(probes_, 0) << "23 hours old: reused";
  ASSERT_TRUE(record_aged(25).ok());
  ASSERT_TRUE(Choose(HostKey(), &records_).ok());
  EXPECT_EQ(probes_, 1) << "25 hours old: probed again";
  auto recorded = records_.Get();
  ASSERT_TRUE(recorded.ok() && recorded->has_value());
  EXPECT_GE((*recorded)->probed_unix_ms, now_ms) << "the new verdict is recorded";
}

TEST_F(DomainTypeRecordTest, AVerdictThatMayNotLastIsNotRecorded) {
  probe_answer_ = {DomainType::kQemu, "qemu: KVM offered but a guest does not start under it: x",
                   /*lasting=*/false};
  ASSERT_TRUE(Choose(HostKey(), &records_).ok());
  ASSERT_TRUE(Choose(HostKey(), &records_).ok());
  EXPECT_EQ(probes_, 2);
  EXPECT_EQ(*records_.Get(), std::nullopt);
}

TEST_F(DomainTypeRecordTest, AStoreThatFailsCostsAProbeNotTheChoice) {
  ASSERT_TRUE(Choose(HostKey(), &records_).ok());
  ASSERT_TRUE(db_->Exec("DROP TABLE domain_type_verdict").ok());
  for (int run = 0; run < 2; ++run) {
    auto chosen = Choose(HostKey(), &records_);
    ASSERT_TRUE(chosen.ok()) << chosen.status();
    EXPECT_EQ(chosen->reason, probe_answer_.reason);
  }
  EXPECT_EQ(probes_, 3);
}

TEST_F(DomainTypeRecordTest, NoStoreOrNoKeyProbesEveryTime) {
  ASSERT_TRUE(Choose(HostKey(), nullptr).ok());
  ASSERT_TRUE(Choose(HostKey(), nullptr).ok());
  EXPECT_EQ(probes_, 2);
  const StatusOr<DomainTypeProbeKey> unreadable = absl::UnavailableError("no boot id");
  ASSERT_TRUE(Choose(unreadable, &records_).ok());
  ASSERT_TRUE(Choose(unreadable, &records_).ok());
  EXPECT_EQ(probes_, 4);
  EXPECT_EQ(*records_.Get(), std::nullopt);
}

TEST_F(DomainTypeRecordTest, AProbeThatFailsIsReturnedAndNothingRecorded) {
  auto failed = ChooseWithRecord(HostKey(), &records_, []() -> StatusOr<DomainTypeChoice> {
    return absl::UnavailableError("libvirt went away");
  });
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(*records_.Get(), std::nullopt);
}

TEST(FileIdentityTest, NamesAReplacedFileDifferently) {
  hvagent::testing::TempDir dir{"hvagent-fileid-test"};
  const std::string path = (dir / "qemu").string();
  EXPECT_EQ(FileIdentity(path), "absent");
  std::ofstream(path) << "one";
  const std::string before = FileIdentity(path);
  EXPECT_TRUE(before.starts_with(path + " ino ")) << before;
  std::ofstream(path) << "three";
  EXPECT_NE(FileIdentity(path), before);
  EXPECT_EQ(FileIdentity(path), FileIdentity(path));
}

// /dev/kvm's identity survives a chmod (the testbed and udev set its mode;
// a concurrent one made every restart probe again): a device node is known
// by its inode and numbers, not its times.
TEST(FileIdentityTest, ADeviceNodeKeepsItsIdentityThroughAChmod) {
  hvagent::testing::TempDir dir{"hvagent-fileid-test"};
  const std::string path = (dir / "kvm").string();
  ASSERT_EQ(::mknod(path.c_str(), S_IFCHR | 0600, makedev(1, 3)), 0) << std::strerror(errno);
  const std::string before = FileIdentity(path);
  EXPECT_TRUE(before.ends_with(" dev 1:3")) << before;
  ASSERT_EQ(::chmod(path.c_str(), 0660), 0);
  EXPECT_EQ(FileIdentity(path), before);
}

}  // namespace
}  // namespace hvagent::compute
