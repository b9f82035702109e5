#include "hvagent/compute/device_xml.h"

#include <sstream>

#include <pugixml.hpp>

#include "hvagent/compute/domain_xml.h"

namespace hvagent::compute {

StatusOr<std::string> NicDeviceXml(const VmConfig& config, const std::string& mac) {
  // Cut from the whole domain, so a hot-plugged NIC is exactly the NIC a
  // fresh boot of the same config gets.
  HVAGENT_ASSIGN_OR_RETURN(const std::string domain_xml, BuildDomainXml(config));
  pugi::xml_document doc;
  if (!doc.load_string(domain_xml.c_str())) {
    return absl::InternalError("the built domain XML does not parse");
  }
  for (const pugi::xml_node iface : doc.child("domain").child("devices").children("interface")) {
    if (mac == iface.child("mac").attribute("address").value()) {
      std::ostringstream out;
      iface.print(out, "", pugi::format_raw);
      return out.str();
    }
  }
  return absl::NotFoundError(fmt::format("VM '{}' has no NIC {}", config.name, mac));
}

}  // namespace hvagent::compute
