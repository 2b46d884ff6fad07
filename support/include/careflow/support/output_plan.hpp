// The paths one command reads and writes, checked together before it does any work
// (docs/reliability.md, "Outputs"). Each output passes the path policy of atomic_file.hpp on
// its own; together:
// - no output is the same file as an input of the command (`run s.yaml --out s.yaml`,
//   `report r.h5 --out r.h5`): writing it would destroy what is being read;
// - no two outputs are the same file (`--xlsx a.xlsx` and `--out a.xlsx`);
// - nothing the command reads or writes lies inside an output folder, which is replaced whole.
// "The same file" is decided by the file system's identity (device and inode) where the file
// exists, so links, hard links and `./x` against `x` are caught, and by the canonical path
// where it does not exist yet.
#pragma once

#include <string>
#include <vector>

namespace careflow::support {

class OutputPlan {
 public:
  /// `role` names the path in messages: "the scenario", "--out", "--compare".
  void input(std::string role, std::string path);
  /// A file written with AtomicFile.
  void file(std::string role, std::string path);
  /// A folder written with AtomicFolder, of files ending in `extension`.
  void folder(std::string role, std::string path, std::string extension);
  /// A folder the command manages itself (the sweep journal): only kept apart from the rest.
  void workspace(std::string role, std::string path);

  /// Throws OutputError, naming the path and its role (and the other path's), at the first rule
  /// broken: an output's own path policy, then the rules above.
  void check() const;

 private:
  enum class Kind { Input, File, Folder, Workspace };
  struct Entry {
    Kind kind;
    std::string role;
    std::string path;
    std::string extension;
  };
  std::vector<Entry> entries_;
};

}  // namespace careflow::support
