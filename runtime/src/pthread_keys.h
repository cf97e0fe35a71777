// pthread_keys.cpp: thread-specific data destructors from runtime-owned state.
#pragma once

namespace sdrad {
void pthread_keys_thread_exit();  // root, at the end of a thread: runs them
}  // namespace sdrad
