#pragma once
// The first line of a small system file (sysfs, procfs, cgroupfs) into buf, at most size bytes;
// false if it cannot be read. Shared by the cache and CPU-budget readers.
namespace densenode {
bool read_first_line(const char* path, char* buf, int size);
}  // namespace densenode
