// Backing files for the disks the agent creates: raw images are sparse files
// made directly; qcow2 images are made by qemu-img (what libvirt's own dir
// pools run), from an argument vector.
#pragma once

#include <string>

#include "hvagent/common/status.h"
#include "hvagent/compute/vm_config.h"

namespace hvagent::compute {

class DiskImageCreator {
 public:
  explicit DiskImageCreator(std::string qemu_img = "/usr/bin/qemu-img")
      : qemu_img_(std::move(qemu_img)) {}

  // Creates disk.path (never overwriting an existing file) of disk.size_bytes
  // in disk.format. RESOURCE_EXHAUSTED when the filesystem cannot hold a file
  // that large; on any error nothing is left behind.
  Status Create(const DiskConfig& disk) const;

 private:
  Status CreateRaw(const std::string& path, uint64_t size) const;
  Status CreateQcow2(const std::string& path, uint64_t size) const;

  const std::string qemu_img_;
};

// The file name of an agent-created disk: `<dir>/<vm uuid>-<target>.<format>`.
std::string CreatedDiskPath(const std::string& dir, const std::string& vm_uuid,
                            const DiskConfig& disk);

}  // namespace hvagent::compute
