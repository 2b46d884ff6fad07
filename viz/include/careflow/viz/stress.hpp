// The STRESS-DES description of a simulation study (Monks et al. 2019, "Strengthening the
// reporting of empirical simulation studies: Introducing the STRESS guidelines", Journal of
// Simulation 13(1)), generated from a results file: the scenario as run and the run's metadata.
#pragma once

#include <string>

#include "careflow/io/hdf5_reader.hpp"

namespace careflow::viz {

/// Markdown with the STRESS-DES sections 1 Objectives, 2 Logic, 3 Data, 4 Experimentation,
/// 5 Implementation and 6 Code access. Throws models::ScenarioError if the stored scenario
/// text no longer reads.
std::string stress_report(const io::StoredRun& run);

}  // namespace careflow::viz
