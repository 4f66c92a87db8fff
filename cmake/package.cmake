# hyda as an installable package: find_package(hyda) gives hyda::kernels, hyda::autodiff,
# hyda::mtl and hyda::c, pkg-config gives hyda.pc and hyda-c.pc, and the public headers
# and the hyda command are installed. The libraries are static unless BUILD_SHARED_LIBS is ON (docs/install.md).
include(CMakePackageConfigHelpers)

set(hyda_libraries hyda_kernels hyda_autodiff hyda_mtl)
if(TARGET hyda_c)
  list(APPEND hyda_libraries hyda_c)
endif()
foreach(library IN LISTS hyda_libraries)
  string(REPLACE "hyda_" "" module ${library})
  set_target_properties(${library} PROPERTIES
    EXPORT_NAME ${module}
    VERSION ${PROJECT_VERSION}
    # Before 1.0 any minor release may change the ABI, so the SONAME carries major.minor.
    SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}
    # Each finds the others next to it, whatever the consumer's RUNPATH says.
    INSTALL_RPATH "$ORIGIN"
    # Exported symbols = what the public headers declare. Everything compiles hidden and
    # each header under include/ wraps its declarations in
    # `#pragma GCC visibility push(default)` ... `pop` (tests/packaging checks that), so
    # their functions, classes, typeinfo and vtables are exported and nothing else is:
    # not the detail namespaces, the per-SIMD-path kernels, xsimd or src/ helpers. A
    # linker version script cannot say "hyda:: but not ...::detail" (GNU ld lets any
    # global pattern win over a local one), and export macros would mark every
    # declaration. No VISIBILITY_INLINES_HIDDEN: a function-local static in a public
    # inline function must stay one object across the libraries and the program.
    CXX_VISIBILITY_PRESET hidden)
endforeach()

install(TARGETS ${hyda_libraries} EXPORT hydaTargets)
foreach(module kernels autodiff mtl)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${module}/include/ TYPE INCLUDE)
endforeach()
if(TARGET hyda_c)
  install(FILES ${PROJECT_SOURCE_DIR}/c/include/hyda.h TYPE INCLUDE)
endif()

if(HYDA_BUILD_CLI)
  file(RELATIVE_PATH bin_to_lib ${CMAKE_INSTALL_FULL_BINDIR} ${CMAKE_INSTALL_FULL_LIBDIR})
  set_target_properties(hyda PROPERTIES INSTALL_RPATH "$ORIGIN/${bin_to_lib}")
  install(TARGETS hyda)
endif()

set(config_dir ${CMAKE_INSTALL_LIBDIR}/cmake/hyda)
install(EXPORT hydaTargets NAMESPACE hyda:: DESTINATION ${config_dir})
configure_package_config_file(cmake/hydaConfig.cmake.in ${PROJECT_BINARY_DIR}/hydaConfig.cmake
  INSTALL_DESTINATION ${config_dir})
# Before 1.0 only the same minor version is compatible (as the SONAME says).
write_basic_package_version_file(${PROJECT_BINARY_DIR}/hydaConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/hydaConfig.cmake ${PROJECT_BINARY_DIR}/hydaConfigVersion.cmake
  DESTINATION ${config_dir})

# hyda.pc finds the prefix from its own place (${pcfiledir}), so an installed tree may move
# and `cmake --install --prefix` needs no reconfigure.
set(pkgconfig_dir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH pc_to_prefix ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" pc_to_prefix ${pc_to_prefix})
file(RELATIVE_PATH pc_libdir ${CMAKE_INSTALL_PREFIX} ${CMAKE_INSTALL_FULL_LIBDIR})
file(RELATIVE_PATH pc_includedir ${CMAKE_INSTALL_PREFIX} ${CMAKE_INSTALL_FULL_INCLUDEDIR})
configure_file(cmake/hyda.pc.in ${PROJECT_BINARY_DIR}/hyda.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/hyda.pc DESTINATION ${pkgconfig_dir})
if(TARGET hyda_c)
  # A C program links -lhyda_c alone against the shared library; against the static one
  # it also needs hyda's C++ libraries and the C++ runtime, which its C compiler does not
  # add by itself.
  set(pc_c_private "-lhyda_mtl -lhyda_autodiff -lhyda_kernels -lstdc++ -lm -pthread")
  if(BUILD_SHARED_LIBS)
    set(pc_c_libs "-lhyda_c")
  else()
    set(pc_c_libs "-lhyda_c ${pc_c_private}")
    set(pc_c_private "")
  endif()
  configure_file(cmake/hyda-c.pc.in ${PROJECT_BINARY_DIR}/hyda-c.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/hyda-c.pc DESTINATION ${pkgconfig_dir})
endif()
