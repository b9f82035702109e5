// A libvirt CPU description (<cpu> with <model>, <vendor> and <feature>s), as
// GetHostCpu returns it and as ComputeCpuBaseline takes and gives it. Pure:
// parsing and printing only, no libvirt calls.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "hvagent/common/status.h"

namespace hvagent::cpu {

struct CpuFeature {
  // libvirt's policies: force, require, optional, disable, forbid. A host
  // CPU's features (no policy attribute) read as "require".
  std::string policy = "require";
  std::string name;

  friend bool operator==(const CpuFeature&, const CpuFeature&) = default;
};

struct CpuDescription {
  // "Skylake-Server-IBRS"; empty only for a <cpu> without <model>.
  std::string model;
  // "Intel", "AMD"; empty when the description names none.
  std::string vendor;
  // <model fallback=…>: "forbid" unless the description says "allow".
  std::string fallback = "forbid";
  std::vector<CpuFeature> features;

  friend bool operator==(const CpuDescription&, const CpuDescription&) = default;
};

// Parses `xml`, whose root must be <cpu> with exactly one <model>; its mode,
// if any, must be "custom" or "host-model" (the domain capabilities' form).
// Names, policies and duplicates are checked as libvirt would. Errors are
// INVALID_ARGUMENT prefixed by `field`.
StatusOr<CpuDescription> ParseCpuXml(std::string_view xml, std::string_view field);

// The one form the agent stores and returns:
// <cpu mode='custom' match='exact'><model fallback=…>…</model><vendor>…</vendor>
// <feature policy=… name=…/>…</cpu>, features sorted by name, no whitespace.
std::string CpuXml(const CpuDescription& cpu);

// The names of the features the description requires (policy require or
// force), and those it disables (disable or forbid).
std::set<std::string> RequiredFeatures(const CpuDescription& cpu);
std::set<std::string> DisabledFeatures(const CpuDescription& cpu);

// Whether `value` is spelled like a CPU model, vendor or feature name in
// libvirt's cpu_map ("Skylake-Client-IBRS", "sse4.1", "tsc_adjust"): anything
// else is either a typo or an attempt to smuggle markup or control characters
// into a domain.
bool IsCpuWord(std::string_view value);

}  // namespace hvagent::cpu
