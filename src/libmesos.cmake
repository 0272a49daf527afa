# libmesos.so: the one shared library frameworks link (-lmesos), holding the
# generated protobuf code, the common/runtime/wire layers and both drivers.
# Daemons link it too, so the protobuf descriptors exist exactly once per process.
# src/authentication (CRAM-MD5, used by the scheduler driver and the master) is added here
# unless the top level already did.
if(NOT TARGET keel_auth AND EXISTS ${CMAKE_SOURCE_DIR}/src/authentication/CMakeLists.txt)
  add_subdirectory(${CMAKE_SOURCE_DIR}/src/authentication)
endif()
set(KEEL_LIBMESOS_PARTS keel_proto keel_common keel_runtime keel_wire keel_auth keel_sched
                        keel_exec)
set(_parts "")
foreach(p ${KEEL_LIBMESOS_PARTS})
  if(TARGET ${p})
    list(APPEND _parts $<TARGET_OBJECTS:${p}>)
  endif()
endforeach()
add_library(mesos SHARED ${_parts})
set_target_properties(mesos PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION 0)
# Calls inside the library bind at link time: far fewer symbol lookups when a process
# starts (every executor pays them; see docs/benchmarks.md, real_agent).
target_link_options(mesos PRIVATE -Wl,-Bsymbolic-functions)
target_include_directories(mesos PUBLIC
  $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/include>
  $<BUILD_INTERFACE:${CMAKE_BINARY_DIR}/gen>
  $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/src>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_link_libraries(mesos PUBLIC protobuf::libprotobuf Threads::Threads
                            PRIVATE PkgConfig::GLOG)

# The same objects as an archive, linked only into keel-executor: the agent starts one
# executor per command task, and a process that maps libmesos.so and libprotobuf.so pays
# about 6 ms of CPU in the dynamic loader before main(); linked statically, 1.5 ms
# (docs/benchmarks.md, real_agent).
add_library(mesos_static STATIC EXCLUDE_FROM_ALL ${_parts})
set_target_properties(mesos_static PROPERTIES OUTPUT_NAME keel_mesos_objects)
target_include_directories(mesos_static PUBLIC
  ${CMAKE_SOURCE_DIR}/include ${CMAKE_BINARY_DIR}/gen ${CMAKE_SOURCE_DIR}/src)
if(TARGET keel_auth)
  find_package(OpenSSL REQUIRED COMPONENTS Crypto)  # HMAC-MD5 of CRAM-MD5
  target_link_libraries(mesos PRIVATE OpenSSL::Crypto)
endif()

# --- Installation: the library, the public headers at Mesos's include paths, the generated
# public protobuf headers and schemas, a pkg-config file and a CMake package.
install(TARGETS mesos EXPORT KeelTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${CMAKE_SOURCE_DIR}/include/mesos/mesos.hpp
              ${CMAKE_SOURCE_DIR}/include/mesos/scheduler.hpp
              ${CMAKE_SOURCE_DIR}/include/mesos/executor.hpp
              ${CMAKE_SOURCE_DIR}/include/mesos/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mesos)
foreach(h ${KEEL_PUBLIC_PROTO_HEADERS})
  file(RELATIVE_PATH rel ${KEEL_PROTO_GEN_DIR} ${h})
  get_filename_component(dir ${rel} DIRECTORY)
  install(FILES ${h} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/${dir})
endforeach()
foreach(p ${KEEL_PUBLIC_PROTO_FILES})
  file(RELATIVE_PATH rel ${KEEL_PROTO_ROOT} ${p})
  get_filename_component(dir ${rel} DIRECTORY)
  install(FILES ${p} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/${dir})
endforeach()

configure_file(${CMAKE_SOURCE_DIR}/cmake/mesos.pc.in ${CMAKE_BINARY_DIR}/mesos.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/mesos.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

include(CMakePackageConfigHelpers)
install(EXPORT KeelTargets NAMESPACE Keel:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Keel)
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/KeelConfig.cmake.in
  ${CMAKE_BINARY_DIR}/KeelConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Keel)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/KeelConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/KeelConfig.cmake ${CMAKE_BINARY_DIR}/KeelConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Keel)
