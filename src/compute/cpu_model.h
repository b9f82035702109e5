// Private to the compute module: a custom CPU model (<model>, <vendor>,
// <feature>s) read from and written into a <cpu> element. Both the cpu
// baseline a config carries and the <cpu> of a domain go through it, so the
// two compare equal whatever order or defaults libvirt printed them with.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <pugixml.hpp>

#include "hvagent/common/status.h"

namespace hvagent::compute::internal {

struct CpuFeature {
  std::string policy;
  std::string name;
};

struct CpuModel {
  std::string name;
  std::string fallback;
  // <model vendor_id=…>: rarely set, kept when it is.
  std::string vendor_id;
  std::string vendor;
  std::vector<CpuFeature> features;
};

// Reads the model, vendor and features of `cpu`, ignoring its other children
// (topology, numa, cache…). Errors are INVALID_ARGUMENT prefixed by `field`.
StatusOr<CpuModel> ReadCpuModel(pugi::xml_node cpu, std::string_view field);

// Appends <model> and <vendor> to `cpu`.
void AppendCpuModelAndVendor(const CpuModel& model, pugi::xml_node cpu);
// Appends the <feature>s to `cpu`: libvirt prints them after <topology>.
void AppendCpuFeatures(const CpuModel& model, pugi::xml_node cpu);

// Appends the canonical <cpu mode='custom' match='exact'> element of `model`
// to `parent` (see CanonicalCpuBaselineXml).
void AppendCanonicalCpu(const CpuModel& model, pugi::xml_node parent);

// The canonical one-line text of `model`.
std::string CanonicalCpuXml(const CpuModel& model);

// Parses `xml` (a cpu baseline) into a model; errors name `field`.
StatusOr<CpuModel> ParseCpuBaseline(std::string_view xml, std::string_view field);

}  // namespace hvagent::compute::internal
