// How the commands write figures in their tables: numbers with a fixed number of decimals,
// intervals ("mean ± half-width"), signed differences, money in £ (and £m) and file sizes.
// "–" stands for a figure that is undefined (NaN) or has no replications.
#pragma once

#include <cstddef>
#include <string>

#include "careflow/engine/statistics.hpp"

namespace careflow::app {

/// `x` with `decimals` decimals; "–" for NaN.
std::string number(double x, int decimals);
/// Decimals to show a figure in `unit` of about `value`: none for £ and from 1000, 1 from 10, else 2.
int decimals_for(const std::string& unit, double value);
/// "mean ± half-width" (the mean alone from one replication); "–" when undefined.
std::string ci_text(const ConfidenceInterval& ci, int decimals);
/// A difference: "+mean ± half-width" with decimals_for(unit); "–" when undefined.
std::string signed_ci(const ConfidenceInterval& ci, const std::string& unit);
/// Money: "£1234", or "£1.23m" from £1m, as "mean ± half-width"; "–" when undefined.
std::string money(const ConfidenceInterval& ci);
/// A file's size: "12 kB", or "1.2 MB" from 1 MiB.
std::string size_text(std::size_t bytes);

}  // namespace careflow::app
