#include "mpi_sweep.hpp"

#include <mpi.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "careflow/engine/bytes.hpp"

namespace careflow::app {
namespace {

// Messages: worker -> rank 0
constexpr int kRequest = 1;  // give me a task (empty)
constexpr int kResult = 2;   // a finished task (and give me another): task, events, fingerprint, values
constexpr int kFailed = 3;   // this rank failed (the message as text); no reply
constexpr int kDone = 4;     // this rank has stopped (empty)
// rank 0 -> worker
constexpr int kTask = 10;    // compute this task (one uint64)
constexpr int kNoMore = 11;  // nothing more for that request

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  return end && *end == '\0' ? static_cast<int>(x) : fallback;
}

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw std::runtime_error(std::string("MPI call failed: ") + what);
}

void idle() { std::this_thread::sleep_for(std::chrono::microseconds(500)); }

// The hidden test hook: CAREFLOW_TEST_FAIL_RANK=R makes rank R throw after its first finished task.
void maybe_fail(int rank) {
  static std::atomic<int> finished{0};
  if (env_int("CAREFLOW_TEST_FAIL_RANK", -1) != rank) return;
  if (finished.fetch_add(1) >= 1)
    throw std::runtime_error("CAREFLOW_TEST_FAIL_RANK=" + std::to_string(rank) + ": failing on purpose after the first replication");
}

// Computes tasks on `threads` threads; the MPI thread feeds it and collects what it finished.
class Pool {
 public:
  struct Out {
    std::size_t task = 0;
    models::SweepTaskResult result;
    std::string error;  // non-empty: the task threw
  };

  Pool(const models::SweepPlan* plan, unsigned threads, int rank) : plan_(plan), rank_(rank) {
    for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
  }
  unsigned size() const { return static_cast<unsigned>(threads_.size()); }
  void push(std::size_t task) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      in_.push_back(task);
      ++busy_;
    }
    cv_.notify_one();
  }
  std::optional<Out> pop() {
    std::lock_guard<std::mutex> lock(mu_);
    if (out_.empty()) return std::nullopt;
    Out o = std::move(out_.front());
    out_.pop_front();
    --busy_;
    return o;
  }
  unsigned busy() const {
    std::lock_guard<std::mutex> lock(mu_);
    return busy_;
  }

 private:
  void work() {
    for (;;) {
      std::size_t task = 0;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !in_.empty(); });
        if (stop_) return;
        task = in_.front();
        in_.pop_front();
      }
      Out o;
      o.task = task;
      try {
        maybe_fail(rank_);
        o.result = models::run_sweep_task(*plan_, task);
      } catch (const std::exception& e) {
        o.error = e.what();
        if (o.error.empty()) o.error = "unknown error";
      } catch (...) {
        o.error = "unknown error";
      }
      std::lock_guard<std::mutex> lock(mu_);
      out_.push_back(std::move(o));
    }
  }

  const models::SweepPlan* plan_;
  int rank_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::size_t> in_;
  std::deque<Out> out_;
  unsigned busy_ = 0;  // pushed and not yet popped
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

// A finished task as a kResult message: task, events, fingerprint, the counted figures.
std::vector<char> pack(std::size_t task, const models::SweepTaskResult& r) {
  std::vector<char> buf;
  ByteWriter w(buf);
  w.pod<std::uint64_t>(task);
  w.pod(r.events);
  w.pod(r.fingerprint);
  w.pods(r.values);
  return buf;
}

std::size_t unpack(const std::vector<char>& buf, models::SweepTaskResult& r) {
  ByteReader in(buf);
  const auto task = in.pod<std::uint64_t>();
  r.events = in.pod<std::uint64_t>();
  r.fingerprint = in.pod<std::uint64_t>();
  r.values = in.pods<double>();
  if (!in.done()) throw std::runtime_error("a result message of the wrong size");
  return task;
}

std::vector<char> receive(const MPI_Status& st) {
  int n = 0;
  check(MPI_Get_count(&st, MPI_BYTE, &n), "MPI_Get_count");
  std::vector<char> buf(static_cast<std::size_t>(n) + 1);
  check(MPI_Recv(buf.data(), n, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
  buf.resize(static_cast<std::size_t>(n));
  return buf;
}

void send(int to, int tag, const void* data, std::size_t bytes) {
  check(MPI_Send(data, static_cast<int>(bytes), MPI_BYTE, to, tag, MPI_COMM_WORLD), "MPI_Send");
}

std::string rank_text(int rank, int size) { return "rank " + std::to_string(rank) + " of " + std::to_string(size); }

}  // namespace

int launch_rank() {
  for (const char* v : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"}) {
    const int r = env_int(v, -1);
    if (r >= 0) return r;
  }
  return 0;
}

int launch_size() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}) {
    const int s = env_int(v, -1);
    if (s >= 1) return s;
  }
  return 1;
}

bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(v)) return true;
  return false;
}

MpiSession::MpiSession() {
  int provided = 0;
  // Only the main thread calls MPI; compute threads never do.
  check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
  MPI_Comm local;
  int local_size = 1;
  if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local) == MPI_SUCCESS) {
    MPI_Comm_size(local, &local_size);
    MPI_Comm_free(&local);
  }
  cpu_set_t set;
  int allowed = static_cast<int>(std::thread::hardware_concurrency());
  if (sched_getaffinity(0, sizeof set, &set) == 0) allowed = CPU_COUNT(&set);  // mpirun may bind a rank to its cores
  const int machine = static_cast<int>(std::thread::hardware_concurrency());
  const int share = machine / std::max(local_size, 1);
  default_threads_ = static_cast<unsigned>(std::max(1, std::min(allowed, share)));
}

namespace {
std::optional<MpiSession> g_session;
}

const MpiSession& mpi_session() {
  if (!g_session) g_session.emplace();
  return *g_session;
}

// Waits for a non-blocking collective without spinning: a blocking MPI call busy-polls a core,
// which a rank waiting for rank 0's last replication would take from the ranks still computing.
void wait_idly(MPI_Request& req) {
  for (int flag = 0;;) {
    check(MPI_Test(&req, &flag, MPI_STATUS_IGNORE), "MPI_Test");
    if (flag) return;
    idle();
  }
}

void mpi_finalize() {
  if (!g_session) return;
  MPI_Request req;
  if (MPI_Ibarrier(MPI_COMM_WORLD, &req) == MPI_SUCCESS) wait_idly(req);
  MPI_Finalize();
  g_session.reset();
}

int broadcast_status(int status) {
  MPI_Request req;
  check(MPI_Ibcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD, &req), "MPI_Ibcast");
  wait_idly(req);
  return status;
}

models::SweepExecutor mpi_coordinator(const MpiSession& mpi, unsigned threads, bool root_works) {
  const int size = mpi.size();
  return [size, threads, root_works](const models::SweepPlan& plan, const std::vector<std::size_t>& todo,
                                     const models::SweepTaskDone& done) {
    std::size_t next = 0;
    std::string failure;  // the first failure, naming its rank
    auto fail = [&](int rank, const std::string& why) {
      if (failure.empty()) failure = rank_text(rank, size) + " failed: " + why;
    };
    auto take = [&]() -> std::optional<std::size_t> {
      if (!failure.empty() || next == todo.size()) return std::nullopt;
      return todo[next++];
    };
    auto finish = [&](int rank, std::size_t task, models::SweepTaskResult&& r) {
      try {
        done(task, std::move(r));  // journal and progress, here on rank 0 only
      } catch (const std::exception& e) {
        fail(0, std::string("recording the result of ") + rank_text(rank, size) + ": " + e.what());
      }
    };
    auto reply = [&](int to) {
      if (const auto t = take()) {
        const std::uint64_t task = *t;
        send(to, kTask, &task, sizeof task);
      } else {
        send(to, kNoMore, nullptr, 0);
      }
    };

    std::optional<Pool> pool;
    if (root_works) pool.emplace(&plan, std::max(threads, 1u), 0);
    int running = size - 1;  // other ranks that have not said kDone
    for (;;) {
      bool busy = false;
      if (pool) {
        while (pool->busy() < pool->size())
          if (const auto t = take()) pool->push(*t);
          else break;
        while (auto o = pool->pop()) {
          busy = true;
          if (!o->error.empty()) fail(0, o->error);
          else finish(0, o->task, std::move(o->result));
        }
      }
      if (running == 0 && (!pool || pool->busy() == 0)) break;
      int flag = 0;
      MPI_Status st;
      if (running > 0) check(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st), "MPI_Iprobe");
      if (flag) {
        busy = true;
        const std::vector<char> msg = receive(st);
        const int from = st.MPI_SOURCE;
        switch (st.MPI_TAG) {
          case kRequest:
            reply(from);
            break;
          case kResult: {
            models::SweepTaskResult r;
            const std::size_t task = unpack(msg, r);
            finish(from, task, std::move(r));
            reply(from);
            break;
          }
          case kFailed:
            fail(from, std::string(msg.begin(), msg.end()));
            break;
          case kDone:
            --running;
            break;
          default:
            fail(from, "an unexpected message (tag " + std::to_string(st.MPI_TAG) + ")");
        }
      }
      if (!busy) idle();
    }
    pool.reset();
    if (!failure.empty()) throw std::runtime_error(failure);
  };
}

int mpi_worker(const MpiSession& mpi, unsigned threads, const std::function<models::SweepPlan()>& plan_or_error) {
  const int rank = mpi.rank();
  models::SweepPlan plan;
  try {
    plan = plan_or_error();
  } catch (const std::exception& e) {
    const std::string why = std::string("preparing the sweep: ") + e.what();
    send(0, kFailed, why.data(), why.size());
    send(0, kDone, nullptr, 0);
    return 1;
  }
  Pool pool(&plan, std::max(threads, 1u), rank);
  unsigned open = pool.size();  // request slots rank 0 has not closed with kNoMore
  for (unsigned i = 0; i < open; ++i) send(0, kRequest, nullptr, 0);
  bool failed = false;
  while (open > 0 || pool.busy() > 0) {
    bool busy = false;
    while (auto o = pool.pop()) {
      busy = true;
      if (!o->error.empty()) {
        failed = true;
        send(0, kFailed, o->error.data(), o->error.size());
        --open;  // no reply comes to a failure
      } else {
        const std::vector<char> buf = pack(o->task, o->result);
        send(0, kResult, buf.data(), buf.size());
      }
    }
    int flag = 0;
    MPI_Status st;
    check(MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st), "MPI_Iprobe");
    if (flag) {
      busy = true;
      const std::vector<char> msg = receive(st);
      if (st.MPI_TAG == kTask && msg.size() == sizeof(std::uint64_t)) {
        pool.push(ByteReader(msg).pod<std::uint64_t>());
      } else {
        --open;  // kNoMore
      }
    }
    if (!busy) idle();
  }
  send(0, kDone, nullptr, 0);
  return failed ? 1 : 0;
}

}  // namespace careflow::app
