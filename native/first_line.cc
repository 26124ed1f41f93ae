#include "first_line.h"

#include <cstdio>

namespace densenode {

bool read_first_line(const char* path, char* buf, int size) {
  FILE* f = std::fopen(path, "r");
  if (!f) return false;
  const bool ok = std::fgets(buf, size, f) != nullptr;
  std::fclose(f);
  return ok;
}

}  // namespace densenode
