# ctest driver for runtime.tsan / runtime.asan_ubsan: configure a separate
# build of just runtime + its test suites (standalone/) with FLAGS, build it
# with -j2 and run its tests. Any sanitizer report fails a test: TSan exits
# non-zero on a report (halt_on_error), ASan aborts, UBSan has
# -fno-sanitize-recover=all.
foreach(v FLAGS STANDALONE_DIR WORK_DIR)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "sanitizer_check.cmake: ${v} is not set")
  endif()
endforeach()
file(MAKE_DIRECTORY ${WORK_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} -S ${STANDALONE_DIR} -B ${WORK_DIR}
  -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS=${FLAGS}"
  "-DCMAKE_EXE_LINKER_FLAGS=${FLAGS}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configure failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR} -j2 RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "build failed")
endif()
set(ENV{TETHER_STRESS_SCALE} 20)
set(ENV{TETHER_TEST_WATCHDOG_MS} 120000)
set(ENV{TSAN_OPTIONS} "halt_on_error=1 second_deadlock_stack=1")
set(ENV{ASAN_OPTIONS} "detect_leaks=1:abort_on_error=1")
set(ENV{UBSAN_OPTIONS} "print_stacktrace=1:halt_on_error=1")
execute_process(COMMAND ${CMAKE_CTEST_COMMAND} --test-dir ${WORK_DIR} --output-on-failure -j2
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "sanitizer test run failed (${FLAGS})")
endif()
