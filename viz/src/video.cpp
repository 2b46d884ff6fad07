// Video export: the animation page rendered frame by frame in headless chromium (each frame a
// PNG of its canvas, left in the DOM that chromium dumps), then encoded with ffmpeg. Frames
// are drawn at fixed simulated times, so the video depends only on the results files.
#include <fmt/core.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "careflow/support/atomic_file.hpp"
#include "careflow/viz/pages.hpp"

namespace careflow::viz {
namespace {

namespace fs = std::filesystem;

std::string find_program(const std::string& given, const char* env, const std::vector<std::string>& names) {
  auto executable = [](const fs::path& p) { return access(p.c_str(), X_OK) == 0 && !fs::is_directory(p); };
  std::vector<std::string> candidates;
  if (!given.empty()) candidates.push_back(given);
  else if (const char* e = std::getenv(env); e && *e) candidates.push_back(e);
  else candidates = names;
  const char* path = std::getenv("PATH");
  for (const std::string& c : candidates) {
    if (c.find('/') != std::string::npos) {
      if (executable(c)) return c;
      continue;
    }
    std::stringstream dirs(path ? path : "/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':'))
      if (!dir.empty() && executable(fs::path(dir) / c)) return (fs::path(dir) / c).string();
  }
  return "";
}

// Runs argv with stdout and stderr sent to files; returns the exit status (-1 if it could not start).
int run_program(const std::vector<std::string>& argv, const fs::path& out, const fs::path& err) {
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    const int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int in = open("/dev/null", O_RDONLY);
    if (o < 0 || e < 0 || in < 0) _exit(127);
    dup2(in, 0);
    dup2(o, 1);
    dup2(e, 2);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

std::string tail_of(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  std::string t = s.str();
  if (t.size() > 600) t = "…" + t.substr(t.size() - 600);
  return t;
}

std::string base64_decode(const std::string& in) {
  static int table[256];
  static bool ready = false;
  if (!ready) {
    for (int& x : table) x = -1;
    const std::string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (std::size_t i = 0; i < chars.size(); ++i) table[static_cast<unsigned char>(chars[i])] = static_cast<int>(i);
    ready = true;
  }
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    const int v = table[static_cast<unsigned char>(c)];
    if (v < 0) continue;  // padding, line breaks
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

// Removes a temporary folder on every way out.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "careflow-video-XXXXXX").string();
    if (!mkdtemp(templ.data())) throw std::runtime_error("cannot create a temporary folder for the video frames");
    path = templ;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace

namespace {

struct Tools {
  std::string chromium, ffmpeg;
};

Tools find_tools(const VideoOptions& opt) {
  Tools t;
  t.chromium = find_program(opt.chromium, "CAREFLOW_CHROMIUM", {"chromium", "chromium-browser", "google-chrome"});
  if (t.chromium.empty())
    throw MissingTool("video export needs a headless chromium: install the Debian package `chromium` "
                      "(or set CAREFLOW_CHROMIUM to the browser's path)");
  t.ffmpeg = find_program(opt.ffmpeg, "CAREFLOW_FFMPEG", {"ffmpeg"});
  if (t.ffmpeg.empty())
    throw MissingTool("video export needs ffmpeg: install the Debian package `ffmpeg` (or set CAREFLOW_FFMPEG to its path)");
  return t;
}

}  // namespace

void check_video_tools(const VideoOptions& opt) { find_tools(opt); }

void render_video(const std::vector<io::StoredRun>& runs, const AnimationOptions& anim, const VideoOptions& opt,
                  const std::vector<std::string>& outputs) {
  for (const std::string& o : outputs) {
    const std::string ext = fs::path(o).extension().string();
    if (ext != ".mp4" && ext != ".gif") throw std::invalid_argument("--video " + o + ": give a file ending in .mp4 or .gif");
    support::check_output_path(o);
  }
  const Tools tools = find_tools(opt);
  const std::string& chromium = tools.chromium;
  const std::string& ffmpeg = tools.ffmpeg;
  if (!(opt.seconds > 0) || opt.fps < 1) throw std::invalid_argument("the video needs a positive length and frame rate");

  TempDir tmp;
  AnimationOptions a = anim;
  a.video_frames = static_cast<std::size_t>(std::max(2.0, std::round(opt.seconds * opt.fps)));
  const fs::path page = tmp.path / "video.html";
  {
    std::ofstream f(page, std::ios::binary);
    f << animation_html(runs, a);
    if (!f) throw std::runtime_error("cannot write " + page.string());
  }
  const fs::path dom = tmp.path / "dom.html", log = tmp.path / "chromium.log";
  std::vector<std::string> args = {chromium, "--headless", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                                   "--disable-extensions", "--disable-background-networking", "--mute-audio",
                                   "--user-data-dir=" + (tmp.path / "profile").string(), "--window-size=1920,1080"};
  if (geteuid() == 0) args.push_back("--no-sandbox");  // chromium refuses to run as root with its sandbox
  args.push_back("--dump-dom");
  args.push_back("file://" + fs::absolute(page).string());
  const int rc = run_program(args, dom, log);
  if (rc != 0) throw std::runtime_error(fmt::format("{} failed (exit status {}): {}", chromium, rc, tail_of(log)));
  std::string text;
  {
    std::ifstream f(dom, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    text = s.str();
  }
  const std::string begin = "CAREFLOW-FRAMES-BEGIN", end = "CAREFLOW-FRAMES-END";
  const auto b = text.find(begin), e = text.find(end);
  if (b == std::string::npos || e == std::string::npos || e < b)
    throw std::runtime_error("chromium did not render the frames (is it a working headless chromium?): " + tail_of(log));
  std::stringstream lines(text.substr(b + begin.size(), e - b - begin.size()));
  std::string line;
  std::size_t n = 0;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    std::ofstream f(tmp.path / fmt::format("frame{:05d}.png", n++), std::ios::binary);
    f << base64_decode(line);
  }
  if (n != a.video_frames) throw std::runtime_error(fmt::format("chromium rendered {} frames of {}", n, a.video_frames));

  for (const std::string& o : outputs) {
    const std::string ext = fs::path(o).extension().string();
    support::AtomicFile out(o);  // removed unless committed: ffmpeg failing leaves nothing
    // The format is named (-f), since the temporary's name does not end in the output's extension.
    std::vector<std::string> cmd = {ffmpeg, "-y", "-nostdin", "-loglevel", "error", "-framerate", std::to_string(opt.fps),
                                    "-i", (tmp.path / "frame%05d.png").string()};
    if (ext == ".mp4") {
      for (const char* x : {"-c:v", "libx264", "-pix_fmt", "yuv420p", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-movflags", "+faststart",
                            "-f", "mp4"})
        cmd.emplace_back(x);
    } else {
      cmd.emplace_back("-vf");
      cmd.emplace_back("scale=960:-1:flags=lanczos,split[a][b];[a]palettegen=max_colors=128[p];[b][p]paletteuse");
      cmd.emplace_back("-f");
      cmd.emplace_back("gif");
    }
    cmd.push_back(out.temporary_path().string());
    const fs::path flog = tmp.path / "ffmpeg.log";
    const int frc = run_program(cmd, tmp.path / "ffmpeg.out", flog);
    if (frc != 0) throw std::runtime_error(fmt::format("{}: ffmpeg failed (exit status {}): {}", o, frc, tail_of(flog)));
    out.commit();
  }
}

}  // namespace careflow::viz
