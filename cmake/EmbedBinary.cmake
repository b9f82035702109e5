# cmake -DINPUT=FILE -DOUTPUT=FILE.cc -DFUNCTION=NAME -DNAMESPACE=NS -P EmbedBinary.cmake
# Writes a C++ source whose NS::NAME() returns FILE's bytes as a string_view,
# so a small image built with the project travels inside the binary.
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REPEAT "[0-9a-f]" 32 sixteen_bytes)
string(REGEX REPLACE "(${sixteen_bytes})" "\\1\n    " hex "${hex}")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
get_filename_component(input_name "${INPUT}" NAME)
file(WRITE "${OUTPUT}.tmp" "// Generated from ${input_name} by cmake/EmbedBinary.cmake; do not edit.
#include <string_view>

namespace ${NAMESPACE} {

namespace {
constexpr unsigned char kBytes[${size}] = {
    ${bytes}};
}  // namespace

std::string_view ${FUNCTION}() { return {reinterpret_cast<const char*>(kBytes), sizeof(kBytes)}; }

}  // namespace ${NAMESPACE}
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
