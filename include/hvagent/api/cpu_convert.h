// The cpu module's and CpuBaselineManager's values as hvagent.v1 messages.
#pragma once

#include "hvagent/compute/cpu_baseline_manager.h"
#include "hvagent/cpu/cpu_baseline.h"
#include "hvagent/v1/host.pb.h"

namespace hvagent::api {

void CpuModelToProto(const cpu::CpuDescription& cpu, v1::CpuModel* out);
void HostCpuToProto(const compute::HostCpuReport& report, v1::HostCpu* out);
void ComputedBaselineToProto(const cpu::ComputedBaseline& baseline, v1::CpuBaseline* out);
void BaselineStateToProto(const compute::CpuBaselineState& state, v1::CpuBaseline* out);

}  // namespace hvagent::api
