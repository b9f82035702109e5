# hvagent_probe_image(OUTPUT FILE.cc FUNCTION NAME NAMESPACE NS [DEFINES D…])
# Assembles src/compute/probe/long_mode_probe.S into a flat multiboot image
# (GNU as and ld, from binutils) and embeds it as NAME() in the C++ source
# FILE.cc (namespace NS). No compiler flags of the build apply:
# the image runs in a guest, not in the agent.
find_program(HVAGENT_LD NAMES ld ld.bfd REQUIRED)
function(hvagent_probe_image)
  cmake_parse_arguments(ARG "" "OUTPUT;FUNCTION;NAMESPACE" "DEFINES" ${ARGN})
  set(source ${PROJECT_SOURCE_DIR}/src/compute/probe/long_mode_probe.S)
  set(object ${CMAKE_CURRENT_BINARY_DIR}/${ARG_FUNCTION}.o)
  set(image ${CMAKE_CURRENT_BINARY_DIR}/${ARG_FUNCTION}.bin)
  list(TRANSFORM ARG_DEFINES PREPEND -D)
  add_custom_command(
    OUTPUT ${ARG_OUTPUT}
    COMMAND ${CMAKE_C_COMPILER} -x assembler-with-cpp -m64 ${ARG_DEFINES} -c ${source} -o ${object}
    COMMAND ${HVAGENT_LD} -m elf_x86_64 -N -Ttext=0x100000 --oformat binary -o ${image} ${object}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${image} -DOUTPUT=${ARG_OUTPUT} -DFUNCTION=${ARG_FUNCTION}
            -DNAMESPACE=${ARG_NAMESPACE} -P ${PROJECT_SOURCE_DIR}/cmake/EmbedBinary.cmake
    DEPENDS ${source} ${PROJECT_SOURCE_DIR}/cmake/EmbedBinary.cmake
    COMMENT "Assembling the probe image ${ARG_FUNCTION}"
    VERBATIM)
endfunction()
