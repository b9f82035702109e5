// HostPathPolicy on real temporary trees: files inside the image roots pass;
// '..', links out of a root (to a file, through a directory, into /proc),
// the kernel's trees, wrong types and missing files are refused, each naming
// the field and the rule.
#include "hvagent/compute/host_path_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace hvagent::compute {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class HostPathPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = ::testing::TempDir() + "host_path_policy_test.XXXXXX";
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    tmp_ = dir;
    root_ = tmp_ + "/images";
    created_ = tmp_ + "/state/disks";
    fs::create_directories(root_ + "/sub");
    fs::create_directories(tmp_ + "/outside");
    fs::create_directories(created_);
    std::ofstream(root_ + "/ok.img") << "image";
    std::ofstream(tmp_ + "/outside/secret.img") << "secret";
    fs::create_symlink(root_ + "/ok.img", root_ + "/link-in");
    fs::create_symlink(tmp_ + "/outside/secret.img", root_ + "/link-out");
    fs::create_symlink("../outside/secret.img", root_ + "/relative-link-out");
    fs::create_symlink(tmp_ + "/outside", root_ + "/dir-link-out");
    fs::create_symlink("/proc/self/mem", root_ + "/link-proc");
    fs::create_symlink(root_ + "/missing", root_ + "/dangling");
    fs::create_symlink(root_, tmp_ + "/images-link");
    ASSERT_EQ(mkfifo((root_ + "/fifo").c_str(), 0600), 0);
    policy_ = HostPathPolicy({root_}, created_);
  }
  void TearDown() override { fs::remove_all(tmp_); }

  Status CheckFile(const std::string& path) const {
    return policy_.Check("spec.file_path", path, HostPathKind::kFile);
  }
  Status CheckBlock(const std::string& path) const {
    return policy_.Check("spec.block_device", path, HostPathKind::kBlockDevice);
  }

  std::string tmp_, root_, created_;
  HostPathPolicy policy_{{}, ""};
};

// The code and that the message names the field and says `rule`.
void ExpectRefused(const Status& s, absl::StatusCode code, std::string_view field,
                   std::string_view rule) {
  EXPECT_EQ(s.code(), code) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(std::string(field) + ": "));
  EXPECT_THAT(std::string(s.message()), HasSubstr(std::string(rule)));
}

TEST_F(HostPathPolicyTest, FilesInsideARootPassAsGivenAndThroughLinksThatStayInside) {
  EXPECT_TRUE(CheckFile(root_ + "/ok.img").ok()) << CheckFile(root_ + "/ok.img");
  EXPECT_TRUE(CheckFile(root_ + "/link-in").ok());
  // A root reached through a link: its files are as much inside.
  HostPathPolicy linked({tmp_ + "/images-link"}, created_);
  EXPECT_TRUE(linked.Check("f", tmp_ + "/images-link/ok.img", HostPathKind::kFile).ok());
}

TEST_F(HostPathPolicyTest, EscapesFromTheRootsArePermissionDenied) {
  ExpectRefused(CheckFile(tmp_ + "/outside/secret.img"), absl::StatusCode::kPermissionDenied,
                "spec.file_path", "outside the image roots (" + root_ + ")");
  ExpectRefused(CheckFile(root_ + "/link-out"), absl::StatusCode::kPermissionDenied,
                "spec.file_path",
                "resolves to '" + fs::canonical(tmp_).string() +
                    "/outside/secret.img', outside the image roots");
  ExpectRefused(CheckFile(root_ + "/relative-link-out"), absl::StatusCode::kPermissionDenied,
                "spec.file_path", "a symbolic link may not lead out");
  ExpectRefused(CheckFile(root_ + "/dir-link-out/secret.img"), absl::StatusCode::kPermissionDenied,
                "spec.file_path", "a symbolic link may not lead out");
  ExpectRefused(CheckFile(root_ + "/link-proc"), absl::StatusCode::kPermissionDenied,
                "spec.file_path", "a symbolic link may not lead out");
  ExpectRefused(CheckFile("/etc/passwd"), absl::StatusCode::kPermissionDenied, "spec.file_path",
                "outside the image roots");
}

TEST_F(HostPathPolicyTest, DotDotAndOtherUnnormalisedSpellingsAreInvalid) {
  for (const std::string& path :
       {root_ + "/../outside/secret.img", root_ + "/sub/../ok.img", root_ + "/./ok.img",
        root_ + "//ok.img", root_ + "/sub/", std::string("images/ok.img"), std::string()}) {
    ExpectRefused(CheckFile(path), absl::StatusCode::kInvalidArgument, "spec.file_path",
                  "must be a normalised absolute path");
  }
}

TEST_F(HostPathPolicyTest, TheKernelsTreesNeverHoldFiles) {
  // Even a root that someone made of them (configuration refuses that).
  policy_ = HostPathPolicy({"/proc/self", "/sys/kernel", "/dev/shm"}, created_);
  ExpectRefused(CheckFile("/proc/self/mem"), absl::StatusCode::kPermissionDenied, "spec.file_path",
                "is under /proc");
  ExpectRefused(CheckFile("/sys/kernel/notes"), absl::StatusCode::kPermissionDenied,
                "spec.file_path", "is under /sys");
  ExpectRefused(CheckFile("/dev/zero"), absl::StatusCode::kPermissionDenied, "spec.file_path",
                "is under /dev");
}

TEST_F(HostPathPolicyTest, AFileFieldNeedsAnExistingRegularFile) {
  ExpectRefused(CheckFile(root_ + "/sub"), absl::StatusCode::kInvalidArgument, "spec.file_path",
                "is a directory, not a regular file");
  ExpectRefused(CheckFile(root_ + "/fifo"), absl::StatusCode::kInvalidArgument, "spec.file_path",
                "is a FIFO, not a regular file");
  ExpectRefused(CheckFile(root_ + "/missing"), absl::StatusCode::kInvalidArgument, "spec.file_path",
                "does not exist");
  ExpectRefused(CheckFile(root_ + "/dangling"), absl::StatusCode::kInvalidArgument,
                "spec.file_path", "does not exist");
  ExpectRefused(CheckFile(root_ + "/ok.img/below"), absl::StatusCode::kInvalidArgument,
                "spec.file_path", "does not exist");
}

// The first block device node directly under /dev (loop devices, disks).
std::string SomeBlockDevice() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/dev", ec)) {
    if (entry.is_block_file(ec) && !entry.is_symlink(ec)) return entry.path();
  }
  return "";
}

TEST_F(HostPathPolicyTest, ABlockDeviceComesFromDevAndIsOne) {
  const std::string device = SomeBlockDevice();
  ASSERT_FALSE(device.empty()) << "this host has no block device under /dev";
  EXPECT_TRUE(CheckBlock(device).ok()) << CheckBlock(device);
  ExpectRefused(CheckBlock("/etc/passwd"), absl::StatusCode::kPermissionDenied, "spec.block_device",
                "a block device is named under /dev");
  ExpectRefused(CheckBlock(root_ + "/ok.img"), absl::StatusCode::kPermissionDenied,
                "spec.block_device", "a block device is named under /dev");
  ExpectRefused(CheckBlock("/dev/null"), absl::StatusCode::kInvalidArgument, "spec.block_device",
                "is a character device, not a block device");
  ExpectRefused(CheckBlock("/dev/no-such-disk"), absl::StatusCode::kInvalidArgument,
                "spec.block_device", "does not exist");
  ExpectRefused(CheckBlock("/dev/../etc/passwd"), absl::StatusCode::kInvalidArgument,
                "spec.block_device", "normalised");
  // /dev/fd is the kernel's link to /proc/self/fd: out of /dev.
  ASSERT_TRUE(fs::is_symlink("/dev/fd"));
  ExpectRefused(CheckBlock("/dev/fd"), absl::StatusCode::kPermissionDenied, "spec.block_device",
                "outside /dev");
}

TEST_F(HostPathPolicyTest, AnAgentCreatedDiskIsAFileDirectlyInTheAgentsDiskDirectory) {
  DiskConfig disk{.target = "sda", .path = created_ + "/0b7f4e2c-sda.raw", .agent_created = true};
  EXPECT_TRUE(policy_.CheckDisk("spec.disks[0]", disk).ok());  // made later: need not exist
  for (const std::string& path :
       {std::string("/etc/shadow"), created_ + "/kept/x.raw", created_ + "/../x.raw", created_}) {
    disk.path = path;
    ExpectRefused(policy_.CheckDisk("spec.disks[0]", disk), absl::StatusCode::kPermissionDenied,
                  "spec.disks[0].file_path", "an agent-created disk's image is a file directly in");
  }
}

TEST_F(HostPathPolicyTest, CheckVmNamesEachFieldByItsSpecPath) {
  VmConfig vm;
  vm.boot = BootDevice::kKernel;
  vm.kernel_path = root_ + "/ok.img";
  vm.initrd_path = root_ + "/link-in";
  vm.disks.push_back({.target = "sda", .path = root_ + "/ok.img"});
  vm.disks.push_back({.target = "sdb", .source_type = DiskSourceType::kBlock, .path = "/dev/null"});
  ExpectRefused(policy_.CheckVm(vm), absl::StatusCode::kInvalidArgument,
                "spec.disks[1].block_device", "not a block device");
  vm.disks.pop_back();
  EXPECT_TRUE(policy_.CheckVm(vm).ok()) << policy_.CheckVm(vm);
  vm.disks.push_back({.target = "sdb", .path = "", .cdrom = true, .read_only = true});
  EXPECT_TRUE(policy_.CheckVm(vm).ok());  // an empty cdrom drive names nothing
  vm.initrd_path = "/proc/self/environ";
  ExpectRefused(policy_.CheckVm(vm), absl::StatusCode::kPermissionDenied, "spec.boot.initrd_path",
                "under /proc");
  vm.kernel_path = root_ + "/link-out";
  ExpectRefused(policy_.CheckVm(vm), absl::StatusCode::kPermissionDenied, "spec.boot.kernel_path",
                "resolves to");
}

TEST(ImageRootsTest, RootsAreNormalisedAbsoluteDirectoriesOutsideTheKernelsTrees) {
  EXPECT_TRUE(
      ValidateImageRoots("compute.image_roots", {"/srv/images", "/var/lib/hvagent/disks"}).ok());
  EXPECT_TRUE(ValidateImageRoots("compute.image_roots", {}).ok());
  for (const std::string root :
       {"/", "relative", "/srv/../etc", "/srv/images/", "/proc", "/sys/fs", "/dev", "/dev/shm"}) {
    const Status s = ValidateImageRoots("compute.image_roots", {root});
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << root;
    EXPECT_THAT(std::string(s.message()), HasSubstr("compute.image_roots: ")) << root;
  }
}

}  // namespace
}  // namespace hvagent::compute
