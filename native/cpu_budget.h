#pragma once
// How many CPUs this process may really use, read once at first use: the CPUs online, the
// process's affinity mask (taskset, a cpuset container) and, on Linux, the cgroup CPU quota (a
// container's --cpus, a Kubernetes CPU limit). std::thread::hardware_concurrency() reports the
// host's CPUs whatever the mask and the quota, and a pool of spinning workers larger than the
// CPUs it gets runs slower than one thread (docs/decisions.md).
namespace densenode {

struct CpuBudget {
  int online = 1;    // std::thread::hardware_concurrency(), at least 1
  int affinity = 0;  // CPUs in the affinity mask; 0 = unknown
  double quota = 0;  // the cgroup CPU quota in CPUs (quota / period); 0 = none found
  int threads = 1;   // the default pool size: the least of the three, a quota rounded up
  const char* source = "online";  // which of them set threads: "online" | "affinity" | "quota"
};

const CpuBudget& cpu_budget();

// The tightest cgroup CPU quota over the process's cgroup and its ancestors, in CPUs (0 = none),
// cgroup v2 (cpu.max) and v1 (cpu.cfs_quota_us / cpu.cfs_period_us) alike, found through
// /proc/self/mountinfo and /proc/self/cgroup. Every path is read under root ("" for the real
// filesystem; tests pass a directory holding a made-up /proc and /sys). Linux only; 0 elsewhere.
double cgroup_cpu_quota(const char* root);

// threads for these figures (the rule cpu_budget applies).
CpuBudget budget_from(int online, int affinity, double quota);

}  // namespace densenode
