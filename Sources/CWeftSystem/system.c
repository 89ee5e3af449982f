// Most wrappers are header-only (static inline, see include/weft_system.h). statx needs _GNU_SOURCE before the
// system headers, which a header imported into Swift cannot promise, so it is compiled here.
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>

#include "weft_system.h"

static int64_t weft_statx_birth(int directory, const char *path, int flags) {
#ifdef STATX_BTIME
    struct statx info;
    if (statx(directory, path, flags, STATX_BTIME, &info) != 0 || !(info.stx_mask & STATX_BTIME)) return INT64_MIN;
    return (int64_t)info.stx_btime.tv_sec * 1000000000 + (int64_t)info.stx_btime.tv_nsec;
#else
    (void)directory;
    (void)path;
    (void)flags;
    return INT64_MIN;
#endif
}

int64_t weft_birth_time(const char *path) { return weft_statx_birth(AT_FDCWD, path, 0); }

int64_t weft_birth_time_fd(int fd) {
#ifdef AT_EMPTY_PATH
    return weft_statx_birth(fd, "", AT_EMPTY_PATH);
#else
    (void)fd;
    return INT64_MIN;
#endif
}
