#include "threadpool.h"
namespace densenode {
static int g_threads = 1;
void pool_set_threads(int n) { g_threads = n; }
int pool_threads() { return g_threads; }
}  // namespace densenode
