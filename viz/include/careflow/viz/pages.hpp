// The pages made from results files: the animation of care flows for workshops and the report
// planners present. Each is one self-contained HTML file (script, styles and data inline; no
// network), built from the templates under viz/web/ and the data of one or two run files.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "careflow/io/hdf5_reader.hpp"

namespace careflow::viz {

struct AnimationOptions {
  std::string start_date;        // "YYYY-MM-DD": the calendar date the reported period starts; "" shows year and week only
  std::size_t video_frames = 0;  // > 0: a page that renders this many frames at load (for video export)
};

/// The animation page for one run, or two side by side on the same clock (`runs` has 1 or 2).
/// Uses replication 0 of each file (its tracked people, queues, spending and step changes).
std::string animation_html(const std::vector<io::StoredRun>& runs, const AnimationOptions& opt = {});

/// A reference value planners compare an indicator with, and which way is better.
struct Target {
  double value = 0;
  bool higher_is_better = true;
  std::string source;
};

/// England reference values for the model's indicators (from the calibration notes); a
/// report shows each indicator against these unless told otherwise.
std::map<std::string, Target> default_targets();

/// The report for one run (`other` null) or a comparison of two: `other` against `base`,
/// paired by replication when both used the same seed and number of replications.
std::string report_html(const io::StoredRun& base, const io::StoredRun* other, const std::map<std::string, Target>& targets);

struct VideoOptions {
  double seconds = 20;  // length of the video
  int fps = 15;         // frames per second
  std::string chromium;  // program; "" = $CAREFLOW_CHROMIUM, then chromium / chromium-browser / google-chrome on PATH
  std::string ffmpeg;    // program; "" = $CAREFLOW_FFMPEG, then ffmpeg on PATH
};

/// A tool the video export needs is missing (the message says which and how to install it).
class MissingTool : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Throws MissingTool (saying what to install) unless chromium and ffmpeg are found; meant to be
/// called before anything is written.
void check_video_tools(const VideoOptions& opt);

/// Renders the animation frame by frame in headless chromium and encodes each output with
/// ffmpeg: ".mp4" (H.264) or ".gif" (by the extension). Each output is written atomically
/// (support::AtomicFile: ffmpeg writes the temporary, which is renamed onto the output).
void render_video(const std::vector<io::StoredRun>& runs, const AnimationOptions& anim, const VideoOptions& opt,
                  const std::vector<std::string>& outputs);

}  // namespace careflow::viz
