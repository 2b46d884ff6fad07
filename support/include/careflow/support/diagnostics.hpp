// careflow's messages on standard error — warnings, errors, a sweep's progress — are a
// courtesy: a standard error that is closed, on a full disk, or a pipe whose reader has gone
// must never end or change a run. They go through diagnostic(), which says nothing when the
// bytes cannot be written (no exception, no SIGPIPE), so the exit status stays the run's.
#pragma once

#include <string_view>

namespace careflow::support {

/// Writes `text` to standard error whole (lines of several threads are not interleaved), or
/// drops it when it cannot be written. Never throws; a SIGPIPE it causes is discarded.
void diagnostic(std::string_view text) noexcept;

/// Opens /dev/null on each of standard input, output and error that is closed, so that no file
/// careflow opens later gets descriptor 0, 1 or 2 (a message meant for standard error would
/// otherwise be written into an output). Call first thing in main().
void open_standard_streams() noexcept;

}  // namespace careflow::support
