# Runs at install time, where CMAKE_INSTALL_PREFIX is the prefix given to
# `cmake --install --prefix`. Installs:
#   PREFIX/lib/systemd/system/hvagentd.service, its ExecStart pointing at
#     PREFIX/sbin/hvagentd and the config below (as shipped for /usr);
#   the default config: /etc/hvagent/hvagent.toml for the /usr prefix, else
#     PREFIX/etc/hvagent/hvagent.toml. An existing config is never overwritten
#     (the operator's edits); the shipped one then goes next to it as
#     hvagent.toml.default.
# DESTDIR (staged installs for packaging) is honoured.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(etc "/etc")
else()
  set(etc "${CMAKE_INSTALL_PREFIX}/etc")
endif()
set(destdir "$ENV{DESTDIR}")

file(READ "${HVAGENT_SYSTEMD_SOURCE}/hvagentd.service" unit)
string(REPLACE "/usr/sbin/hvagentd" "${CMAKE_INSTALL_PREFIX}/sbin/hvagentd" unit "${unit}")
string(REPLACE "/etc/hvagent/hvagent.toml" "${etc}/hvagent/hvagent.toml" unit "${unit}")
set(unit_dir "${destdir}${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
file(MAKE_DIRECTORY "${unit_dir}")
message(STATUS "Installing: ${unit_dir}/hvagentd.service")
file(WRITE "${unit_dir}/hvagentd.service" "${unit}")
file(CHMOD "${unit_dir}/hvagentd.service" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# file(INSTALL) prepends DESTDIR itself; the existence check must not.
set(config_dest "${etc}/hvagent")
if(EXISTS "${destdir}${config_dest}/hvagent.toml")
  message(STATUS "Keeping: ${destdir}${config_dest}/hvagent.toml (shipped one: hvagent.toml.default)")
  file(INSTALL "${HVAGENT_SYSTEMD_SOURCE}/hvagent.toml" DESTINATION "${config_dest}"
       RENAME hvagent.toml.default PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
else()
  file(INSTALL "${HVAGENT_SYSTEMD_SOURCE}/hvagent.toml" DESTINATION "${config_dest}"
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endif()
