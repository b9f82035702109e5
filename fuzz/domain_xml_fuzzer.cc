// The domain-XML parser (ParseDomainXml) on any bytes: it either refuses them
// or gives a config; a config the agent owns is then built back into XML.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "hvagent/compute/domain_xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view xml(reinterpret_cast<const char*>(data), size);
  auto config = hvagent::compute::ParseDomainXml(xml);
  if (config.ok() && !config->external) {
    // Validation refuses what it must; what it accepts builds.
    (void)hvagent::compute::BuildDomainXml(*config);
  }
  return 0;
}
