// The seam between the care model and everything that reads its output (STYLE practice 9):
// the model hands each record to a Recorder as it happens and never holds an output container.
// Back ends: MemoryRecorder (what `careflow run` keeps in a ReplicationResult, then writes to
// HDF5, workbooks, pages), with a Keep mask that is also how `--no-records` works (weekly series
// only), and NullRecorder (nothing: benchmarks, calibration). A streaming back end (records to
// disk as they happen) is another subclass; the model does not change.
#pragma once

#include <cstdint>
#include <span>

#include "careflow/models/results.hpp"

namespace careflow::models {

class Recorder {
 public:
  /// What a recorder keeps: the model does not build records nobody keeps.
  struct Keep {
    bool episodes = true;
    bool step_changes = true;
    bool delays = true;
    bool tracks = true;
    bool series = true;
  };
  /// Figures and weekly series only (`careflow run --no-records`: very large runs).
  static constexpr Keep kSeriesOnly{false, false, false, false, true};
  static constexpr Keep kNothing{false, false, false, false, false};
  /// Handle of a delay that was not recorded (delay_ended is then not called).
  static constexpr std::int32_t kNoDelay = -2;

  virtual ~Recorder() = default;
  virtual Keep keeps() const noexcept = 0;
  virtual void episode(const EpisodeRecord& r) = 0;
  virtual void step_change(const StepChangeRecord& r) = 0;
  /// A delayed transfer of care began (r.end is NaN); returns a handle for delay_ended.
  virtual std::int32_t delay_began(const DelayRecord& r) = 0;
  virtual void delay_ended(std::int32_t handle, double end) = 0;
  virtual void track(const TrackPoint& p) = 0;
  /// The week ending at `time`: one row per service, in scenario order.
  virtual void week(double time, std::span<const WeekRow> services) = 0;
};

/// Keeps what `keep` asks for in a ReplicationResult's records and series.
class MemoryRecorder final : public Recorder {
 public:
  MemoryRecorder(ReplicationResult& out, Keep keep) : out_(out), keep_(keep) {}
  Keep keeps() const noexcept override { return keep_; }
  void episode(const EpisodeRecord& r) override { out_.episodes.push_back(r); }
  void step_change(const StepChangeRecord& r) override { out_.step_changes.push_back(r); }
  std::int32_t delay_began(const DelayRecord& r) override {
    out_.delays.push_back(r);
    return static_cast<std::int32_t>(out_.delays.size() - 1);
  }
  void delay_ended(std::int32_t handle, double end) override { out_.delays[static_cast<std::size_t>(handle)].end = end; }
  void track(const TrackPoint& p) override { out_.tracks.push_back(p); }
  void week(double time, std::span<const WeekRow> services) override {
    Series& se = out_.series;
    se.services = services.size();
    se.time_days.push_back(time);
    for (const SeriesColumn& c : kSeriesColumns)
      for (const WeekRow& row : services) (se.*c.values).push_back(row.*c.row);
  }

 private:
  ReplicationResult& out_;
  Keep keep_;
};

/// Keeps nothing.
class NullRecorder final : public Recorder {
 public:
  Keep keeps() const noexcept override { return kNothing; }
  void episode(const EpisodeRecord&) override {}
  void step_change(const StepChangeRecord&) override {}
  std::int32_t delay_began(const DelayRecord&) override { return kNoDelay; }
  void delay_ended(std::int32_t, double) override {}
  void track(const TrackPoint&) override {}
  void week(double, std::span<const WeekRow>) override {}
};

}  // namespace careflow::models
