// Tests of the pool's CPU budget (native/cpu_budget.h): the cgroup quota read from made-up /proc
// and /sys trees shaped as Docker, Kubernetes and systemd leave them, and the rule that picks the
// pool size. Part of densenode_kernels_test (its check()).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "cpu_budget.h"

using namespace densenode;
namespace fs = std::filesystem;

namespace {

struct Tree {
  fs::path root;
  explicit Tree(const char* name) : root(fs::temp_directory_path() / name) {
    fs::remove_all(root);
    fs::create_directories(root);
  }
  ~Tree() { fs::remove_all(root); }
  void write(const std::string& path, const std::string& text) const {
    const fs::path file = root / path.substr(1);
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
  }
  double quota() const { return cgroup_cpu_quota(root.string().c_str()); }
};

// mountinfo lines: id parent dev root mountpoint options [optional fields] - type source superoptions
const std::string kV2Mount = "30 23 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw\n";
const std::string kOther =
    "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "24 22 0:5 / /proc rw shared:12 - proc proc rw\n";

}  // namespace

void test_cpu_budget(void (*check)(bool, const std::string&)) {
  auto near = [](double a, double b) { return a > b - 1e-9 && a < b + 1e-9; };
  {  // Docker on cgroup v2 with its own cgroup namespace: the container's cgroup is the root.
    Tree t("dn-cpu-v2ns");
    t.write("/proc/self/mountinfo", kOther + kV2Mount);
    t.write("/proc/self/cgroup", "0::/\n");
    t.write("/sys/fs/cgroup/cpu.max", "150000 100000\n");
    check(near(t.quota(), 1.5), "cgroup v2 namespace root: cpu.max 150000 100000 is 1.5 CPUs");
    t.write("/sys/fs/cgroup/cpu.max", "max 100000\n");
    check(t.quota() == 0, "cgroup v2: cpu.max 'max' is no quota");
  }
  {  // A systemd slice on v2: the tightest limit on the path counts, wherever it is.
    Tree t("dn-cpu-v2nest");
    t.write("/proc/self/mountinfo", kV2Mount + kOther);
    t.write("/proc/self/cgroup", "0::/app.slice/web.service\n");
    t.write("/sys/fs/cgroup/app.slice/web.service/cpu.max", "max 100000\n");
    t.write("/sys/fs/cgroup/app.slice/cpu.max", "200000 100000\n");
    check(near(t.quota(), 2), "cgroup v2: a parent slice's 2-CPU quota bounds the service");
    t.write("/sys/fs/cgroup/app.slice/web.service/cpu.max", "50000 100000\n");
    check(near(t.quota(), 0.5), "cgroup v2: the service's own 0.5 is tighter than the slice's 2");
  }
  {  // Docker on cgroup v1 without a cgroup namespace: the mount shows the container's own cgroup.
    Tree t("dn-cpu-v1docker");
    t.write("/proc/self/mountinfo",
            kOther +
                "31 30 0:28 /docker/0123abcd /sys/fs/cgroup/cpu,cpuacct ro,nosuid master:11 - "
                "cgroup cgroup rw,cpu,cpuacct\n"
                "32 30 0:29 /docker/0123abcd /sys/fs/cgroup/memory ro master:12 - cgroup cgroup "
                "rw,memory\n");
    t.write("/proc/self/cgroup",
            "12:memory:/docker/0123abcd\n4:cpu,cpuacct:/docker/0123abcd\n0::/system.slice\n");
    t.write("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "300000\n");
    t.write("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
    check(near(t.quota(), 3), "cgroup v1 (Docker): cfs_quota_us 300000 / period 100000 is 3 CPUs");
    t.write("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "-1\n");
    check(t.quota() == 0, "cgroup v1: cfs_quota_us -1 is no quota");
  }
  {  // A hybrid host (v1 cpu controller, v2 unified tree without it), the root mount showing "/".
    Tree t("dn-cpu-hybrid");
    t.write("/proc/self/mountinfo",
            kOther +
                "40 30 0:30 / /sys/fs/cgroup/unified rw shared:5 - cgroup2 cgroup2 rw,nsdelegate\n"
                "41 30 0:31 / /sys/fs/cgroup/cpu\\040limits rw shared:6 - cgroup cgroup rw,cpu\n");
    t.write("/proc/self/cgroup", "1:cpu:/batch/job7\n0::/batch/job7\n");
    t.write("/sys/fs/cgroup/cpu limits/batch/job7/cpu.cfs_quota_us", "-1\n");
    t.write("/sys/fs/cgroup/cpu limits/batch/job7/cpu.cfs_period_us", "100000\n");
    t.write("/sys/fs/cgroup/cpu limits/batch/cpu.cfs_quota_us", "25000\n");
    t.write("/sys/fs/cgroup/cpu limits/batch/cpu.cfs_period_us", "50000\n");
    check(near(t.quota(), 0.5), "hybrid: the v1 parent's quota, through an escaped mount point");
  }
  {  // What the reader must survive: missing files, junk, a path without its leading slash.
    Tree t("dn-cpu-junk");
    check(t.quota() == 0, "no /proc: no quota");
    t.write("/proc/self/mountinfo", "garbage\n\n - \n1 2 3\n" + kV2Mount);
    t.write("/proc/self/cgroup", "0::relative/path\n::\nnonsense\n");
    t.write("/sys/fs/cgroup/cpu.max", "-5 100000\n");
    check(t.quota() == 0, "junk lines, a negative quota: no quota, and the walk ends");
    t.write("/sys/fs/cgroup/cpu.max", "100000 0\n");
    check(t.quota() == 0, "a zero period: no quota");
    t.write("/sys/fs/cgroup/cpu.max", "100000 100000\n");
    check(near(t.quota(), 1), "the walk up from a relative path still reads the top");
    // An overlay mount's options can run past any line buffer: skipped whole, never split.
    const std::string layers(20000, 'l');
    t.write("/proc/self/mountinfo",
            "50 1 0:40 / / rw shared:1 - overlay overlay rw,lowerdir=" + layers + " 1 2 3 / /x - cgroup2 c rw\n" + kV2Mount);
    t.write("/proc/self/cgroup", "0::/\n");
    check(near(t.quota(), 1), "a 20 KB mountinfo line before the cgroup2 mount");
  }
  const CpuBudget host = budget_from(64, 64, 2);
  check(host.threads == 2 && std::string(host.source) == "quota", "64 CPUs, quota 2: 2 threads");
  const CpuBudget pinned = budget_from(2, 1, 0);
  check(pinned.threads == 1 && std::string(pinned.source) == "affinity", "taskset -c 0: 1 thread");
  const CpuBudget half = budget_from(2, 2, 1.5);
  check(half.threads == 2 && std::string(half.source) == "online", "quota 1.5 on 2 CPUs: 2");
  const CpuBudget small = budget_from(64, 0, 0.3);
  check(small.threads == 1 && std::string(small.source) == "quota", "quota 0.3: 1 thread");
  const CpuBudget exact = budget_from(8, 8, 4.0000000001);
  check(exact.threads == 4, "a quota a rounding error above 4: 4 threads");
  const CpuBudget none = budget_from(0, 0, 0);
  check(none.threads == 1 && none.online == 1, "nothing known: 1 thread");
  const CpuBudget real = cpu_budget();
  check(real.threads >= 1 && real.threads <= real.online, "this host: 1..online threads");
  std::printf("cpu budget here: %d online, affinity %d, quota %.2f -> %d threads (%s)\n",
              real.online, real.affinity, real.quota, real.threads, real.source);
}
