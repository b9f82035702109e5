// Where the host paths a request carries may lead. QEMU opens them with the
// host's privileges, so a path is checked before anything acts on it:
// kernels, initrds, disk images and ISOs (files) only under the configured
// image roots, block devices only under /dev; both as given and as resolved
// (symbolic links followed), so neither '..' nor a link leads out; never
// under /proc or /sys, and under /dev only a block device; and of the type
// the field needs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hvagent/common/status.h"
#include "hvagent/compute/vm_config.h"

namespace hvagent::compute {

// What a path field names: a regular file (kernel, initrd, image, ISO) or a
// block device (DiskSpec.block_device).
enum class HostPathKind { kFile, kBlockDevice };

class HostPathPolicy {
 public:
  // `image_roots`: absolute, normalised directories (see ValidateImageRoots);
  // they need not exist yet. `created_disk_dir`: where the agent makes its
  // own disk images (the paths it generates are never the request's).
  HostPathPolicy(std::vector<std::string> image_roots, std::string created_disk_dir);

  // OK when `path`, the value of the request's `field`, may be handed to the
  // hypervisor as a `kind`. INVALID_ARGUMENT when it is not a normalised
  // absolute path, does not exist or is of another type; PERMISSION_DENIED
  // when it, or what it resolves to, lies outside what `kind` may name. The
  // message names the field and the rule.
  Status Check(std::string_view field, const std::string& path, HostPathKind kind) const;

  // Check for a disk whose fields are named "<field>.file_path" or
  // "<field>.block_device". An agent-created disk's path is the agent's own:
  // it must name a file directly in created_disk_dir, existing or not.
  Status CheckDisk(std::string_view field, const DiskConfig& disk) const;

  // Every host path of `config`: spec.boot.kernel_path and initrd_path, and
  // each disk's (spec.disks[i]).
  Status CheckVm(const VmConfig& config) const;

  const std::vector<std::string>& image_roots() const { return image_roots_; }

 private:
  Status CheckFile(std::string_view field, const std::string& path) const;

  std::vector<std::string> image_roots_;
  std::string created_disk_dir_;
};

// Whether `path` is absolute with no empty, '.' or '..' component and no
// trailing '/': the one spelling of a path that needs no resolving.
bool IsNormalisedAbsolutePath(std::string_view path);

// Checks a list of image roots (`key` names it in messages): each absolute,
// normalised, not '/' and not under /proc, /sys or /dev.
Status ValidateImageRoots(std::string_view key, const std::vector<std::string>& roots);

}  // namespace hvagent::compute
