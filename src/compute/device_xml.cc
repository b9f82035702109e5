#include "hvagent/compute/device_xml.h"

#include <sstream>

#include <pugixml.hpp>

#include "hvagent/compute/domain_xml.h"

namespace hvagent::compute {

namespace {

// The first child `element` of the built domain's <devices> for which
// `matches` holds, printed. Cut from the whole domain, so a hot-plugged
// device is exactly what a fresh boot of the same config gets.
template <typename Matches>
StatusOr<std::string> CutDevice(const VmConfig& config, const char* element, Matches matches) {
  HVAGENT_ASSIGN_OR_RETURN(const std::string domain_xml, BuildDomainXml(config));
  pugi::xml_document doc;
  if (!doc.load_string(domain_xml.c_str())) {
    return absl::InternalError("the built domain XML does not parse");
  }
  for (const pugi::xml_node node : doc.child("domain").child("devices").children(element)) {
    if (matches(node)) {
      std::ostringstream out;
      node.print(out, "", pugi::format_raw);
      return out.str();
    }
  }
  return absl::NotFoundError("");
}

}  // namespace

StatusOr<std::string> NicDeviceXml(const VmConfig& config, const std::string& mac) {
  auto xml = CutDevice(config, "interface", [&](pugi::xml_node iface) {
    return mac == iface.child("mac").attribute("address").value();
  });
  if (xml.status().code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(fmt::format("VM '{}' has no NIC {}", config.name, mac));
  }
  return xml;
}

StatusOr<std::string> DiskDeviceXml(const VmConfig& config, const std::string& target) {
  auto xml = CutDevice(config, "disk", [&](pugi::xml_node disk) {
    return target == disk.child("target").attribute("dev").value();
  });
  if (xml.status().code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(fmt::format("VM '{}' has no disk {}", config.name, target));
  }
  return xml;
}

}  // namespace hvagent::compute
