#pragma once
namespace densenode {
void pool_set_threads(int n);
int pool_threads();
}  // namespace densenode
