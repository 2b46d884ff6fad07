# ctest cmake_package_consumer (cmake -P): careflow installed into WORK_DIR/prefix with
# `cmake --install`; the installed program validates the embedded default scenario; then the
# project in SOURCE_DIR, which knows careflow only through find_package(careflow CONFIG REQUIRED)
# (with the component engine_mpi when MPI is ON), is configured and built (every library's
# headers), and its program must print the pinned events and fingerprint of the default
# scenario's replication 0 over 6 years (GOLDEN, tests/golden/fingerprints.txt).
foreach(var BUILD_DIR WORK_DIR SOURCE_DIR GENERATOR CXX_COMPILER GOLDEN)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_package.cmake: -D${var}=... is required")
  endif()
endforeach()

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}")
  endif()
  set(output "${out}" PARENT_SCOPE)
endfunction()

set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
set(config_args)
if(CONFIG)
  set(config_args --config ${CONFIG})
endif()
run("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix} ${config_args})
run("the installed careflow program" ${prefix}/bin/careflow validate)

set(compilers -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
if(C_COMPILER)
  list(APPEND compilers -DCMAKE_C_COMPILER=${C_COMPILER})
endif()
if(NOT DEFINED MPI)
  set(MPI OFF)
endif()
run("configuring the consumer" ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build -G ${GENERATOR}
    -DCMAKE_BUILD_TYPE=${CONFIG} ${compilers} -DCMAKE_PREFIX_PATH=${prefix} -DCONSUMER_MPI=${MPI})
run("building the consumer" ${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run("the consumer" ${WORK_DIR}/build/consumer)
message(STATUS "consumer: ${output}")

file(STRINGS ${GOLDEN} pinned REGEX "^default_6y_r0 ")
if(NOT pinned)
  message(FATAL_ERROR "no default_6y_r0 line in ${GOLDEN}")
endif()
string(FIND "${output}" "${pinned}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "the consumer printed\n  ${output}\nnot the pinned\n  ${pinned}")
endif()
file(REMOVE_RECURSE ${WORK_DIR})
