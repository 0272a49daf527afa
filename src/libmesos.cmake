# libmesos.so: the one shared library frameworks link (-lmesos), holding the
# generated protobuf code, the common/runtime/wire layers and both drivers.
# Daemons link it too, so the protobuf descriptors exist exactly once per process.
set(KEEL_LIBMESOS_PARTS keel_proto keel_common keel_runtime keel_wire keel_sched keel_exec)
set(_parts "")
foreach(p ${KEEL_LIBMESOS_PARTS})
  if(TARGET ${p})
    list(APPEND _parts $<TARGET_OBJECTS:${p}>)
  endif()
endforeach()
add_library(mesos SHARED ${_parts})
set_target_properties(mesos PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION 0)
target_include_directories(mesos PUBLIC
  $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/include>
  $<BUILD_INTERFACE:${CMAKE_BINARY_DIR}/gen>
  $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/src>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_link_libraries(mesos PUBLIC protobuf::libprotobuf Threads::Threads
                            PRIVATE PkgConfig::GLOG)
