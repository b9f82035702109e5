#include "hvagent_test/switch_rows.h"

#include <vector>

#include "hvagent_test/subprocess.h"

namespace hvagent::testing {

std::string SwitchRows(const std::string& ovsdb_socket) {
  std::string dump;
  for (const std::vector<std::string>& table :
       {std::vector<std::string>{"Bridge", "_uuid", "name", "ports", "mirrors", "datapath_type",
                                 "external_ids"},
        {"Port", "_uuid", "name", "interfaces", "tag", "trunks", "vlan_mode", "qos", "bond_mode",
         "lacp", "other_config", "external_ids"},
        {"Interface", "_uuid", "name", "type", "options", "ingress_policing_rate",
         "ingress_policing_burst", "external_ids"},
        {"Mirror", "_uuid", "name", "select_all", "select_src_port", "select_dst_port",
         "select_vlan", "output_port", "external_ids"},
        {"QoS", "_uuid", "type", "other_config", "queues", "external_ids"},
        {"Queue", "_uuid", "other_config", "external_ids"}}) {
    std::vector<std::string> argv = {"/usr/bin/ovsdb-client", "dump", "--format=csv",
                                     "unix:" + ovsdb_socket, "Open_vSwitch"};
    argv.insert(argv.end(), table.begin(), table.end());
    const ProcessResult r = RunProcess(argv);
    if (!r.ok()) return "ovsdb-client dump " + table.front() + " failed: " + r.err;
    dump += r.out;
  }
  return dump;
}

::testing::AssertionResult RefusedWithoutChange(const std::string& ovsdb_socket,
                                                absl::StatusCode expected,
                                                const std::function<Status()>& change) {
  const std::string before = SwitchRows(ovsdb_socket);
  const Status status = change();
  const std::string after = SwitchRows(ovsdb_socket);
  if (status.code() != expected) {
    return ::testing::AssertionFailure()
           << "expected " << absl::StatusCodeToString(expected) << ", got " << status;
  }
  if (after != before) {
    return ::testing::AssertionFailure()
           << "refused (" << status << ") but the switch changed:\nbefore:\n"
           << before << "\nafter:\n"
           << after;
  }
  return ::testing::AssertionSuccess() << status;
}

}  // namespace hvagent::testing
