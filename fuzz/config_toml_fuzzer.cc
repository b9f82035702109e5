// The TOML config loader on any bytes: ParseConfigToml either refuses them
// naming the key or gives a config, which is then checked as a whole.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "hvagent/daemon/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view toml(reinterpret_cast<const char*>(data), size);
  auto config = hvagent::daemon::ParseConfigToml(toml, "fuzz.toml");
  if (config.ok()) (void)hvagent::daemon::ValidateConfig(*config);
  return 0;
}
