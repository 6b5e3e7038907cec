# ctest driver for runtime.find_package / runtime.add_subdirectory.
#   MODE=package: configure+build+install runtime/ standalone into a temp
#                 prefix, then build the consumer with find_package(tether).
#   MODE=subdir:  build the consumer with add_subdirectory(<runtime>).
# Then run the consumer and check its output.
foreach(v MODE RUNTIME_DIR CONSUMER_DIR WORK_DIR)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "consumer_check.cmake: ${v} is not set")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(LAST_OUTPUT "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(consumer_args -DCMAKE_BUILD_TYPE=Release)
if(MODE STREQUAL "package")
  set(prefix ${WORK_DIR}/prefix)
  run(${CMAKE_COMMAND} -S ${RUNTIME_DIR} -B ${WORK_DIR}/runtime-build
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=${prefix})
  run(${CMAKE_COMMAND} --build ${WORK_DIR}/runtime-build -j2)
  run(${CMAKE_COMMAND} --install ${WORK_DIR}/runtime-build)
  foreach(f include/tether/tether.hpp include/tether/version.hpp lib/cmake/tether/tetherConfig.cmake
            lib/cmake/tether/tetherConfigVersion.cmake lib/cmake/tether/tetherTargets.cmake)
    if(NOT EXISTS ${prefix}/${f})
      message(FATAL_ERROR "install is missing ${f}")
    endif()
  endforeach()
  list(APPEND consumer_args -DTETHER_CONSUMER_MODE=package -DCMAKE_PREFIX_PATH=${prefix})
else()
  list(APPEND consumer_args -DTETHER_CONSUMER_MODE=subdir -DTETHER_RUNTIME_DIR=${RUNTIME_DIR})
endif()
run(${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${WORK_DIR}/consumer-build ${consumer_args})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/consumer-build -j2)
run(${WORK_DIR}/consumer-build/tether_consumer)
if(NOT LAST_OUTPUT MATCHES "consumer ok")
  message(FATAL_ERROR "unexpected consumer output: ${LAST_OUTPUT}")
endif()
message(STATUS "${MODE}: ${LAST_OUTPUT}")
