#include "careflow/support/output_plan.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <system_error>
#include <utility>

#include "careflow/support/atomic_file.hpp"

namespace careflow::support {
namespace {

namespace fs = std::filesystem;

// Where a path is in the file system: its device and inode when it exists, and its canonical
// path (links in the existing part resolved) in any case.
struct Identity {
  bool exists = false;
  dev_t dev = 0;
  ino_t ino = 0;
  fs::path canonical;
};

Identity identify(const fs::path& p) {
  Identity id;
  std::error_code ec;
  const fs::path absolute = fs::absolute(p, ec);
  id.canonical = fs::weakly_canonical(absolute, ec);
  if (ec) id.canonical = absolute.lexically_normal();
  if (!id.canonical.has_filename() && id.canonical.has_parent_path()) id.canonical = id.canonical.parent_path();  // "x/"
  struct stat st {};
  if (::stat(p.c_str(), &st) == 0) {
    id.exists = true;
    id.dev = st.st_dev;
    id.ino = st.st_ino;
  }
  return id;
}

bool same(const Identity& a, const Identity& b) {
  if (a.exists && b.exists) return a.dev == b.dev && a.ino == b.ino;
  return a.canonical == b.canonical;
}

// Whether `inner` lies somewhere below the folder `outer`.
bool inside(const Identity& inner, const Identity& outer) {
  for (fs::path up = inner.canonical.parent_path();; up = up.parent_path()) {
    if (outer.exists) {
      struct stat st {};
      if (::stat(up.c_str(), &st) == 0 && st.st_dev == outer.dev && st.st_ino == outer.ino) return true;
    } else if (up == outer.canonical) {
      return true;
    }
    if (up == up.root_path() || up.empty()) return false;
  }
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

}  // namespace

void OutputPlan::input(std::string role, std::string path) {
  if (!path.empty()) entries_.push_back({Kind::Input, std::move(role), std::move(path), {}});
}
void OutputPlan::file(std::string role, std::string path) {
  entries_.push_back({Kind::File, std::move(role), std::move(path), {}});
}
void OutputPlan::folder(std::string role, std::string path, std::string extension) {
  entries_.push_back({Kind::Folder, std::move(role), std::move(path), std::move(extension)});
}
void OutputPlan::workspace(std::string role, std::string path) {
  entries_.push_back({Kind::Workspace, std::move(role), std::move(path), {}});
}

void OutputPlan::check() const {
  // Each output's own policy first (it also resolves links to the file that will be replaced).
  std::vector<Identity> ids;
  for (const Entry& e : entries_) {
    fs::path where = e.path;
    try {
      if (e.kind == Kind::File) where = check_output_path(e.path);
      if (e.kind == Kind::Folder) where = check_output_folder(e.path, e.extension);
    } catch (const OutputError& error) {
      throw OutputError(e.path, error.reason() + " (" + e.role + ")");
    }
    ids.push_back(identify(where));
  }
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Entry& out = entries_[i];
    if (out.kind == Kind::Input) continue;
    for (std::size_t j = 0; j < entries_.size(); ++j) {
      const Entry& other = entries_[j];
      if (j == i || !same(ids[i], ids[j])) continue;
      if (other.kind == Kind::Input)
        throw OutputError(out.path, out.role + " would replace " + other.role + " " + quoted(other.path) +
                                        ", which this command reads: give the output another name");
      if (j < i)
        throw OutputError(out.path, out.role + " and " + other.role + " name the same file: give each output its own name");
    }
  }
  // A folder replaced whole (or the journal, removed at the end) must hold nothing else of the command.
  for (std::size_t f = 0; f < entries_.size(); ++f) {
    const Entry& folder = entries_[f];
    if (folder.kind != Kind::Folder && folder.kind != Kind::Workspace) continue;
    const char* fate = folder.kind == Kind::Folder ? "careflow replaces that folder as a whole" : "careflow removes that folder at the end";
    for (std::size_t k = 0; k < entries_.size(); ++k) {
      const Entry& e = entries_[k];
      if (k == f || !inside(ids[k], ids[f])) continue;
      if (e.kind == Kind::Input)
        throw OutputError(folder.path, folder.role + " holds " + e.role + " " + quoted(e.path) + ", which this command reads; " +
                                           fate + ": give another folder");
      throw OutputError(e.path, e.role + " is inside " + folder.role + " " + quoted(folder.path) + "; " + fate +
                                    ": put it elsewhere");
    }
  }
}

}  // namespace careflow::support
