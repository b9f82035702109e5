// hvagentd itself, with its PCI devices taken from a sysfs tree recorded from
// a real kernel (--recorded-sysfs DIR) and vfio-pci binding stood in for by a
// file (--vfio-log FILE): no machine here has VFIO hardware. The fault suite
// SIGKILLs it in the middle of ConfigureControllerVm; the file outlives it,
// as the kernel's driver bindings outlive a killed agent.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "hvagent/daemon/hvagentd_main.h"

namespace {

// Each change of a device's driver is a line appended to the file ("bind
// ADDR" to vfio-pci, "release ADDR" back to the host); the last line of an
// address is its state. A bind of a bound device (or a release of a released
// one) changes nothing, as with the kernel's driver_override, so the file
// counts the changes a test can hold to "exactly once".
class FileVfioBinder final : public hvagent::pci::DeviceBinder {
 public:
  explicit FileVfioBinder(std::string path) : path_(std::move(path)) {}

  hvagent::Status Detach(const hvagent::pci::PciAddress& address) override {
    if (Bound(address.ToString())) return absl::OkStatus();
    return Append("bind " + address.ToString());
  }
  hvagent::Status Reattach(const hvagent::pci::PciAddress& address) override {
    if (!Bound(address.ToString())) return absl::OkStatus();
    return Append("release " + address.ToString());
  }

 private:
  bool Bound(const std::string& address) const {
    std::ifstream in(path_);
    bool bound = false;
    for (std::string line; std::getline(in, line);) {
      if (line == "bind " + address) bound = true;
      if (line == "release " + address) bound = false;
    }
    return bound;
  }
  hvagent::Status Append(const std::string& line) const {
    const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      return absl::InternalError(path_ + ": " +
                                 std::error_code(errno, std::generic_category()).message());
    }
    const std::string text = line + "\n";
    const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    if (!written) return absl::InternalError(path_ + ": short write");
    return absl::OkStatus();
  }

  std::string path_;
};

}  // namespace

int main(int argc, char** argv) {
  hvagent::daemon::PciAccess pci;
  std::string vfio_log;
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if ((arg == "--recorded-sysfs" || arg == "--vfio-log") && i + 1 < argc) {
      (arg == "--recorded-sysfs" ? pci.sysfs_root : vfio_log) = argv[++i];
      continue;
    }
    rest.push_back(argv[i]);
  }
  if (pci.sysfs_root == "/" || vfio_log.empty()) {
    std::cerr << "hvagentd_recorded_pci: --recorded-sysfs DIR and --vfio-log FILE are required\n";
    return 2;
  }
  FileVfioBinder binder(vfio_log);
  pci.binder = &binder;
  rest.push_back(nullptr);
  return hvagent::daemon::HvagentdMain(static_cast<int>(rest.size()) - 1, rest.data(), pci);
}
