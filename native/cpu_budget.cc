#include "cpu_budget.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "first_line.h"

#if defined(__linux__)
#include <sched.h>
#endif
#if defined(_WIN32)
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
#endif

namespace densenode {
namespace {

#if defined(__linux__)
// Plain C strings and fixed buffers: this runs once, and std::string parsing cost the prebuild
// 15 KB of code.
constexpr int kPath = 4096;

// Calls fn(line) for each whole line of a file (procfs reports a size of 0, so read to the end).
// A line longer than the buffer (an overlay mount's options can be) is skipped, not split.
template <class Fn>
bool for_lines(const char* path, Fn fn) {
  FILE* f = std::fopen(path, "r");
  if (!f) return false;
  char line[8192];
  bool whole = true;  // the previous read ended its line
  while (std::fgets(line, sizeof line, f)) {
    const size_t n = std::strlen(line);
    const bool ends = n > 0 && line[n - 1] == '\n';
    if (ends) line[n - 1] = '\0';
    if (whole && (ends || std::feof(f))) fn(line);
    whole = ends;
  }
  std::fclose(f);
  return true;
}

// The next space-separated field of *p into out (at most size - 1 chars); false at the end.
bool next_field(const char** p, char* out, size_t size) {
  while (**p == ' ') ++*p;
  if (**p == '\0') return false;
  size_t n = 0;
  for (; **p != '\0' && **p != ' '; ++*p) {
    if (n + 1 < size) out[n++] = **p;
  }
  out[n] = '\0';
  return true;
}

// Whether the comma-separated list holds token.
bool has_token(const char* list, const char* token) {
  const size_t len = std::strlen(token);
  for (const char* p = list;; ++p) {
    if (std::strncmp(p, token, len) == 0 && (p[len] == ',' || p[len] == '\0')) return true;
    p = std::strchr(p, ',');
    if (!p) return false;
  }
}

// mountinfo writes a space, tab, newline or backslash in a path as \ooo; decoded in place.
void unescape(char* s) {
  const auto octal = [](char c) { return c >= '0' && c <= '7'; };
  char* out = s;
  for (const char* p = s; *p;) {
    if (p[0] == '\\' && octal(p[1]) && octal(p[2]) && octal(p[3])) {
      *out++ = static_cast<char>((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
      p += 4;
    } else {
      *out++ = *p++;
    }
  }
  *out = '\0';
}

struct Mount {
  char root[kPath];   // the cgroup path the mount shows
  char point[kPath];  // where it is mounted
};

// The process's cgroup path: the "0::/path" line (v2) or the line whose controllers include cpu.
bool cgroup_path(const char* root, bool v2, char* path) {
  char file[kPath];
  std::snprintf(file, sizeof file, "%s/proc/self/cgroup", root);
  bool found = false;
  for_lines(file, [&](const char* line) {
    const char* a = std::strchr(line, ':');
    const char* b = a ? std::strchr(a + 1, ':') : nullptr;
    if (found || !b) return;
    char controllers[512];
    std::snprintf(controllers, sizeof controllers, "%.*s", static_cast<int>(b - a - 1), a + 1);
    const bool match = v2 ? a - line == 1 && line[0] == '0' && controllers[0] == '\0'
                          : has_token(controllers, "cpu");
    if (match) {
      std::snprintf(path, kPath, "%s", b + 1);
      found = true;
    }
  });
  return found;
}

// The mount showing the process's cgroup path: a cgroup2 mount (v2) or a cgroup v1 mount with the
// cpu controller, whose root is "/" or the path or an ancestor of it (a container's mount of its
// own cgroup shows the whole path). Sets rel to the path below the mount's root.
bool cgroup_mount(const char* root, bool v2, const char* path, Mount& mount, char* rel) {
  char file[kPath];
  std::snprintf(file, sizeof file, "%s/proc/self/mountinfo", root);
  bool found = false, any = false;
  for_lines(file, [&](const char* line) {
    if (found) return;
    // id parent dev root point options [optional fields...] - type source superoptions
    char field[kPath], type[64], options[1024];
    Mount m;
    const char* p = line;
    int i = 0;
    for (; i < 5 && next_field(&p, field, sizeof field); ++i) {
      if (i == 3) std::snprintf(m.root, sizeof m.root, "%s", field);
      if (i == 4) std::snprintf(m.point, sizeof m.point, "%s", field);
    }
    if (i < 5) return;
    while (next_field(&p, field, sizeof field) && std::strcmp(field, "-") != 0) {
    }
    if (!next_field(&p, type, sizeof type) || !next_field(&p, field, sizeof field) ||
        !next_field(&p, options, sizeof options))
      return;
    if (v2 ? std::strcmp(type, "cgroup2") != 0
           : std::strcmp(type, "cgroup") != 0 || !has_token(options, "cpu"))
      return;
    unescape(m.root);
    unescape(m.point);
    const size_t len = std::strlen(m.root);
    const bool top = std::strcmp(m.root, "/") == 0;
    const bool under =
        std::strncmp(path, m.root, len) == 0 && (path[len] == '\0' || path[len] == '/');
    if (!any || top || under) {
      mount = m;
      std::snprintf(rel, kPath, "%s", top ? path : under ? path + len : "");
      any = true;
      found = top || under;
    }
  });
  return any;
}

// A directory's quota in CPUs, 0 for none: v2 "max 100000" or "150000 100000" in cpu.max, v1
// cpu.cfs_quota_us (-1 for none) over cpu.cfs_period_us.
double quota_at(const char* dir, bool v2) {
  char file[kPath + 32], text[128];
  double quota = 0, period = 0;
  if (v2) {
    std::snprintf(file, sizeof file, "%s/cpu.max", dir);
    if (!read_first_line(file, text, sizeof text)) return 0;
    char* end;
    quota = std::strtod(text, &end);
    if (end == text) return 0;  // "max"
    period = std::strtod(end, nullptr);
  } else {
    std::snprintf(file, sizeof file, "%s/cpu.cfs_quota_us", dir);
    if (!read_first_line(file, text, sizeof text)) return 0;
    quota = std::strtod(text, nullptr);
    std::snprintf(file, sizeof file, "%s/cpu.cfs_period_us", dir);
    if (!read_first_line(file, text, sizeof text)) return 0;
    period = std::strtod(text, nullptr);
  }
  return quota > 0 && period > 0 ? quota / period : 0;
}

// The least quota from the process's cgroup up to the mount's top (a limit on any ancestor holds).
double hierarchy_quota(const char* root, bool v2) {
  Mount mount;
  char path[kPath], rel[kPath], dir[3 * kPath];
  if (!cgroup_path(root, v2, path) || !cgroup_mount(root, v2, path, mount, rel)) return 0;
  size_t len = std::strlen(rel);
  while (len > 0 && rel[len - 1] == '/') rel[--len] = '\0';
  double least = 0;
  for (;;) {
    std::snprintf(dir, sizeof dir, "%s%s%s", root, mount.point, rel);
    const double q = quota_at(dir, v2);
    if (q > 0 && (least == 0 || q < least)) least = q;
    if (rel[0] == '\0') return least;
    char* parent = std::strrchr(rel, '/');
    *(parent ? parent : rel) = '\0';
  }
}
#endif

int affinity_cpus() {
#if defined(__linux__)
  for (int cpus = 1024; cpus <= 65536; cpus *= 4) {
    cpu_set_t* set = CPU_ALLOC(cpus);
    if (!set) return 0;
    const size_t size = CPU_ALLOC_SIZE(cpus);
    const int got = sched_getaffinity(0, size, set) == 0 ? CPU_COUNT_S(size, set) : -1;
    CPU_FREE(set);
    if (got >= 0) return got;  // else EINVAL: more CPUs than the set holds
  }
  return 0;
#elif defined(_WIN32)
  DWORD_PTR process = 0, system = 0;
  // Both masks are 0 when the process has threads in several processor groups: unknown then.
  if (!GetProcessAffinityMask(GetCurrentProcess(), &process, &system)) return 0;
  int n = 0;
  for (; process != 0; process &= process - 1) ++n;
  return n;
#else
  return 0;
#endif
}

}  // namespace

double cgroup_cpu_quota(const char* root) {
#if defined(__linux__)
  // A hybrid host mounts both; the quota is wherever the cpu controller is, the least if both.
  const double v2 = hierarchy_quota(root, true);
  const double v1 = hierarchy_quota(root, false);
  return v1 > 0 && (v2 == 0 || v1 < v2) ? v1 : v2;
#else
  (void)root;
  return 0;
#endif
}

CpuBudget budget_from(int online, int affinity, double quota) {
  CpuBudget b;
  b.online = online > 0 ? online : 1;
  b.affinity = affinity > 0 ? affinity : 0;
  b.quota = quota > 0 ? quota : 0;
  b.threads = b.online;
  if (b.affinity > 0 && b.affinity < b.threads) {
    b.threads = b.affinity;
    b.source = "affinity";
  }
  // Rounded up, as Go and the JVM do: a quota of 1.5 CPUs still runs two threads at a time.
  const double whole = std::ceil(b.quota - 1e-9);
  if (b.quota > 0 && whole < b.threads) {
    b.threads = whole < 1 ? 1 : static_cast<int>(whole);
    b.source = "quota";
  }
  return b;
}

const CpuBudget& cpu_budget() {
  static const CpuBudget budget = budget_from(static_cast<int>(std::thread::hardware_concurrency()),
                                              affinity_cpus(), cgroup_cpu_quota(""));
  return budget;
}

}  // namespace densenode
