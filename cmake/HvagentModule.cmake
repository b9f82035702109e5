# hvagent_module(NAME SOURCES … [DEPS …] [PRIVATE_DEPS …])
# One library target per module under src/<module>/, public headers under
# include/hvagent/<module>/. Targets are named hvagent_<module>.
function(hvagent_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(hvagent_${name} STATIC ${ARG_SOURCES})
  add_library(hvagent::${name} ALIAS hvagent_${name})
  target_include_directories(hvagent_${name} PUBLIC ${PROJECT_SOURCE_DIR}/include)
  target_compile_options(hvagent_${name} PRIVATE ${HVAGENT_WARNINGS})
  target_link_libraries(hvagent_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()
