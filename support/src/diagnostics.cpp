#include "careflow/support/diagnostics.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <mutex>

namespace careflow::support {

void diagnostic(std::string_view text) noexcept {
  static std::mutex one_at_a_time;
  std::unique_lock<std::mutex> lock(one_at_a_time, std::defer_lock);
  try {
    lock.lock();
  } catch (...) {  // a mutex that cannot be locked: write anyway, a line may then interleave
  }
  // SIGPIPE is blocked around the write (it is sent to the writing thread), and one the write
  // raised is taken off the pending set before unblocking; one already pending is left alone.
  sigset_t pipe, old, pending;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  const bool masked = ::pthread_sigmask(SIG_BLOCK, &pipe, &old) == 0;
  const bool was_pending = masked && ::sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
  int err = 0;
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      err = n < 0 ? errno : EIO;
      break;  // closed, full, gone: the message is dropped
    }
  }
  if (masked) {
    if (err == EPIPE && !was_pending) {
      const timespec now{0, 0};
      while (::sigtimedwait(&pipe, nullptr, &now) < 0 && errno == EINTR) {
      }
    }
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }
}

void open_standard_streams() noexcept {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    const int opened = ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    // open() returns the lowest free descriptor, which is `fd` since the lower ones are open.
    if (opened >= 0 && opened != fd) {
      ::dup2(opened, fd);
      ::close(opened);
    }
  }
}

}  // namespace careflow::support
