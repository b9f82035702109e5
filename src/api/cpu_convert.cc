#include "hvagent/api/cpu_convert.h"

#include <google/protobuf/util/time_util.h>

namespace hvagent::api {

void CpuModelToProto(const cpu::CpuDescription& cpu, v1::CpuModel* out) {
  out->set_model(cpu.model);
  out->set_vendor(cpu.vendor);
  for (const std::string& f : cpu::RequiredFeatures(cpu)) out->add_required_features(f);
  for (const std::string& f : cpu::DisabledFeatures(cpu)) out->add_disabled_features(f);
}

void HostCpuToProto(const compute::HostCpuReport& report, v1::HostCpu* out) {
  CpuModelToProto(report.offered.host_model, out->mutable_offered());
  out->set_libvirt_cpu_xml(report.cpu_xml);
  v1::RawCpu* raw = out->mutable_raw();
  raw->set_vendor_id(report.raw.vendor_id);
  raw->set_model_name(report.raw.model_name);
  raw->set_family(report.raw.family);
  raw->set_model(report.raw.model);
  raw->set_stepping(report.raw.stepping);
  raw->set_microcode(report.raw.microcode);
  raw->set_sockets(report.raw.sockets);
  raw->set_cores_per_socket(report.raw.cores_per_socket);
  raw->set_threads_per_core(report.raw.threads_per_core);
  raw->set_logical_cpus(report.raw.logical_cpus);
  for (const cpu::NamedCpuModel& m : report.offered.models) {
    v1::NamedCpuModel* model = out->add_models();
    model->set_name(m.name);
    model->set_vendor(m.vendor);
    model->set_usable(m.usable);
  }
}

void ComputedBaselineToProto(const cpu::ComputedBaseline& baseline, v1::CpuBaseline* out) {
  CpuModelToProto(baseline.cpu, out->mutable_cpu());
  out->set_libvirt_cpu_xml(baseline.xml);
  v1::CpuBaselineExplanation* e = out->mutable_explanation();
  e->set_model(baseline.explanation.model);
  e->set_lowest_host_index(baseline.explanation.lowest_host_index);
  e->set_lowest_host_reason(baseline.explanation.lowest_host_reason);
  for (const cpu::HostFeatureDrop& drop : baseline.explanation.dropped) {
    v1::HostFeaturesDropped* d = e->add_dropped();
    d->set_host_index(drop.host_index);
    d->set_host_model(drop.host_model);
    for (const std::string& f : drop.features) d->add_features(f);
  }
}

void BaselineStateToProto(const compute::CpuBaselineState& state, v1::CpuBaseline* out) {
  CpuModelToProto(state.cpu, out->mutable_cpu());
  out->set_libvirt_cpu_xml(state.xml);
  out->set_supported_here(state.here.runnable);
  for (const std::string& f : state.here.missing_features) out->add_missing_features(f);
  out->set_vendor_mismatch(state.here.vendor_mismatch);
  *out->mutable_set_time() =
      google::protobuf::util::TimeUtil::MillisecondsToTimestamp(state.set_unix_ms);
}

}  // namespace hvagent::api
