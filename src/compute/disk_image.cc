#include "hvagent/compute/disk_image.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "hvagent/common/errno_message.h"
#include "hvagent/common/program_runner.h"

namespace hvagent::compute {

std::string CreatedDiskPath(const std::string& dir, const std::string& vm_uuid,
                            const DiskConfig& disk) {
  return fmt::format("{}/{}-{}.{}", dir, vm_uuid, disk.target,
                     disk.format == DiskFormat::kQcow2 ? "qcow2" : "raw");
}

Status DiskImageCreator::Create(const DiskConfig& disk) const {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(disk.path).parent_path(), ec);
  if (ec) {
    return absl::InternalError(
        fmt::format("create the directory of disk image '{}': {}", disk.path, ec.message()));
  }
  return disk.format == DiskFormat::kQcow2 ? CreateQcow2(disk.path, disk.size_bytes)
                                           : CreateRaw(disk.path, disk.size_bytes);
}

Status DiskImageCreator::CreateRaw(const std::string& path, uint64_t size) const {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::InternalError(
        fmt::format("create disk image '{}': {}", path, ErrnoMessage(errno)));
  }
  const int rc = ftruncate(fd, static_cast<off_t>(size));
  const int err = errno;
  close(fd);
  if (rc != 0) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    if (err == EFBIG || err == EINVAL) {
      return absl::ResourceExhaustedError(fmt::format(
          "disk of {} bytes exceeds what the host's filesystem holds in one file", size));
    }
    return absl::InternalError(fmt::format("size disk image '{}': {}", path, ErrnoMessage(err)));
  }
  return absl::OkStatus();
}

Status DiskImageCreator::CreateQcow2(const std::string& path, uint64_t size) const {
  // qemu-img would truncate an existing file: refuse first, like CreateRaw.
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    return absl::AlreadyExistsError(fmt::format("disk image '{}' exists already", path));
  }
  HVAGENT_ASSIGN_OR_RETURN(
      const ProgramResult result,
      RunProgram({qemu_img_, "create", "-q", "-f", "qcow2", path, std::to_string(size)},
                 std::chrono::seconds(60)));
  if (result.exit_code == 0) return absl::OkStatus();
  std::filesystem::remove(path, ec);
  std::string output = result.output;
  while (!output.empty() && output.back() == '\n') output.pop_back();
  // qcow2's own ceiling (its L1 table) is far below 9 EB.
  if (output.find("too large") != std::string::npos ||
      output.find("File too large") != std::string::npos) {
    return absl::ResourceExhaustedError(fmt::format("qcow2 disk of {} bytes: {}", size, output));
  }
  return absl::InternalError(
      fmt::format("qemu-img create '{}' failed (exit {}): {}", path, result.exit_code, output));
}

}  // namespace hvagent::compute
