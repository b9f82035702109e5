#include "hvagent/compute/host_path_policy.h"

#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <memory>

#include <fmt/ranges.h>

#include "hvagent/common/errno_message.h"

namespace hvagent::compute {

namespace {

// The kernel's own trees: what lies there is no image, and reading it can
// leak or change the host (/proc/self/mem, /dev/mem, /sys/.../config).
constexpr std::array<std::string_view, 3> kHostTrees = {"/proc", "/sys", "/dev"};
constexpr std::string_view kDeviceTree = "/dev";

// Strictly below `dir` (a normalised absolute path).
bool IsUnder(std::string_view path, std::string_view dir) {
  if (dir == "/") return path.size() > 1 && path.front() == '/';
  return path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/';
}

// The host tree of kHostTrees that `path` lies in, or empty.
std::string_view HostTreeOf(std::string_view path) {
  for (std::string_view tree : kHostTrees) {
    if (path == tree || IsUnder(path, tree)) return tree;
  }
  return {};
}

Status Invalid(std::string_view field, std::string_view rule) {
  return absl::InvalidArgumentError(fmt::format("{}: {}", field, rule));
}

Status Denied(std::string_view field, std::string_view rule) {
  return absl::PermissionDeniedError(fmt::format("{}: {}", field, rule));
}

// realpath(3): every symbolic link and '..' resolved.
StatusOr<std::string> Resolve(std::string_view field, const std::string& path) {
  std::unique_ptr<char, decltype(&free)> resolved(realpath(path.c_str(), nullptr), &free);
  if (resolved == nullptr) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      return Invalid(field, fmt::format("'{}' does not exist", path));
    }
    return Invalid(field, fmt::format("'{}' cannot be resolved: {}", path, ErrnoMessage(err)));
  }
  return std::string(resolved.get());
}

std::string_view TypeName(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// Refuses `resolved` (what `path` names) unless it is of the wanted type.
Status CheckType(std::string_view field, const std::string& path, const std::string& resolved,
                 HostPathKind kind) {
  struct stat st {};
  if (stat(resolved.c_str(), &st) != 0) {
    return Invalid(field, fmt::format("'{}' cannot be read: {}", path, ErrnoMessage(errno)));
  }
  const bool wanted = kind == HostPathKind::kFile ? S_ISREG(st.st_mode) : S_ISBLK(st.st_mode);
  if (!wanted) {
    return Invalid(field,
                   fmt::format("'{}' is {}, not {}", path, TypeName(st.st_mode),
                               kind == HostPathKind::kFile ? "a regular file" : "a block device"));
  }
  return absl::OkStatus();
}

}  // namespace

bool IsNormalisedAbsolutePath(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  if (path == "/") return true;
  if (path.back() == '/') return false;
  for (size_t start = 1; start <= path.size();) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view component = path.substr(start, end - start);
    if (component.empty() || component == "." || component == "..") return false;
    start = end + 1;
  }
  return true;
}

Status ValidateImageRoots(std::string_view key, const std::vector<std::string>& roots) {
  for (const std::string& root : roots) {
    if (!IsNormalisedAbsolutePath(root)) {
      return absl::InvalidArgumentError(fmt::format(
          "{}: '{}' must be a normalised absolute directory (no '.', '..', '//' or trailing '/')",
          key, root));
    }
    if (root == "/") {
      return absl::InvalidArgumentError(
          fmt::format("{}: '/' confines nothing; name the directories images live in", key));
    }
    if (const std::string_view tree = HostTreeOf(root); !tree.empty()) {
      return absl::InvalidArgumentError(
          fmt::format("{}: '{}' is under {}, which never holds images", key, root, tree));
    }
  }
  return absl::OkStatus();
}

HostPathPolicy::HostPathPolicy(std::vector<std::string> image_roots, std::string created_disk_dir)
    : image_roots_(std::move(image_roots)), created_disk_dir_(std::move(created_disk_dir)) {}

Status HostPathPolicy::Check(std::string_view field, const std::string& path,
                             HostPathKind kind) const {
  if (!IsNormalisedAbsolutePath(path) || path.size() >= PATH_MAX) {
    return Invalid(field, fmt::format("must be a normalised absolute path (no '.', '..', '//' or "
                                      "trailing '/', under {} characters), is '{}'",
                                      PATH_MAX, path));
  }
  if (kind == HostPathKind::kFile) return CheckFile(field, path);

  // A block device: under /dev as given and as resolved (/dev/disk/by-id/…
  // are links to ../../sdX), and a block device there.
  if (!IsUnder(path, kDeviceTree)) {
    return Denied(field, fmt::format("a block device is named under /dev (is '{}')", path));
  }
  HVAGENT_ASSIGN_OR_RETURN(const std::string resolved, Resolve(field, path));
  if (!IsUnder(resolved, kDeviceTree)) {
    return Denied(field, fmt::format("'{}' resolves to '{}', outside /dev: a symbolic link may "
                                     "not lead a block device out of /dev",
                                     path, resolved));
  }
  return CheckType(field, path, resolved, kind);
}

Status HostPathPolicy::CheckFile(std::string_view field, const std::string& path) const {
  if (const std::string_view tree = HostTreeOf(path); !tree.empty()) {
    return Denied(field, fmt::format("'{}' is under {}: files under /proc, /sys and /dev are "
                                     "never images, kernels or ISOs",
                                     path, tree));
  }
  const auto under_root = [&](std::string_view p, const std::vector<std::string>& roots) {
    for (const std::string& root : roots) {
      if (IsUnder(p, root)) return true;
    }
    return false;
  };
  const std::string roots = fmt::format("{}", fmt::join(image_roots_, ", "));
  if (!under_root(path, image_roots_)) {
    return Denied(field, fmt::format("'{}' is outside the image roots ({}); files are taken "
                                     "only from there (compute.image_roots)",
                                     path, roots));
  }
  HVAGENT_ASSIGN_OR_RETURN(const std::string resolved, Resolve(field, path));
  // What it resolves to must lie in a root too, the roots resolved alike (a
  // root may itself be reached through a link, e.g. /var/lib -> /data).
  std::vector<std::string> resolved_roots;
  for (const std::string& root : image_roots_) {
    std::unique_ptr<char, decltype(&free)> real(realpath(root.c_str(), nullptr), &free);
    if (real != nullptr) resolved_roots.emplace_back(real.get());
  }
  if (!under_root(resolved, resolved_roots) || !HostTreeOf(resolved).empty()) {
    return Denied(field, fmt::format("'{}' resolves to '{}', outside the image roots ({}): a "
                                     "symbolic link may not lead out of them",
                                     path, resolved, roots));
  }
  return CheckType(field, path, resolved, HostPathKind::kFile);
}

Status HostPathPolicy::CheckDisk(std::string_view field, const DiskConfig& disk) const {
  const bool block = disk.source_type == DiskSourceType::kBlock;
  const std::string path_field = fmt::format("{}.{}", field, block ? "block_device" : "file_path");
  if (disk.cdrom && disk.path.empty()) return absl::OkStatus();  // an empty drive
  if (disk.agent_created) {
    // Deleting the disk deletes this file: it can only be one the agent made.
    const std::string_view name = std::string_view(disk.path).substr(
        std::min(disk.path.size(), created_disk_dir_.size() + 1));
    if (block || !IsNormalisedAbsolutePath(disk.path) || !IsUnder(disk.path, created_disk_dir_) ||
        name.find('/') != std::string_view::npos) {
      return Denied(
          path_field,
          fmt::format("an agent-created disk's image is a file directly in '{}' (is '{}')",
                      created_disk_dir_, disk.path));
    }
    return absl::OkStatus();
  }
  return Check(path_field, disk.path, block ? HostPathKind::kBlockDevice : HostPathKind::kFile);
}

Status HostPathPolicy::CheckVm(const VmConfig& config) const {
  if (!config.kernel_path.empty()) {
    HVAGENT_RETURN_IF_ERROR(
        Check("spec.boot.kernel_path", config.kernel_path, HostPathKind::kFile));
  }
  if (!config.initrd_path.empty()) {
    HVAGENT_RETURN_IF_ERROR(
        Check("spec.boot.initrd_path", config.initrd_path, HostPathKind::kFile));
  }
  for (size_t i = 0; i < config.disks.size(); ++i) {
    HVAGENT_RETURN_IF_ERROR(CheckDisk(fmt::format("spec.disks[{}]", i), config.disks[i]));
  }
  return absl::OkStatus();
}

}  // namespace hvagent::compute
