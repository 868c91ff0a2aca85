// Clang thread-safety annotations (as in leveldb and abseil). They say which
// lock guards what; a clang build with -Wthread-safety (make test's, see
// CMakeLists.txt) checks them against util/mutex.h's Mutex, which is
// annotated as a capability. Other compilers ignore them.
#pragma once

#if defined(__clang__)
#define AUTOLAND_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define AUTOLAND_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) AUTOLAND_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY AUTOLAND_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) AUTOLAND_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) AUTOLAND_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) AUTOLAND_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) AUTOLAND_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) AUTOLAND_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) AUTOLAND_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) AUTOLAND_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS AUTOLAND_THREAD_ANNOTATION(no_thread_safety_analysis)
