// What kind of NIC a VM NIC is, the one vocabulary both sides use: compute
// keeps it in the VM's definition (NicSpec.type and network_function_role),
// network decides from it where the NIC's tap goes on the switch.
#pragma once

namespace hvagent {

// acli's kNormalNic / kDirectNic / kNetworkFunctionNic. kNormal: behind the
// bridge chain (br0.local), subject to microsegmentation and service chains;
// kDirect: straight on the network's bridge, bypassing them;
// kNetworkFunction: a packet processor's NIC on br.nf, on no network.
enum class NicType { kNormal, kDirect, kNetworkFunction };

// acli's network_function_nic_type: an inline processor's kIngress / kEgress
// NIC, or a tap processor's kTap NIC. kNone for every other NIC.
enum class NetworkFunctionRole { kNone, kIngress, kEgress, kTap };

}  // namespace hvagent
