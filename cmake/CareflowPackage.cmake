# careflow as a CMake package: `cmake --install` puts the libraries, their public headers, the
# `careflow` program and a package configuration under the prefix, so that another project can
#   find_package(careflow CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE careflow::models)
# (docs/engine.md, "Using careflow from CMake"; tested by tests/package).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(CAREFLOW_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/careflow)

# careflow_public_library(<target> <name> [<include-root>])
#   Makes <target> part of the package as careflow::<name> (the same name as its alias in the
#   build tree): <include-root> (default `include`, relative to the calling CMakeLists.txt) is
#   its public include root in the build tree and is installed as the prefix's include/.
#   One call per library, in the library's own CMakeLists.txt, in place of its
#   target_include_directories(... PUBLIC include).
function(careflow_public_library target name)
  set(root include)
  if(ARGC GREATER 2)
    set(root ${ARGV2})
  endif()
  cmake_path(ABSOLUTE_PATH root BASE_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} NORMALIZE)
  target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${root}> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name})
  install(TARGETS ${target} EXPORT careflowTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(DIRECTORY ${root}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  set_property(GLOBAL APPEND PROPERTY CAREFLOW_PACKAGE_COMPONENTS ${name})
endfunction()

# After every library: the export set, careflowConfig.cmake and careflowConfigVersion.cmake.
function(careflow_install_package)
  # The static libraries link the warning flags privately, so the export names them; linked
  # "link only", they carry no flags into a consumer's compilation.
  set_target_properties(careflow_warnings PROPERTIES EXPORT_NAME warnings)
  install(TARGETS careflow_warnings EXPORT careflowTargets)
  install(EXPORT careflowTargets NAMESPACE careflow:: DESTINATION ${CAREFLOW_INSTALL_CMAKEDIR})

  get_property(CAREFLOW_PACKAGE_COMPONENTS GLOBAL PROPERTY CAREFLOW_PACKAGE_COMPONENTS)
  set(CAREFLOW_PACKAGE_MPI ${CAREFLOW_MPI})
  configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/careflowConfig.cmake.in
                                ${PROJECT_BINARY_DIR}/careflowConfig.cmake
                                INSTALL_DESTINATION ${CAREFLOW_INSTALL_CMAKEDIR})
  # 0.x: a minor version may change the API.
  write_basic_package_version_file(${PROJECT_BINARY_DIR}/careflowConfigVersion.cmake
                                   VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
  install(FILES ${PROJECT_BINARY_DIR}/careflowConfig.cmake ${PROJECT_BINARY_DIR}/careflowConfigVersion.cmake
          DESTINATION ${CAREFLOW_INSTALL_CMAKEDIR})
endfunction()
