#include "careflow/engine/resource.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>

namespace careflow {

Resource::Resource(std::uint32_t capacity, QueueDiscipline discipline, std::uint32_t max_queue, SimTime start)
    : capacity_(capacity),
      discipline_(discipline),
      max_queue_(max_queue),
      stats_start_(start),
      units_(capacity),
      queue_level_(start),
      busy_level_(start),
      capacity_level_(start) {
  for (std::uint32_t u = 0; u < capacity; ++u) free_units_.insert(u);
  capacity_level_.set(start, capacity);
}

void Resource::occupy(SimTime now, std::uint32_t unit) {
  Unit& u = units_[unit];
  u.busy_since = now;
  ++busy_count_;
  ++started_;
  busy_level_.set(now, busy_count_);
}

Admission Resource::arrive(SimTime now, std::uint64_t customer, std::int32_t priority) {
  ++arrivals_;
  Admission a;
  if (!free_units_.empty()) {
    a.outcome = Admission::Outcome::Started;
    a.unit = take_free_unit();
    occupy(now, a.unit);
    waits_.add(0.0);
    return a;
  }
  if (waiting_ >= max_queue_) {
    ++balked_;
    a.outcome = Admission::Outcome::Balked;
    return a;
  }
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Waiting& w = slots_[slot];
  w.customer = customer;
  w.arrived = now;
  w.priority = priority;
  w.order = next_order_++;
  w.active = true;
  if (discipline_ == QueueDiscipline::Fifo) {
    fifo_.push_back(slot);
  } else {
    heap_.push_back({slot, w.generation, w.epoch, priority, w.order});
    std::push_heap(heap_.begin(), heap_.end(), served_after);
  }
  ++waiting_;
  queue_level_.set(now, static_cast<double>(waiting_));
  a.outcome = Admission::Outcome::Queued;
  a.ticket = QueueTicket{slot, w.generation};
  return a;
}

bool Resource::served_after(const HeapEntry& a, const HeapEntry& b) noexcept {
  return a.priority != b.priority ? a.priority > b.priority : a.order > b.order;
}

void Resource::free_slot(std::uint32_t slot) {
  ++slots_[slot].generation;  // stale tickets for this slot no longer match
  slots_[slot].active = false;
  free_slots_.push_back(slot);
}

std::optional<std::uint32_t> Resource::pop_next() {
  if (discipline_ == QueueDiscipline::Fifo) {
    while (!fifo_.empty()) {
      const std::uint32_t s = fifo_.front();
      fifo_.pop_front();
      if (slots_[s].active) return s;
      free_slot(s);  // a reneged customer's place, removed lazily
    }
    return std::nullopt;
  }
  while (!heap_.empty()) {
    std::pop_heap(heap_.begin(), heap_.end(), served_after);
    const HeapEntry e = heap_.back();
    heap_.pop_back();
    const Waiting& w = slots_[e.slot];
    if (w.generation != e.generation || w.epoch != e.epoch) continue;  // superseded by a later entry
    if (w.active) return e.slot;
    free_slot(e.slot);  // a reneged customer's place, removed lazily (by its current entry only)
  }
  return std::nullopt;
}

ServiceStart Resource::start_waiting(SimTime now, std::uint32_t slot, std::uint32_t unit) {
  const Waiting& w = slots_[slot];
  ServiceStart s{w.customer, unit, now - w.arrived};
  waits_.add(s.waited);
  --waiting_;
  queue_level_.set(now, static_cast<double>(waiting_));
  free_slot(slot);
  occupy(now, unit);
  return s;
}

std::optional<ServiceStart> Resource::release(SimTime now, std::uint32_t unit) {
  if (unit >= units_.size() || !units_[unit].busy())
    throw std::logic_error("Resource::release: unit " + std::to_string(unit) + " is not busy");
  Unit& u = units_[unit];
  u.busy_time += now - std::max(u.busy_since, stats_start_);
  u.busy_since = Unit::kIdle;
  --busy_count_;
  busy_level_.set(now, busy_count_);
  if (unit >= capacity_) return std::nullopt;  // a retired unit finishes its last customer
  if (waiting_ > 0) {
    if (auto slot = pop_next()) return start_waiting(now, *slot, unit);
  }
  free_units_.insert(unit);
  return std::nullopt;
}

bool Resource::renege(SimTime now, QueueTicket ticket) {
  if (ticket.slot >= slots_.size()) return false;
  Waiting& w = slots_[ticket.slot];
  if (!w.active || w.generation != ticket.generation) return false;
  w.active = false;  // its place in the queue container is dropped when reached
  --waiting_;
  ++reneged_;
  queue_level_.set(now, static_cast<double>(waiting_));
  return true;
}

bool Resource::reprioritise(QueueTicket ticket, std::int32_t priority) {
  if (ticket.slot >= slots_.size()) return false;
  Waiting& w = slots_[ticket.slot];
  if (!w.active || w.generation != ticket.generation) return false;
  if (discipline_ != QueueDiscipline::Priority || w.priority == priority) return true;
  w.priority = priority;
  ++w.epoch;
  heap_.push_back({ticket.slot, w.generation, w.epoch, priority, w.order});
  std::push_heap(heap_.begin(), heap_.end(), served_after);
  return true;
}

void Resource::set_capacity(SimTime now, std::uint32_t capacity, std::vector<ServiceStart>& started) {
  if (capacity < capacity_) {
    free_units_.erase_from(capacity);
  } else if (units_.size() < capacity) {
    units_.resize(capacity);
  }
  for (std::uint32_t u = capacity_; u < capacity; ++u) {
    if (units_[u].busy()) continue;  // retired earlier, still finishing: joins when released
    free_units_.insert(u);
  }
  capacity_ = capacity;
  capacity_level_.set(now, capacity);
  while (waiting_ > 0 && !free_units_.empty()) {
    auto slot = pop_next();
    if (!slot) break;
    started.push_back(start_waiting(now, *slot, take_free_unit()));
  }
}

void Resource::reset_statistics(SimTime now) {
  stats_start_ = now;
  waits_.reset();
  queue_level_.reset(now);
  busy_level_.reset(now);
  capacity_level_.reset(now);
  arrivals_ = balked_ = reneged_ = started_ = 0;
  for (Unit& u : units_) {
    u.busy_time = 0;
  }
}

double Resource::utilisation(SimTime now) const noexcept {
  const double available = capacity_level_.area(now);
  return available > 0 ? busy_level_.area(now) / available : 0.0;
}

double Resource::unit_utilisation(std::uint32_t unit, SimTime now) const {
  const Unit& u = units_.at(unit);
  const double span = now - stats_start_;
  if (!(span > 0)) return 0.0;
  double t = u.busy_time;
  if (u.busy()) t += now - std::max(u.busy_since, stats_start_);
  return t / span;
}

void validate_schedule(const CapacitySchedule& schedule) {
  for (std::size_t i = 0; i < schedule.size(); ++i) {
    if (!std::isfinite(schedule[i].at) || schedule[i].at < 0)
      throw std::invalid_argument("capacity schedule: times must be finite and >= 0");
    if (i > 0 && !(schedule[i].at > schedule[i - 1].at))
      throw std::invalid_argument("capacity schedule: times must be strictly increasing");
  }
}

}  // namespace careflow
