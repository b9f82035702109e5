#include "hvagent/compute/device_xml.h"

#include <sstream>
#include <string_view>

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

// The device `element` whose <`child` `attribute`=…> is `key`; NOT_FOUND
// "VM 'x' has no `what` `key`" when the VM has none.
StatusOr<std::string> CutDeviceByKey(const VmConfig& config, const char* element, const char* child,
                                     const char* attribute, const std::string& key,
                                     std::string_view what) {
  auto xml = CutDevice(config, element, [&](pugi::xml_node device) {
    return key == device.child(child).attribute(attribute).value();
  });
  if (xml.status().code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(fmt::format("VM '{}' has no {} {}", config.name, what, key));
  }
  return xml;
}

}  // namespace

StatusOr<std::string> NicDeviceXml(const VmConfig& config, const std::string& mac) {
  return CutDeviceByKey(config, "interface", "mac", "address", mac, "NIC");
}

StatusOr<std::string> DiskDeviceXml(const VmConfig& config, const std::string& target) {
  return CutDeviceByKey(config, "disk", "target", "dev", target, "disk");
}

namespace {

// What tells a NIC or disk apart in a domain: its MAC, or its target.
std::string DeviceKey(const pugi::xml_node& device) {
  const std::string_view kind = device.name();
  if (kind == "interface") {
    return fmt::format("interface {}", device.child("mac").attribute("address").value());
  }
  if (kind == "disk") {
    return fmt::format("disk {}", device.child("target").attribute("dev").value());
  }
  return std::string(kind);
}

}  // namespace

StatusOr<bool> DomainHasDevice(std::string_view domain_xml, std::string_view device_xml) {
  pugi::xml_document device;
  if (!device.load_buffer(device_xml.data(), device_xml.size()) || !device.first_child()) {
    return absl::InvalidArgumentError("the device XML does not parse");
  }
  pugi::xml_document domain;
  if (!domain.load_buffer(domain_xml.data(), domain_xml.size())) {
    return absl::InvalidArgumentError("the domain XML does not parse");
  }
  const std::string wanted = DeviceKey(device.first_child());
  for (const pugi::xml_node node : domain.child("domain").child("devices").children()) {
    if (DeviceKey(node) == wanted) return true;
  }
  return false;
}

}  // namespace hvagent::compute
