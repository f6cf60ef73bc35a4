//===- Schedule.cpp - Hyper-parameter schedules ---------------------------===//
//
// The value of a scheduled hyper-parameter (a learning rate, an annealed
// temperature) at a training step: step, exponential, cosine, linear
// warm-up, linear and reduce-on-plateau schedules (any of them after a
// linear warm-up), evaluated by the training loop before each
// step and passed to the compiled step as an argument.
//
//===----------------------------------------------------------------------===//
#include "Trainer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

double nnc_rt::scheduleArg(const nnc_schedule &s, const char *name,
                           double dflt) {
  for (int32_t k = 0; k < s.num_args; ++k)
    if (std::strcmp(s.arg_names[k], name) == 0)
      return s.arg_values[k];
  return dflt;
}

using nnc_rt::scheduleArg;

/// The schedule itself, without its warm-up.
static double scheduleValue(const nnc_schedule *s, int64_t step, int64_t epoch,
                            int64_t total_steps) {
  const double pi = 3.14159265358979323846;
  double progress =
      total_steps > 1 ? double(step) / double(total_steps - 1) : 1.0;
  progress = std::min(std::max(progress, 0.0), 1.0);
  std::string kind = s->kind;
  double base = s->base;
  if (kind == "step") {
    double every = std::max(scheduleArg(*s, "every", 1), 1.0);
    return base * std::pow(scheduleArg(*s, "gamma", 0.1),
                           std::floor(double(epoch) / every));
  }
  if (kind == "exponential") {
    double start = scheduleArg(*s, "start", base);
    for (int32_t k = 0; k < s->num_args; ++k)
      if (std::strcmp(s->arg_names[k], "end") == 0)
        return start *
               std::pow(scheduleArg(*s, "end", start) / start, progress);
    return base * std::pow(scheduleArg(*s, "gamma", 0.95), double(epoch));
  }
  if (kind == "cosine") {
    double lo = scheduleArg(*s, "min", 0);
    return lo + (base - lo) * 0.5 * (1 + std::cos(pi * progress));
  }
  if (kind == "warmup") {
    double steps = std::max(scheduleArg(*s, "steps", 1), 1.0);
    return base * std::min(1.0, double(step + 1) / steps);
  }
  if (kind == "linear") {
    double start = scheduleArg(*s, "start", base),
           end = scheduleArg(*s, "end", 0);
    return start + (end - start) * progress;
  }
  return base; // constant; plateau (the training loop scales it)
}

extern "C" double nnc_schedule_value(const nnc_schedule *s, int64_t step,
                                     int64_t epoch, int64_t total_steps) {
  double value = scheduleValue(s, step, epoch, total_steps);
  // `warmup: N` of any schedule: a linear ramp over the first N steps.
  if (std::strcmp(s->kind, "warmup") != 0)
    if (double n = scheduleArg(*s, "warmup", 0); n > 1)
      value *= std::min(1.0, double(step + 1) / n);
  return value;
}
