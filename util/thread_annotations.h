// Clang thread-safety annotations (leveldb's port/thread_annotations.h). They
// document which lock guards what. clang's -Wthread-safety checks them only
// against a mutex type annotated as a capability, which std::mutex is not,
// and no build here enables the warning yet: today they are documentation.
#pragma once

#if defined(__clang__)
#define AUTOLAND_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define AUTOLAND_THREAD_ANNOTATION(x)
#endif

#define GUARDED_BY(x) AUTOLAND_THREAD_ANNOTATION(guarded_by(x))
#define REQUIRES(...) AUTOLAND_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) AUTOLAND_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
