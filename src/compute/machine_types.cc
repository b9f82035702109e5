#include "hvagent/compute/machine_types.h"

#include <algorithm>

#include <fmt/ranges.h>
#include <pugixml.hpp>

namespace hvagent::compute {

StatusOr<std::vector<std::string>> MachineTypesOf(std::string_view capabilities_xml) {
  pugi::xml_document doc;
  if (!doc.load_buffer(capabilities_xml.data(), capabilities_xml.size())) {
    return absl::InternalError("the hypervisor's capabilities are not XML");
  }
  std::vector<std::string> names;
  // <machine> sits under <arch> (every domain type) and under <arch><domain>
  // (one domain type's own).
  for (const pugi::xpath_node& node :
       doc.select_nodes("/capabilities/guest[os_type='hvm']/arch[@name='x86_64']//machine")) {
    names.emplace_back(node.node().text().get());
    if (const pugi::xml_attribute canonical = node.node().attribute("canonical")) {
      names.emplace_back(canonical.value());
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::erase(names, "");
  return names;
}

Status CheckMachineType(std::string_view field, const std::string& machine,
                        const std::vector<std::string>& known) {
  if (known.empty() || std::binary_search(known.begin(), known.end(), machine)) {
    return absl::OkStatus();
  }
  // The aliases first: they are what a caller most likely meant.
  std::vector<std::string> shown;
  for (const std::string& name : known) {
    if (name.find('-') == std::string::npos) shown.push_back(name);
  }
  return absl::InvalidArgumentError(fmt::format(
      "{}: '{}' is not a machine type this host's QEMU offers (it has {} of them: {}, and "
      "versioned ones such as '{}')",
      field, machine, known.size(), fmt::join(shown, ", "), known.back()));
}

}  // namespace hvagent::compute
