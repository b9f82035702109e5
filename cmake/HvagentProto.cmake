# hvagent_grpc_library(TARGET PROTOS …): a static library of the C++ messages
# and gRPC services generated from PROTOS, which must lie under the calling
# directory: protobuf_generate (CMake 3.25) names files relative to it, and that
# name is what the descriptor pool (and so reflection) registers.
function(hvagent_grpc_library target)
  cmake_parse_arguments(ARG "" "" "PROTOS" ${ARGN})
  add_library(${target} STATIC ${ARG_PROTOS})
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf gRPC::grpc++)
  target_include_directories(${target} PUBLIC ${CMAKE_CURRENT_BINARY_DIR})
  protobuf_generate(TARGET ${target} LANGUAGE cpp
    IMPORT_DIRS ${CMAKE_CURRENT_SOURCE_DIR}
    PROTOC_OUT_DIR ${CMAKE_CURRENT_BINARY_DIR})
  protobuf_generate(TARGET ${target} LANGUAGE grpc
    GENERATE_EXTENSIONS .grpc.pb.h .grpc.pb.cc
    PLUGIN protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>
    IMPORT_DIRS ${CMAKE_CURRENT_SOURCE_DIR}
    PROTOC_OUT_DIR ${CMAKE_CURRENT_BINARY_DIR})
endfunction()
