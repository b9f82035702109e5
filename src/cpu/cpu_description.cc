#include "hvagent/cpu/cpu_description.h"

#include <algorithm>
#include <array>
#include <sstream>

#include <pugixml.hpp>

namespace hvagent::cpu {

namespace {

constexpr std::array<std::string_view, 5> kPolicies = {"force", "require", "optional", "disable",
                                                       "forbid"};

Status Invalid(std::string_view field, std::string_view rule) {
  return absl::InvalidArgumentError(fmt::format("{}: {}", field, rule));
}

}  // namespace

bool IsCpuWord(std::string_view value) {
  return !value.empty() && value.size() <= 64 &&
         std::all_of(value.begin(), value.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
         });
}

StatusOr<CpuDescription> ParseCpuXml(std::string_view xml, std::string_view field) {
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed = doc.load_buffer(xml.data(), xml.size());
  if (!parsed) {
    return Invalid(field, fmt::format("not CPU XML: malformed XML at offset {}: {}", parsed.offset,
                                      parsed.description()));
  }
  const pugi::xml_node root = doc.document_element();
  if (std::string_view(root.name()) != "cpu") {
    return Invalid(
        field, fmt::format("not CPU XML: the root element must be <cpu> (is <{}>)", root.name()));
  }
  const std::string_view mode = root.attribute("mode").value();
  if (!mode.empty() && mode != "custom" && mode != "host-model") {
    return Invalid(field, fmt::format("must be a custom CPU model (has mode '{}')", mode));
  }
  CpuDescription cpu;
  const pugi::xml_node model = root.child("model");
  if (!model || model.next_sibling("model")) return Invalid(field, "must have exactly one <model>");
  cpu.model = model.child_value();
  if (!IsCpuWord(cpu.model)) {
    return Invalid(field, fmt::format("<model> '{}' is not a CPU model name", cpu.model));
  }
  cpu.fallback = model.attribute("fallback").as_string("forbid");
  if (cpu.fallback != "allow" && cpu.fallback != "forbid") {
    return Invalid(field,
                   fmt::format("<model fallback='{}'> must be allow or forbid", cpu.fallback));
  }
  if (const pugi::xml_node vendor = root.child("vendor")) {
    if (vendor.next_sibling("vendor")) return Invalid(field, "has more than one <vendor>");
    cpu.vendor = vendor.child_value();
    if (!IsCpuWord(cpu.vendor)) {
      return Invalid(field, fmt::format("<vendor> '{}' is not a vendor name", cpu.vendor));
    }
  }
  std::set<std::string, std::less<>> seen;
  for (const pugi::xml_node node : root.children("feature")) {
    CpuFeature f{.policy = node.attribute("policy").as_string("require"),
                 .name = node.attribute("name").value()};
    if (!IsCpuWord(f.name)) {
      return Invalid(field, fmt::format("<feature name='{}'> is not a feature name", f.name));
    }
    if (std::find(kPolicies.begin(), kPolicies.end(), f.policy) == kPolicies.end()) {
      return Invalid(field, fmt::format("<feature policy='{}'> for '{}' is not a libvirt policy",
                                        f.policy, f.name));
    }
    if (!seen.insert(f.name).second) {
      return Invalid(field, fmt::format("feature '{}' appears more than once", f.name));
    }
    cpu.features.push_back(std::move(f));
  }
  std::sort(cpu.features.begin(), cpu.features.end(),
            [](const CpuFeature& a, const CpuFeature& b) { return a.name < b.name; });
  return cpu;
}

std::string CpuXml(const CpuDescription& cpu) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("cpu");
  root.append_attribute("mode") = "custom";
  root.append_attribute("match") = "exact";
  pugi::xml_node model = root.append_child("model");
  model.append_attribute("fallback") = cpu.fallback.c_str();
  model.text() = cpu.model.c_str();
  if (!cpu.vendor.empty()) root.append_child("vendor").text() = cpu.vendor.c_str();
  std::vector<CpuFeature> features = cpu.features;
  std::sort(features.begin(), features.end(),
            [](const CpuFeature& a, const CpuFeature& b) { return a.name < b.name; });
  for (const CpuFeature& f : features) {
    pugi::xml_node node = root.append_child("feature");
    node.append_attribute("policy") = f.policy.c_str();
    node.append_attribute("name") = f.name.c_str();
  }
  std::ostringstream out;
  doc.save(out, "",
           pugi::format_raw | pugi::format_attribute_single_quote | pugi::format_no_declaration);
  return out.str();
}

std::set<std::string> RequiredFeatures(const CpuDescription& cpu) {
  std::set<std::string> names;
  for (const CpuFeature& f : cpu.features) {
    if (f.policy == "require" || f.policy == "force") names.insert(f.name);
  }
  return names;
}

std::set<std::string> DisabledFeatures(const CpuDescription& cpu) {
  std::set<std::string> names;
  for (const CpuFeature& f : cpu.features) {
    if (f.policy == "disable" || f.policy == "forbid") names.insert(f.name);
  }
  return names;
}

}  // namespace hvagent::cpu
