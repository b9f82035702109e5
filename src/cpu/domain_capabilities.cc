#include "hvagent/cpu/domain_capabilities.h"

#include <sstream>

#include <pugixml.hpp>

namespace hvagent::cpu {

StatusOr<OfferedCpu> ParseDomainCapabilities(std::string_view domcaps_xml) {
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed = doc.load_buffer(domcaps_xml.data(), domcaps_xml.size());
  if (!parsed) {
    return absl::InvalidArgumentError(
        fmt::format("domain capabilities: malformed XML at offset {}: {}", parsed.offset,
                    parsed.description()));
  }
  const pugi::xml_node root = doc.document_element();
  if (std::string_view(root.name()) != "domainCapabilities") {
    return absl::InvalidArgumentError(
        fmt::format("domain capabilities: the root element must be <domainCapabilities> (is <{}>)",
                    root.name()));
  }
  const pugi::xml_node cpu = root.child("cpu");
  OfferedCpu offered;
  pugi::xml_node host_model;
  for (const pugi::xml_node mode : cpu.children("mode")) {
    const std::string_view name = mode.attribute("name").value();
    if (name == "host-model") host_model = mode;
    if (name != "custom") continue;
    for (const pugi::xml_node model : mode.children("model")) {
      offered.models.push_back(
          {.name = model.child_value(),
           .vendor = model.attribute("vendor").value(),
           .usable = std::string_view(model.attribute("usable").value()) == "yes"});
    }
  }
  if (!host_model || std::string_view(host_model.attribute("supported").value()) != "yes") {
    return absl::FailedPreconditionError(
        "the hypervisor does not support host-model CPUs here (domain capabilities)");
  }
  // The host-model mode's children are a <cpu>'s: read them as one.
  pugi::xml_document as_cpu;
  pugi::xml_node copy = as_cpu.append_child("cpu");
  for (const pugi::xml_node child : host_model.children()) copy.append_copy(child);
  std::ostringstream text;
  as_cpu.save(text, "", pugi::format_raw | pugi::format_no_declaration);
  HVAGENT_ASSIGN_OR_RETURN(offered.host_model,
                           ParseCpuXml(text.str(), "domain capabilities host-model"));
  return offered;
}

}  // namespace hvagent::cpu
