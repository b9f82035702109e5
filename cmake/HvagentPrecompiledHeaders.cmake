# Precompiled third-party headers. gRPC, protobuf, the generated services and
# GoogleTest are most of a translation unit's compile time here: an
# integration test took 62 s to compile, 30 s with them precompiled (GCC 12,
# -g). Two headers are built once per build tree and reused by every target
# of their kind (REUSE_FROM): hvagent_grpc_pch for the modules that speak
# gRPC, hvagent_test_pch for the tests. CMake compiles their users with
# -Winvalid-pch, which -Werror turns into an error, so a header that GCC
# would silently not use (a flag or macro differs) breaks the build instead
# of slowing it. spdlog and fmt stay out: their headers test macros
# (SPDLOG_COMPILED_LIB, FMT_SHARED) that not every user defines.
option(HVAGENT_PCH "Precompile the third-party headers (gRPC, protobuf, GoogleTest)" ON)
# The fuzz preset is clang with libFuzzer instrumentation on a few targets.
if(HVAGENT_FUZZ)
  set(HVAGENT_PCH OFF)
endif()

set(HVAGENT_PCH_STD_HEADERS
  <algorithm> <chrono> <filesystem> <functional> <map> <memory> <mutex> <optional> <set>
  <sstream> <string> <string_view> <thread> <vector>)
set(HVAGENT_PCH_GRPC_HEADERS
  <grpcpp/grpcpp.h> <grpcpp/support/server_interceptor.h> <google/protobuf/message.h>
  <google/protobuf/util/time_util.h> <nlohmann/json.hpp>
  [["hvagent/v1/common.pb.h"]] [["hvagent/v1/host.grpc.pb.h"]] [["hvagent/v1/vm.grpc.pb.h"]]
  [["hvagent/v1/network.grpc.pb.h"]] [["hvagent/v1/events.grpc.pb.h"]]
  [["hvagent/v1/migration_peer.grpc.pb.h"]] [["grpc/health/v1/health.grpc.pb.h"]])
set(HVAGENT_PCH_TEST_HEADERS
  <gtest/gtest.h> <gmock/gmock.h> <pugixml.hpp> <fstream> <future> <random> <atomic>)

# hvagent_pch_target(NAME HEADERS … LIBS …): a target that only builds the
# precompiled header, with the compile options its users have.
function(hvagent_pch_target name)
  cmake_parse_arguments(ARG "" "" "HEADERS;LIBS" ${ARGN})
  set(anchor ${CMAKE_CURRENT_BINARY_DIR}/${name}_anchor.cc)
  file(CONFIGURE OUTPUT ${anchor} CONTENT "// The precompiled header's anchor (cmake/HvagentPrecompiledHeaders.cmake).\n")
  add_library(${name} STATIC ${anchor})
  target_compile_options(${name} PRIVATE ${HVAGENT_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_LIBS})
  target_precompile_headers(${name} PRIVATE ${HVAGENT_PCH_STD_HEADERS} ${ARG_HEADERS})
endfunction()

# hvagent_use_pch(TARGET KIND): TARGET compiles with the KIND (grpc or test)
# precompiled header.
function(hvagent_use_pch target kind)
  if(HVAGENT_PCH)
    target_precompile_headers(${target} REUSE_FROM hvagent_${kind}_pch)
  endif()
endfunction()
