// libFuzzer target over the scenario loader and checks: any bytes, read as a scenario file,
// must either load and pass validate_scenario or be refused with a ScenarioError. Anything
// else -- another exception, a crash, a sanitizer report, a hang -- is a bug.
//
// `extend:` paths resolve against the scenarios/ folder of the source tree, so inputs can
// extend the real default and seed scenarios.
#include <cstddef>
#include <cstdint>
#include <string>

#include "careflow/models/scenario.hpp"
#include "careflow/models/scenario_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace models = careflow::models;
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const models::Scenario s = models::parse_scenario(text, "fuzz.yaml", CAREFLOW_FUZZ_BASE_DIR);
    (void)models::validate_scenario(s);
    (void)models::traffic_equations(s);
    (void)models::estimate_run(s);
  } catch (const models::ScenarioError&) {
    // Refused with file, line and field: the expected outcome for bad input.
  }
  return 0;
}
