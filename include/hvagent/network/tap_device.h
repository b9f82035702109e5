// Persistent tap devices owned by the agent (a VM NIC's host end), made and
// removed with the tun driver's ioctls: no shelling out. QEMU opens them by
// name (libvirt <interface type='ethernet'> with managed='no').
#pragma once

#include <string>
#include <vector>

#include "hvagent/common/status.h"

namespace hvagent::network {

class TapDevice {
 public:
  // Creates `name` (≤ 15 characters) as a persistent tap, or adopts it if it
  // already exists as a tap, and sets it up. ALREADY_EXISTS if `name` is
  // another kind of interface.
  static Status Create(const std::string& name);
  // Removes the tap; OK if it does not exist.
  static Status Delete(const std::string& name);
  static bool Exists(const std::string& name);
  // The names of this network namespace's tap devices.
  static StatusOr<std::vector<std::string>> List();
};

}  // namespace hvagent::network
