#include "cpu_model.h"

#include <algorithm>
#include <array>
#include <functional>
#include <set>
#include <sstream>

#include "hvagent/compute/domain_xml.h"
#include "hvagent/cpu/cpu_description.h"

namespace hvagent::compute::internal {

namespace {

constexpr std::array<std::string_view, 2> kFallbacks = {"allow", "forbid"};
constexpr std::array<std::string_view, 5> kPolicies = {"force", "require", "optional", "disable",
                                                       "forbid"};

bool OneOf(std::string_view value, const auto& allowed) {
  return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

Status Invalid(std::string_view field, std::string_view rule) {
  return absl::InvalidArgumentError(fmt::format("{}: {}", field, rule));
}

}  // namespace

StatusOr<CpuModel> ReadCpuModel(pugi::xml_node cpu, std::string_view field) {
  CpuModel model;
  const std::string_view mode = cpu.attribute("mode").value();
  if (!mode.empty() && mode != "custom") {
    return Invalid(field, fmt::format("must be a custom CPU model (has mode '{}')", mode));
  }
  const pugi::xml_node model_node = cpu.child("model");
  if (!model_node || model_node.next_sibling("model")) {
    return Invalid(field, "must have exactly one <model>");
  }
  model.name = model_node.child_value();
  if (!cpu::IsCpuWord(model.name)) {
    return Invalid(field, fmt::format("<model> '{}' is not a CPU model name", model.name));
  }
  model.fallback = model_node.attribute("fallback").as_string("allow");
  if (!OneOf(model.fallback, kFallbacks)) {
    return Invalid(field,
                   fmt::format("<model fallback='{}'> must be allow or forbid", model.fallback));
  }
  model.vendor_id = model_node.attribute("vendor_id").value();
  if (!model.vendor_id.empty() && !cpu::IsCpuWord(model.vendor_id)) {
    return Invalid(field,
                   fmt::format("<model vendor_id='{}'> is not a vendor id", model.vendor_id));
  }
  if (const pugi::xml_node vendor = cpu.child("vendor")) {
    if (vendor.next_sibling("vendor")) return Invalid(field, "has more than one <vendor>");
    model.vendor = vendor.child_value();
    if (!cpu::IsCpuWord(model.vendor)) {
      return Invalid(field, fmt::format("<vendor> '{}' is not a vendor name", model.vendor));
    }
  }
  std::set<std::string, std::less<>> seen;
  for (const pugi::xml_node feature : cpu.children("feature")) {
    CpuFeature f{.policy = feature.attribute("policy").as_string("require"),
                 .name = feature.attribute("name").value()};
    if (!cpu::IsCpuWord(f.name)) {
      return Invalid(field, fmt::format("<feature name='{}'> is not a feature name", f.name));
    }
    if (!OneOf(f.policy, kPolicies)) {
      return Invalid(field, fmt::format("<feature policy='{}'> for '{}' is not a libvirt policy",
                                        f.policy, f.name));
    }
    // libvirt refuses a CPU that names a feature twice.
    if (!seen.insert(f.name).second) {
      return Invalid(field, fmt::format("feature '{}' appears more than once", f.name));
    }
    model.features.push_back(std::move(f));
  }
  return model;
}

void AppendCpuModelAndVendor(const CpuModel& model, pugi::xml_node cpu) {
  pugi::xml_node node = cpu.append_child("model");
  node.append_attribute("fallback") = model.fallback.c_str();
  if (!model.vendor_id.empty()) node.append_attribute("vendor_id") = model.vendor_id.c_str();
  node.text() = model.name.c_str();
  if (!model.vendor.empty()) cpu.append_child("vendor").text() = model.vendor.c_str();
}

void AppendCpuFeatures(const CpuModel& model, pugi::xml_node cpu) {
  for (const CpuFeature& f : model.features) {
    pugi::xml_node node = cpu.append_child("feature");
    node.append_attribute("policy") = f.policy.c_str();
    node.append_attribute("name") = f.name.c_str();
  }
}

void AppendCanonicalCpu(const CpuModel& model, pugi::xml_node parent) {
  pugi::xml_node cpu = parent.append_child("cpu");
  cpu.append_attribute("mode") = "custom";
  cpu.append_attribute("match") = "exact";
  AppendCpuModelAndVendor(model, cpu);
  AppendCpuFeatures(model, cpu);
}

std::string CanonicalCpuXml(const CpuModel& model) {
  pugi::xml_document doc;
  AppendCanonicalCpu(model, doc.root());
  std::ostringstream out;
  doc.save(out, "",
           pugi::format_raw | pugi::format_attribute_single_quote | pugi::format_no_declaration);
  return out.str();
}

StatusOr<CpuModel> ParseCpuBaseline(std::string_view xml, std::string_view field) {
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed = doc.load_buffer(xml.data(), xml.size());
  if (!parsed) {
    return absl::InvalidArgumentError(fmt::format("{}: malformed XML at offset {}: {}", field,
                                                  parsed.offset, parsed.description()));
  }
  const pugi::xml_node cpu = doc.document_element();
  if (std::string_view(cpu.name()) != "cpu") {
    return absl::InvalidArgumentError(
        fmt::format("{}: the root element must be <cpu> (is <{}>)", field, cpu.name()));
  }
  return ReadCpuModel(cpu, field);
}

}  // namespace hvagent::compute::internal

namespace hvagent::compute {

StatusOr<std::string> CanonicalCpuBaselineXml(std::string_view xml) {
  HVAGENT_ASSIGN_OR_RETURN(const internal::CpuModel model,
                           internal::ParseCpuBaseline(xml, "cpu_baseline_xml"));
  return internal::CanonicalCpuXml(model);
}

}  // namespace hvagent::compute
