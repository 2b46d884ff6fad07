// One replication of the embedded default scenario through the installed careflow::models,
// printed as tests/golden/fingerprints.txt pins it.
#include <cstdio>

#include "careflow/models/care_model.hpp"
#include "careflow/models/default_scenario.hpp"
#include "careflow/models/scenario_loader.hpp"

int main() {
  namespace cm = careflow::models;
  cm::CareRunOptions options;
  options.horizon_years = 6;
  const cm::Scenario s = cm::apply_options(cm::parse_scenario(cm::default_scenario_yaml(), cm::kDefaultScenarioName), options);
  const cm::ReplicationResult r = cm::run_replication(s, 0);
  std::printf("default_6y_r0 events=%llu fingerprint=0x%016llx\n", static_cast<unsigned long long>(r.events),
              static_cast<unsigned long long>(r.fingerprint));
  return 0;
}
