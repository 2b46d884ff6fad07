// Every installed public header of the libraries beside careflow::models compiles in a project
// of its own, and the program links against them (tests/package/check_package.cmake).
#include "careflow/engine/parallel_executor.hpp"
#include "careflow/engine/sequential_executor.hpp"
#include "careflow/io/hdf5_reader.hpp"
#include "careflow/io/hdf5_results.hpp"
#include "careflow/sheets/results_tables.hpp"
#include "careflow/sheets/scenario_workbook.hpp"
#include "careflow/sheets/xlsx.hpp"
#include "careflow/viz/pages.hpp"
#include "careflow/viz/stress.hpp"
#ifdef CONSUMER_MPI
#include "careflow/engine_mpi/mpi_executor.hpp"
#endif

int main() { return 0; }
